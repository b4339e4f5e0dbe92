"""readability-lxml's Document, giving the same summary with less work per page.

readability is the ensemble's second opinion (``extractors.ensemble``) and runs on about nine
pages in ten, so its cost is a large share of the extract path. Where the time went, and what
this module does instead — each step computes what readability's own code computes:

- **Input clean-up.** readability runs lxml's general HTML Cleaner on every (re)parse; for scoring
  text only scripts, styles, comments, hidden elements and the like must go, which
  ``strip_elements`` on a copy does in C. (This is the one deliberate difference from stock
  readability, kept from before; the rest is output-identical to readability 0.9.)
- **Unlikely candidates.** readability formats "class id" for *every* element and runs two regular
  expressions on it; an element with neither attribute gives a one-character string that it skips.
  Only elements with a class or an id are visited here (an XPath in C), in the same order, and the
  answer for a "class id" string is remembered (pages repeat their class names).
- **Misused divs.** readability serialises the children of *every* div to look for a block tag in
  the markup — each nested div re-serialises its whole subtree. A div that has a descendant
  element whose tag starts like one of the tags the pattern looks for certainly matches (its start
  tag is in the markup): one pass marks the ancestors of such elements; only the other divs (and,
  in the second step, the other inline children of divs) are serialised and searched.
- **Debug descriptions.** readability builds a description of a node for each debug message
  (``"%s" % describe(node)``) even when debug logging is off; ``describe`` answers "" then.
- **clean().** readability's whitespace clean-up compiles its three patterns through ``re``'s
  cache on every call (hundreds per page); the same patterns are compiled once here.

The last two replace functions of the ``readability.readability`` module, once, when the class is
first built; both give the same results (the descriptions only appear in debug logs, which then
still get them). tests/test_readability_fast.py compares the summaries with those of readability's
own methods on every HTML page under tests/data.
"""

from __future__ import annotations

import copy
import functools
import logging
import re

from lxml import etree
from lxml import html as lxml_html
from lxml.etree import tostring
from lxml.html import HtmlElement

# The tags readability's divToPElementsRe looks for ("<p" also matches <pre>, <picture>...):
# a descendant whose name starts like one of them puts that start tag in the serialised markup.
_BLOCK_PREFIXES = ("blockquote", "dl", "div", "img", "ol", "p", "table", "ul")
_BLOCK_NAMED = etree.XPath(
    ".//*[" + " or ".join(
        f"starts-with(translate(name(), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '{p}')"
        for p in _BLOCK_PREFIXES) + "]")
_WITH_CLASS_OR_ID = etree.XPath(".//*[@class or @id]")
_INLINE_TAGS = frozenset({"a", "b", "cite", "code", "em", "font", "i", "small", "span", "strong", "sub", "sup", "u"})

_LONG_SPACE = re.compile(r"\s{255,}")
_SPACE_AROUND_NEWLINE = re.compile(r"\s*\n\s*")
_TAB_OR_SPACES = re.compile(r"\t|[ \t]{2,}")

_document_class = None


def scoring_input(source) -> HtmlElement:
    """The page readability scores: a copy (or a parse) without scripts, styles, comments and
    hidden elements, which its general Cleaner would otherwise remove at a higher cost."""
    doc = copy.deepcopy(source) if isinstance(source, HtmlElement) else lxml_html.document_fromstring(source)
    etree.strip_elements(doc, "script", "style", "link", "noscript", "template", "iframe",
                         etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for element in doc.xpath("//*[@hidden] | //*[contains(translate(@style, 'DISPLAYNOE ', 'displaynoe'), 'display:none')]"):
        if element.getparent() is not None:
            element.drop_tree()
    return doc


def fast_document_class():
    """The Document subclass (built on first use: readability is imported only when needed)."""
    global _document_class
    if _document_class is None:
        _document_class = _build()
    return _document_class


def _clean(text: str) -> str:
    """readability's ``clean``, its patterns compiled once."""
    text = _LONG_SPACE.sub(" " * 255, text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    text = _TAB_OR_SPACES.sub(" ", text)
    return text.strip()


def _build():
    import readability.readability as module
    from readability import Document

    regexes = module.REGEXES
    describe = module.describe

    def describe_when_logged(node, depth=1):
        return describe(node, depth) if module.log.isEnabledFor(logging.DEBUG) else ""

    @functools.lru_cache(maxsize=4096)
    def unlikely(names: str) -> bool:
        """readability's two tests of a "class id" string (pages repeat their class names)."""
        return bool(regexes["unlikelyCandidatesRe"].search(names)) and not regexes["okMaybeItsACandidateRe"].search(names)

    module.describe = describe_when_logged
    module.clean = _clean

    class FastDocument(Document):
        def _parse(self, input):  # noqa: A002 - readability's own signature
            self.encoding = "utf-8"
            return scoring_input(input)

        def remove_unlikely_candidates(self):
            for elem in _WITH_CLASS_OR_ID(self.html):
                s = "{} {}".format(elem.get("class", ""), elem.get("id", ""))
                if len(s) < 2:
                    continue
                if (
                    unlikely(s)
                    and elem.tag not in ["html", "body"]
                    and not elem.xpath("ancestor-or-self::pre | ancestor-or-self::code")
                    and not elem.xpath("descendant-or-self::main | descendant-or-self::article | "
                                       "descendant-or-self::math")
                ):
                    elem.drop_tree()

        def transform_misused_divs_into_paragraphs(self):
            # every element above a block-named one (renaming a div to p below changes no answer:
            # whatever sits above it had the div below it already)
            above_block = set()
            for element in _BLOCK_NAMED(self.html):
                parent = element.getparent()
                while parent is not None and parent not in above_block:
                    above_block.add(parent)
                    parent = parent.getparent()
            for elem in self.tags(self.html, "div"):
                # readability: no block tag in the serialised children → the div is a paragraph
                if elem not in above_block and not regexes["divToPElementsRe"].search(
                        str(b"".join(tostring(s, encoding="utf-8") for s in elem))):
                    elem.tag = "p"
            # the rest as readability 0.9 does it
            for elem in self.tags(self.html, "div"):
                children = list(elem)
                paragraph = None
                if elem.text and elem.text.strip():
                    p = lxml_html.fragment_fromstring("<p/>")
                    p.text = elem.text
                    elem.text = None
                    elem.insert(0, p)
                    paragraph = p
                for child in children:
                    if child.tag == "br":
                        paragraph = None
                        continue
                    # an inline child above a block tag matches for certain (no element of its
                    # subtree changed name or place since the marking)
                    if child.tag not in _INLINE_TAGS or child in above_block or regexes["divToPElementsRe"].search(
                            etree.tounicode(child, method="html")):
                        paragraph = None
                        continue
                    if paragraph is None:
                        paragraph = lxml_html.fragment_fromstring("<p/>")
                        child.addprevious(paragraph)
                    paragraph.append(child)
                for pos, child in reversed(list(enumerate(elem))):
                    if child.tail and child.tail.strip():
                        p = lxml_html.fragment_fromstring("<p/>")
                        p.text = child.tail
                        child.tail = None
                        elem.insert(pos + 1, p)
                    if child.tag == "br":
                        child.drop_tree()

    return FastDocument
