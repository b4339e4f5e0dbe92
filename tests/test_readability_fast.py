"""readability with fewer steps (extractors.readability_fast) gives readability's own summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from extractors.html import _parse, strip_leading_junk
from extractors.readability_fast import _BLOCK_PREFIXES, _block_named, _clean, fast_document_class, scoring_input

DATA = Path(__file__).resolve().parent / "data"
PAGES = sorted(p for p in DATA.rglob("*") if p.suffix in (".html", ".htm"))


def _reference_class():
    """Stock readability 0.9 with only the same input clean-up (the one intended difference)."""
    from readability import Document

    class Reference(Document):
        def _parse(self, input):  # noqa: A002
            self.encoding = "utf-8"
            return scoring_input(input)

    return Reference


def _summary(cls, tree) -> str:
    try:
        return cls(tree).summary(html_partial=True)
    except Exception as err:  # readability's Unparseable: both must fail alike
        return f"error {type(err).__name__}"


def test_there_are_pages_to_compare():
    assert len(PAGES) >= 30


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(DATA)))
def test_fast_readability_gives_readabilitys_summary(path: Path):
    text = path.read_bytes().decode("utf-8", "replace")
    try:
        tree = _parse(strip_leading_junk(text))
    except Exception:
        pytest.skip("not an HTML document")
    expected = _summary(_reference_class(), tree)
    assert _summary(fast_document_class(), tree) == expected
    assert etree.tostring(tree) == etree.tostring(_parse(strip_leading_junk(text)))  # the input is not changed


def test_misused_divs_become_paragraphs_as_in_readability():
    page = ("<html><body><div id='main'><div>one <b>bold</b> line</div><div><p>a paragraph of text here, long "
            "enough, with commas, to score, and more words in it</p></div><div title='<p>'>attr</div>"
            "<div><picture></picture>pic</div><div>text<span>inline</span>tail<br>after</div></div></body></html>")
    tree = lxml_html.document_fromstring(page)
    assert _summary(fast_document_class(), tree) == _summary(_reference_class(), tree)


@pytest.mark.parametrize("text", ["  a\n\n  b\t c   d  ", " " * 300 + "x", "plain", "", "\u00a0 \n\u2003x"])
def test_clean_is_readabilitys_clean(text: str):
    import re

    def stock(t):  # readability 0.9's clean, verbatim
        t = re.sub(r"\s{255,}", " " * 255, t)
        t = re.sub(r"\s*\n\s*", "\n", t)
        t = re.sub(r"\t|[ \t]{2,}", " ", t)
        return t.strip()

    assert _clean(text) == stock(text)


def _stock_clean(t: str) -> str:
    import re

    t = re.sub(r"\s{255,}", " " * 255, t)
    t = re.sub(r"\s*\n\s*", "\n", t)
    t = re.sub(r"\t|[ \t]{2,}", " ", t)
    return t.strip()


def test_clean_is_readabilitys_clean_on_generated_whitespace():
    import random

    rng = random.Random(7)
    spaces = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\u00a0", "\u2003"]
    letters = ["a", ",", "b"]
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(0, 6)):
            if rng.random() < 0.15:  # runs around readability's limit of 255
                parts.append("".join(rng.choice(spaces) for _ in range(rng.randint(240, 270))))
            else:
                parts.append("".join(rng.choice(spaces + letters) for _ in range(rng.randint(0, 10))))
        text = "".join(parts)
        assert _clean(text) == _stock_clean(text), repr(text)


def test_block_named_elements_are_the_xpaths():
    xpath = etree.XPath(".//*[" + " or ".join(
        f"starts-with(translate(name(), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '{p}')"
        for p in _BLOCK_PREFIXES) + "]")
    tree = lxml_html.document_fromstring("<html><body><div><picture></picture><Pre>x</Pre><span>s</span>"
                                         "<o:p>o</o:p><DL><dt>t</dt></DL><em><img></em></div></body></html>")
    tree.find(".//span").append(etree.Element("TABLE"))
    tree.find(".//span").append(etree.Element("{urn:x}pane"))
    tree.find(".//span").append(etree.Comment("<p>"))
    assert _block_named(tree) == xpath(tree)
    for path in PAGES[:40]:
        page = lxml_html.document_fromstring(path.read_bytes().decode("utf-8", "replace") or "<p/>")
        assert _block_named(page) == xpath(page)
