"""Texts of the ninth probe (tests/data/probe9/README.md), as behaviour."""

from __future__ import annotations

from pathlib import Path

from extractors.article import decode_text, extract_document
from extractors.fingerprint import compare_texts

DATA = Path(__file__).resolve().parent / "data" / "probe9"


def _text(name: str) -> str:
    return extract_document((DATA / name).read_bytes()).text


def test_an_armenian_text_typed_with_ascii_colons_keeps_every_paragraph_and_stays_a_copy():
    stops, colons = _text("hy_fire_armenian_stops.txt"), _text("hy_fire_ascii_colons.txt")
    assert len(colons.split("\n")) == len(stops.split("\n")) == 5  # the headline apart
    assert compare_texts(stops, colons).duplicate


def test_a_plain_text_file_in_a_legacy_or_utf16_encoding_is_read_as_written():
    for name in ("ru_crash_cp1251.txt", "ru_crash_utf16_bom.txt"):
        text = decode_text((DATA / name).read_bytes())
        assert "Дагестане" in text and "\x00" not in text, name
