"""Control characters never reach the parser or a record, whether the page comes as text or bytes."""

from __future__ import annotations

from extractors.article import _CONTROL_CHAR_LIST, _CONTROL_CHARS, without_control_bytes


def test_the_quick_check_looks_for_exactly_the_characters_the_pattern_removes():
    assert "".join(_CONTROL_CHAR_LIST) == "".join(chr(c) for c in range(0x110000) if _CONTROL_CHARS.match(chr(c)))


def test_control_characters_are_removed_from_text_and_bytes_alike():
    page = "<p>a\x00b\x1bc\x7f\td\r\n\x0ce</p> ünï ☃"
    assert without_control_bytes(page) == "<p>abc\td\r\n\x0ce</p> ünï ☃"
    assert without_control_bytes(page.encode("utf-8")) == "<p>abc\td\r\n\x0ce</p> ünï ☃".encode("utf-8")
    assert without_control_bytes("clean ☃ text\n") == "clean ☃ text\n"
