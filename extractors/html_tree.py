"""A page's text → an lxml.html tree, as trafilatura's ``load_html`` builds it, with cheaper nodes.

lxml creates a Python object for an element each time code reaches one that has none alive, and
asks the parser's *class lookup* which class it gets. lxml.html's lookup is a Python method
(it gives <form>, <input>, <select>, <textarea> and <label> their own classes); on a page walked
by trafilatura, readability, the pruner, the template index and the date finder it ran about 5,000
times per page, some 5 % of the extract path. This parser gives every element lxml.html's
``HtmlElement`` (comments, PIs and entities their lxml.html classes) through lxml's C lookup.
Nothing in the extract path uses the form classes' extras (``.fields``, ``.value``, ``.form``),
and every element keeps the whole ``HtmlElement`` API (``text_content``, ``drop_tree``, ...).
Copies of the tree (``copy.deepcopy``) keep the parser, so they get the same lookup.

The steps around the parse are trafilatura's own (``trafilatura.utils``): the same parser
settings, the same repairs of the text and the same rejection of a text that is not HTML (the
repair's pass over the whole page for invalid XML characters only when one is there: 97 ms ->
37 ms on the 181 ScrapingHub pages, none of which holds one).
"""

from __future__ import annotations

import logging
import re

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction, HTMLParser, fromstring

LOGGER = logging.getLogger(__name__)

# trafilatura.utils.HTML_PARSER's settings
# huge_tree: libxml2 stops at 256 nested elements without it (a page whose article sat in 300 nested
# divs, or after 300 unclosed <font>s, lost its text); each page's build is bounded in time anyway
PARSER = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True,
                    huge_tree=True)
PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))


def load_html(text: str) -> HtmlElement | None:
    """trafilatura.utils.load_html for a decoded page, on ``PARSER``; None when it is not HTML."""
    from trafilatura.utils import decode_file, is_dubious_html, repair_faulty_html

    text = decode_file(text)
    beginning = text[:50].lower()
    dubious = is_dubious_html(beginning)
    text = _repaired(text, beginning, repair_faulty_html)
    tree = None
    fallback = False
    try:
        tree = fromstring(text, parser=PARSER)
    except ValueError:  # "Unicode strings with encoding declaration are not supported."
        tree = _from_bytes(text)
        fallback = True
    except Exception as err:  # pragma: no cover - as trafilatura: logged, then the bytes are tried
        LOGGER.debug("lxml parsing failed: %s", err)
    if (tree is None or len(tree) < 1) and not fallback:
        tree = _from_bytes(text)
    if tree is not None and dubious and len(tree) < 2:
        return None
    return tree


# trafilatura.utils.INVALID_XML_CHARS's characters (tests/test_html_tree.py checks every code point)
_INVALID_XML_CHARS = tuple(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))


def _repaired(text: str, beginning: str, repair_faulty_html) -> str:
    """trafilatura's ``repair_faulty_html``, whose first step removes invalid XML characters with
    a pattern over the whole page; a page rarely holds one, and 31 substring tests (memchr-like
    scans) tell so at a fraction of the pattern's pass. Without one, that step changes nothing
    and the rest is trafilatura's own code on the first line and the first 4 KB."""
    if any(map(text.__contains__, _INVALID_XML_CHARS)):
        return repair_faulty_html(text, beginning)
    from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML

    # the rest of trafilatura 2.3's repair_faulty_html, verbatim
    if "doctype" in beginning:
        firstline, _, rest = text.partition("\n")
        text = DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    for line in text[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            text = FAULTY_HTML.sub(r"\1>", text, count=1)
            break
    return text


def _from_bytes(text: str) -> HtmlElement | None:
    try:
        return fromstring(text.encode("utf8", "surrogatepass"), parser=PARSER)
    except Exception as err:
        LOGGER.debug("lxml parser bytestring %s", err)
    return None


# Elements whose line breaks are the content's own; elsewhere a browser renders them as spaces.
_PREFORMATTED = ("pre", "textarea", "code", "listing", "plaintext", "xmp", "script", "style")


def unwrap_source_lines(tree: HtmlElement) -> None:
    """Line breaks in the page's source text become spaces, as a browser renders them.

    Hand-written and older CMS pages wrap their paragraphs at 80 columns; trafilatura keeps those
    breaks in a paragraph that also holds a ``<br>``, so a sentence came out cut into lines of
    four to ten words ("To meet the" / "growing demand of businesses"), which the cleaner and the
    edge vote then judged as short lines (22 of 781 benchmark pages). A ``<br>`` stays a break.
    """
    kept = set()
    for element in tree.iter(*_PREFORMATTED):
        kept.update(element.iter())
    for element in tree.iter():
        if element.text and "\n" in element.text and element not in kept:
            element.text = _collapsed(element.text)
        if element.tail and "\n" in element.tail and element.getparent() not in kept:
            element.tail = _collapsed(element.tail)


_SOURCE_BREAK = re.compile(r"[ \t]*[\r\n]+[ \t\r\n]*")


def _collapsed(text: str) -> str:
    return _SOURCE_BREAK.sub(" ", text)
