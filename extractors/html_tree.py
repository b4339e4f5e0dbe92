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
settings, the same repairs of the text and the same rejection of a text that is not HTML.
"""

from __future__ import annotations

import logging

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction, HTMLParser, fromstring

LOGGER = logging.getLogger(__name__)

# trafilatura.utils.HTML_PARSER's settings
PARSER = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True)
PARSER.set_element_class_lookup(etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))


def load_html(text: str) -> HtmlElement | None:
    """trafilatura.utils.load_html for a decoded page, on ``PARSER``; None when it is not HTML."""
    from trafilatura.utils import decode_file, is_dubious_html, repair_faulty_html

    text = decode_file(text)
    beginning = text[:50].lower()
    dubious = is_dubious_html(beginning)
    text = repair_faulty_html(text, beginning)
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


def _from_bytes(text: str) -> HtmlElement | None:
    try:
        return fromstring(text.encode("utf8", "surrogatepass"), parser=PARSER)
    except Exception as err:
        LOGGER.debug("lxml parser bytestring %s", err)
    return None
