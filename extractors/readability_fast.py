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
  answer for a "class id" string is remembered (pages repeat their class names). The two
  case-blind patterns cost ~4 µs per string (twenty alternatives tried at every character); an
  ASCII string is lower-cased and searched with the same alternatives case-sensitively (6x
  faster, and the same answer: no ASCII character matches a lower-case ASCII letter case-blind
  but its own two cases). The ancestor and descendant tests are XPaths compiled once.
- **Misused divs.** readability serialises the children of *every* div to look for a block tag in
  the markup — each nested div re-serialises its whole subtree. A div that has a descendant
  element whose tag starts like one of the tags the pattern looks for certainly matches (its start
  tag is in the markup): one pass marks the ancestors of such elements; only the other divs (and,
  in the second step, the other inline children of divs) are serialised and searched.
- **Debug descriptions.** readability builds a description of a node for each debug message
  (``"%s" % describe(node)``) even when debug logging is off; ``describe`` answers "" then.
- **clean().** readability cleans the whitespace of an element's text for every length it
  measures (about 200 calls per page, on the text of whole containers too), with three patterns
  that try a match at every character and backtrack through whitespace runs. Each of them changes
  a text run by run (whitespace stays whitespace, so the runs never merge), so one pass over the
  runs that any of them changes gives the same text; a text none of them can change is only
  stripped. ``_clean`` says why each run comes out as readability's (equal on all 214,619 texts
  it cleaned on 1083 pages and on generated whitespace; 2.2x faster than the three passes).

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
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# the test for a namespaced element, whose XPath name() is not its lxml tag (the HTML parser
# makes none; kept exact all the same)
_SELF_BLOCK_NAMED = etree.XPath(
    "self::*[" + " or ".join(
        f"starts-with(translate(name(), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '{p}')"
        for p in _BLOCK_PREFIXES) + "]")
# "descendant::" is ".//" without its descendant-or-self::node() step (the same elements, faster)
_WITH_CLASS_OR_ID = etree.XPath("descendant::*[@class or @id]")
_IN_CODE = etree.XPath("ancestor-or-self::pre | ancestor-or-self::code")
_HOLDS_ARTICLE = etree.XPath("descendant-or-self::main | descendant-or-self::article | descendant-or-self::math")
_INLINE_TAGS = frozenset({"a", "b", "cite", "code", "em", "font", "i", "small", "span", "strong", "sub", "sup", "u"})

# clean()'s work is per whitespace run. This finds, from its start, every run readability's
# patterns change: two characters or more, or a lone tab. A lone space, newline or other space
# stays as it is.
_CHANGED_RUN = re.compile(r"\s(?<!\s\s)(?:\s+|(?<=\t))")
# readability's r"\t|[ \t]{2,}" as a run's last step: a tab alone when it comes first (the first
# alternative wins), else a space followed by more spaces or tabs, all of them
_TAB_OR_SPACES = re.compile(r"[ \t](?:(?<=\t)|[ \t]+)")
_LONG_RUN = 255

# hidden elements: one predicate (the union of "//*[@hidden]" and "//*[contains(translate(@style,
# ...), 'display:none')]" is the same elements, in the same document order); the translation of
# a style only where there is one
_HIDDEN = etree.XPath("//*[@hidden or @style and contains(translate(@style, 'DISPLAYNOE ', 'displaynoe'), 'display:none')]")

_document_class = None


