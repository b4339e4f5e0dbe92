"""The page parser of the extract path builds trafilatura's tree, with C-looked-up element classes."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.utils import load_html as trafilatura_load_html

from extractors.html_tree import load_html

DATA = Path(__file__).resolve().parent / "data"
PAGES = sorted(p for p in DATA.rglob("*") if p.suffix in (".html", ".htm"))


LIBXML2_DEPTH = 256  # libxml2's default nesting limit; our parser lifts it (huge_tree), trafilatura's does not


def _depth(tree) -> int:
    return max(sum(1 for _ in element.iterancestors()) for element in tree.iter())


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(DATA)))
def test_tree_is_trafilaturas_tree(path: Path):
    text = path.read_bytes().decode("utf-8", "replace")
    ours, theirs = load_html(text), trafilatura_load_html(text)
    assert (ours is None) == (theirs is None)
    if ours is not None and _depth(ours) < LIBXML2_DEPTH:
        assert etree.tostring(ours, encoding="unicode") == etree.tostring(theirs, encoding="unicode")
    elif ours is not None:  # deeper: ours holds what trafilatura's parser stopped before
        assert len(etree.tostring(ours)) > len(etree.tostring(theirs))


@pytest.mark.parametrize("text", ["", "plain words, no markup", "<p>one block</p>", "\x00<html><body><p>x</p>",
                                  "<?xml version='1.0' encoding='utf-8'?><html><body><p>declared</p></body></html>"])
def test_odd_inputs_are_handled_as_trafilatura_handles_them(text: str):
    ours, theirs = load_html(text), trafilatura_load_html(text)
    assert (ours is None) == (theirs is None)
    if ours is not None:
        assert etree.tostring(ours) == etree.tostring(theirs)


def test_every_element_and_its_copies_are_html_elements():
    tree = load_html("<html><body><form><label>Name</label><input name='q'><select><option>a</option></select>"
                     "<textarea>t</textarea></form><p>text <b>bold</b></p></body></html>")
    for root in (tree, copy.deepcopy(tree)):
        assert {type(element) for element in root.iter()} == {HtmlElement}
        assert root.find(".//form").text_content() == "Nameat"


def test_the_invalid_character_list_is_trafilaturas_pattern():
    from trafilatura.utils import INVALID_XML_CHARS

    from extractors.html_tree import _INVALID_XML_CHARS

    everything = "".join(map(chr, range(0x110000)))
    assert "".join(_INVALID_XML_CHARS) == "".join(INVALID_XML_CHARS.findall(everything))


@pytest.mark.parametrize("text", ["<!DOCTYPE html/>\n<html><body><p>x</p></body></html>",
                                  "<!doctype html>\n<html/>\n<body><p>y</p></body>",
                                  "<html lang='ka' />\n<body>z</body>", "<!DOCTYPE html>\n<p>a\x0cb\ufffe</p>\x01",
                                  "no markup at all", "<html>" + "x" * 5000 + "<html/>"])
def test_repair_is_trafilaturas_repair(text: str):
    from trafilatura.utils import repair_faulty_html

    from extractors.html_tree import _repaired

    beginning = text[:50].lower()
    assert _repaired(text, beginning, repair_faulty_html) == repair_faulty_html(text, beginning)


@pytest.mark.parametrize("path", PAGES[:60], ids=lambda p: str(p.relative_to(DATA)))
def test_repair_is_trafilaturas_repair_on_real_pages(path: Path):
    from trafilatura.utils import repair_faulty_html

    from extractors.html_tree import _repaired

    text = path.read_bytes().decode("utf-8", "replace")
    assert _repaired(text, text[:50].lower(), repair_faulty_html) == repair_faulty_html(text, text[:50].lower())
