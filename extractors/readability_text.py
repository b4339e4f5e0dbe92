"""readability-lxml's opinion as paragraphs: its article, flattened one entry per block.

The second extractor of the ensemble (``extractors.ensemble`` combines it with trafilatura's).
readability's own machinery is ``extractors.readability_fast``, imported on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from lxml import html as lxml_html
from lxml.html import HtmlElement

LOGGER = logging.getLogger(__name__)

# Elements that start a new paragraph when a subtree is flattened to text.
BLOCK_TAGS = frozenset("p div h1 h2 h3 h4 h5 h6 li ul ol dl dt dd pre blockquote table tr td th article section "
                       "header footer aside main figure figcaption br hr form nav address".split())


def block_texts(root: HtmlElement) -> list[str]:
    """The text of a subtree, one entry per block (paragraph, heading, list item, cell)."""
    out: list[str] = []
    parts: list[str] = []

    def flush():
        text = " ".join("".join(parts).split())
        if text:
            out.append(text)
        parts.clear()

    def walk(element):
        tag = element.tag if isinstance(element.tag, str) else ""
        block = tag in BLOCK_TAGS
        if block:
            flush()
        if tag not in ("script", "style", "noscript", "template") and isinstance(element.tag, str):
            if element.text:
                parts.append(element.text)
            for child in element:
                walk(child)
        if block:
            flush()
        if element.tail:
            parts.append(element.tail)

    walk(root)
    flush()
    return out


def _fast_document():
    """readability's Document with a cheaper clean-up of its input and the same scoring, in fewer
    steps (``extractors.readability_fast``)."""
    from extractors.readability_fast import fast_document_class

    return fast_document_class()


def readability_paragraphs(html: "str | HtmlElement | Callable[[], HtmlElement]", *, captions: bool = False) -> list[str]:
    """readability-lxml's article, as paragraphs ([] when it finds none or fails); its
    ``<figcaption>``s only with ``captions`` (stock readability's output, the benchmark's baseline).

    A parsed tree is copied, never changed. A function instead gives a tree that readability may
    change, one per (re)parse (``extractors.readability_fast.scoring_input``): that saves the
    copy when the caller holds a copy of its own.
    """
    try:
        summary = _fast_document()(html).summary(html_partial=True)
    except Exception as err:  # readability raises Unparseable and assorted lxml errors
        LOGGER.debug("readability failed: %s", err)
        return []
    if not summary or not summary.strip():
        return []
    try:
        fragment = lxml_html.fragment_fromstring(summary, create_parent="div")
    except Exception:
        return []
    # readability reads the unpruned page and keeps <figcaption>s: a caption is never article
    # text (HTML5 says what it is), and on a short body readability's text is the one kept
    for caption in [] if captions else list(fragment.iter("figcaption")):
        caption.drop_tree()
    return block_texts(fragment)