def scoring_input(source) -> HtmlElement:
    """The page readability scores: a copy (or a parse) without scripts, styles, comments and
    hidden elements, which its general Cleaner would otherwise remove at a higher cost.

    ``source`` may also be a function giving a tree of the caller's to change in place (one
    call per parse: readability parses again for its lenient retry)."""
    if callable(source):
        doc = source()
    elif isinstance(source, HtmlElement):
        doc = copy.deepcopy(source)
    else:
        doc = lxml_html.document_fromstring(source)
    etree.strip_elements(doc, "script", "style", "link", "noscript", "template", "iframe",
                         etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for element in _HIDDEN(doc):
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
    r"""readability's ``clean``: r"\s{255,}" → 255 spaces, then r"\s*\n\s*" → newline, then
    r"\t|[ \t]{2,}" → space, then strip; in one pass over the runs those change."""
    if len(text) < _LONG_RUN and "\n" not in text and "\t" not in text and "  " not in text:
        return text.strip()  # no run of 255, no newline, no tab, no two spaces: nothing to change
    return _CHANGED_RUN.sub(_cleaned_run, text).strip()


def _cleaned_run(match: re.Match) -> str:
    run = match.group()
    if len(run) >= _LONG_RUN:
        return " "  # 255 spaces after the first pattern; the third makes them one
    if "\n" in run:
        return "\n"  # the second pattern takes a whole run holding a newline; the third keeps it
    return _TAB_OR_SPACES.sub(" ", run)


def _block_named(root: HtmlElement) -> list[HtmlElement]:
    """The elements under ``root`` whose lower-cased name starts like a block tag, as the XPath
    ``starts-with(translate(name(), A-Z, a-z), prefix)`` finds them, in Python: ten times faster
    than that XPath, which translates every element's name eight times."""
    found = []
    for element in root.iterdescendants():
        tag = element.tag
        if not isinstance(tag, str):
            continue  # comments, processing instructions and entities are not elements
        if tag[:1] == "{":
            if _SELF_BLOCK_NAMED(element):
                found.append(element)
        elif (tag if tag.islower() else tag.translate(_ASCII_LOWER)).startswith(_BLOCK_PREFIXES):
            found.append(element)
    return found


def _build():
    import readability.readability as module
    from readability import Document

    regexes = module.REGEXES
    describe = module.describe

    def describe_when_logged(node, depth=1):
        return describe(node, depth) if module.log.isEnabledFor(logging.DEBUG) else ""

    unlikely_re, maybe_re = regexes["unlikelyCandidatesRe"], regexes["okMaybeItsACandidateRe"]
    # the same alternatives, case-sensitive, for lower-cased ASCII text (readability's are
    # case-blind, and lower-case ASCII: checked, else the fast path is not taken)
    lower_ascii = all(p.flags & re.I and p.pattern.isascii() and p.pattern == p.pattern.lower()
                      for p in (unlikely_re, maybe_re))
    unlikely_lower, maybe_lower = re.compile(unlikely_re.pattern), re.compile(maybe_re.pattern)

    @functools.lru_cache(maxsize=4096)
    def unlikely(names: str) -> bool:
        """readability's two tests of a "class id" string (pages repeat their class names)."""
        if lower_ascii and names.isascii():
            lower = names.lower()
            return bool(unlikely_lower.search(lower)) and not maybe_lower.search(lower)
        return bool(unlikely_re.search(names)) and not maybe_re.search(names)

    module.describe = describe_when_logged
    module.clean = _clean

    class FastDocument(Document):
        def _parse(self, input):  # noqa: A002 - readability's own signature
            self.encoding = "utf-8"
            return scoring_input(input)

        def remove_unlikely_candidates(self):
            elements = _WITH_CLASS_OR_ID(self.html)
            at = 0
            while at < len(elements):
                elem = elements[at]
                at += 1
                s = "{} {}".format(elem.get("class", ""), elem.get("id", ""))
                if len(s) < 2:
                    continue
                if (
                    unlikely(s)
                    and elem.tag not in ["html", "body"]
                    and not _IN_CODE(elem)
                    and not _HOLDS_ARTICLE(elem)
                ):
                    # Its descendants with a class or an id come next in the list (document
                    # order; no earlier drop touched its subtree). readability visits them too,
                    # and drops most (nested "footer"s, "menu"s: 86 % of its drops), but inside
                    # a subtree already cut from the page, which changes nothing it reads later.
                    at += len(_WITH_CLASS_OR_ID(elem))
                    elem.drop_tree()

        def transform_misused_divs_into_paragraphs(self):
            # every element above a block-named one (renaming a div to p below changes no answer:
            # whatever sits above it had the div below it already)
            above_block = set()
            for element in _block_named(self.html):
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
