"""Site templates learned from structure: DOM paths of blocks that recur on a site's pages.

A "most read" list, a news ticker or a legal banner keeps its place in a site's markup on every
page while its text changes (the headlines rotate), so text fingerprints (``boilerplate.py``)
miss it. Its *path* does not change: the chain of tags and class names from <body> down to the
block (``div.sidebar > div.widget > ul.news-list > li``). Per-page ids and numbers are left
out of the path (``post-4711``, ``item-3``), so the same template block gives the same path on
every page.

For each page ``page_blocks`` reports every text block's path with two facts: did the path carry
most of the extracted body on this page (the *main* path), and were its blocks short or mostly
link text (*chrome-like*). ``boilerplate.SiteMemory`` counts these per site. A path is
**template** when it occurs on at least ``min_docs`` pages of the site, was never the main path,
and was chrome-like on nearly all of them. ``drop_template_paragraphs`` removes body paragraphs
whose block has a template path, but only outside the span of the page's main-path paragraphs
(a subheading between two body paragraphs stays) and never most of the body.

Pure: no storage. Paths are stored as short hashes.
"""

from __future__ import annotations

import functools
import hashlib
import re

from lxml.html import HtmlElement

PATH_DEPTH = 6  # ancestors kept in a path: enough to tell a sidebar list from the article body
TEXT_BLOCKS = frozenset("p li h1 h2 h3 h4 h5 h6 td th dd dt blockquote pre figcaption div span".split())
CHROME_BLOCK_WORDS = 12  # blocks this short on average are headline items, labels, tickers
CHROME_LINK_SHARE = 0.5
MAX_BLOCK_CHARS = 3000  # longer blocks are containers, not paragraphs
MIN_KEPT_SHARE = 0.3
PATH_PREFIX = "path:"  # how template paths travel in the known-boilerplate set

_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")
# class tokens that only number things (``item-3``, ``post-4711``, ``col-md-6``) say nothing of the template
_NUMBERING = re.compile(r"^[\W_]*$")


def _comparable(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _step(element: HtmlElement) -> str:
    tag = element.tag if isinstance(element.tag, str) else "?"
    return _step_of(tag, element.get("class") or "")


@functools.lru_cache(maxsize=16384)
def _step_of(tag: str, class_attr: str) -> str:
    if not class_attr:
        return tag
    numbered = _DIGITS.search(class_attr) is not None  # casefolding makes no digits
    classes = set()
    for token in class_attr.split():
        token = _DIGITS.sub("", token.casefold()) if numbered else token.casefold()
        if not _NUMBERING.match(token):
            classes.add(token.strip("-_"))
    return tag + "".join(f".{c}" for c in sorted(classes))


def _hash(steps: list[str]) -> str:
    return hashlib.blake2b(">".join(steps).encode("utf-8"), digest_size=8).hexdigest()


def block_path(element: HtmlElement) -> str:
    """The hashed tag/class chain of an element, up to ``PATH_DEPTH`` levels, stopping at <body>."""
    steps = [_step(element)]
    for ancestor in element.iterancestors():
        if ancestor.tag in ("body", "html") or len(steps) >= PATH_DEPTH:
            break
        steps.append(_step(ancestor))
    return _hash(list(reversed(steps)))


_LEAF_BLOCKS = TEXT_BLOCKS - {"div", "span"}
_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "head"})
_BLOCK_TAGS, _SKIP_TAGS = tuple(TEXT_BLOCKS), tuple(_SKIP)


def index_blocks(tree: HtmlElement) -> dict[str, tuple[str, HtmlElement]]:
    """Comparable text → (path, element) for the innermost block holding exactly that text.

    Paragraph-like tags always count; a div or span only when it holds text of its own (text
    directly in it); nothing inside script, style and the like. The blocks come from one tag
    walk in C, in document order, so a descendant with the same text as its block overwrites
    it (the innermost block wins). Paths are built only for blocks' ancestors, each once (the
    blocks of a list or a body share their parent's chain): ~0.7x the time of a walk that
    built every element's chain in Python.
    """
    root = tree.find("body")
    root = root if root is not None else tree
    skipped = set()
    for outer in root.iterdescendants(*_SKIP_TAGS):
        skipped.update(outer.iter())
    chains: dict[HtmlElement, tuple[str, ...]] = {root: ()}
    keys: dict[str, str] = {}  # a third of the blocks repeat a text (an <li> and its <p>, a cell and its <div>)
    index: dict[str, tuple[str, HtmlElement]] = {}
    for element in root.iterdescendants(*_BLOCK_TAGS):
        tag = element.tag
        if tag not in _LEAF_BLOCKS and not (element.text and element.text.strip()):
            continue
        if skipped and element in skipped:
            continue
        text = element.text_content()
        if not text or len(text) > MAX_BLOCK_CHARS:
            continue
        key = keys.get(text)
        if key is None:
            key = keys[text] = _comparable(text)
        if key:
            above = chains.get(element.getparent())
            if above is None:
                above = _chain_above(element, chains)
            index[key] = (_chain_hash((*above, _step_of(tag, element.get("class") or ""))[-PATH_DEPTH:]), element)
    return index


def _chain_above(element: HtmlElement, chains: dict[HtmlElement, tuple[str, ...]]) -> tuple[str, ...]:
    """The class steps of the element's ancestors below the root (the last ``PATH_DEPTH``),
    from the nearest ancestor already in ``chains`` down; each ancestor's chain is kept."""
    parent = element.getparent()
    missing = [parent]
    for ancestor in parent.iterancestors():
        above = chains.get(ancestor)
        if above is not None:
            break
        missing.append(ancestor)
    for ancestor in reversed(missing):
        above = chains[ancestor] = (*above, _step_of(ancestor.tag, ancestor.get("class") or ""))[-PATH_DEPTH:]
    return above


@functools.lru_cache(maxsize=4096)
def _chain_hash(chain: tuple[str, ...]) -> str:
    """``_hash`` of a path, memoised: the blocks of a list or a body share their path."""
    return _hash(list(chain))


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def paragraph_paths(paragraphs: list[str], index: dict[str, tuple[str, HtmlElement]]) -> list[str]:
    """The block path of each paragraph ("" when its block is not found, e.g. a merged cell)."""
    return [index.get(_comparable(p.lstrip("-• ")), ("", None))[0] for p in paragraphs]


def main_path(paragraphs: list[str], paths: list[str]) -> str:
    """The path that carries most of the body's prose on this page.

    Only a paragraph's words beyond a headline's length count (a list of ten headlines has
    many words but no prose); plain word counts decide when no paragraph is that long.
    """
    counts = [_words(paragraph) if path else 0 for paragraph, path in zip(paragraphs, paths)]
    for floor in (CHROME_BLOCK_WORDS, 0):
        weight: dict[str, int] = {}
        for count, path in zip(counts, paths):
            if path:
                weight[path] = weight.get(path, 0) + max(0, count - floor)
        if weight and max(weight.values()) > 0:
            return max(weight, key=weight.get)
    return ""


def page_blocks(index: dict[str, tuple[str, HtmlElement]], main: str) -> tuple[tuple[str, int, int], ...]:
    """(path, is main, chrome-like) for every text-block path of the page: what the site memory learns."""
    words: dict[str, list[int]] = {}
    link_words: dict[HtmlElement, int] = {}  # a link sits in several nested blocks: counted once
    for key, (path, element) in index.items():
        total = key.count(" ") + 1  # a key is its words joined by single spaces
        links = 0
        for a in element.iter("a"):
            count = link_words.get(a)
            if count is None:
                count = link_words[a] = _words(a.text_content())
            links += count
        counts = words.setdefault(path, [0, 0, 0])
        counts[0] += 1
        counts[1] += total
        counts[2] += links
    out = []
    for path, (blocks, total, links) in words.items():
        chrome = total / blocks <= CHROME_BLOCK_WORDS or (total and links >= CHROME_LINK_SHARE * total)
        out.append((path, int(path == main), int(bool(chrome))))
    return tuple(sorted(out))


def drop_template_paragraphs(paragraphs: list[str], paths: list[str], templates: frozenset[str],
                             main: str) -> list[str]:
    """The body without paragraphs in template blocks outside the main path's span.

    Keeps everything when no main path is known on the page or when the drop would leave less
    than ``MIN_KEPT_SHARE`` of the body's words (then the "template" is this page's content).
    """
    if not templates or not main:
        return list(paragraphs)
    positions = [i for i, path in enumerate(paths) if path == main]
    first, last = positions[0], positions[-1]
    kept = [p for i, (p, path) in enumerate(zip(paragraphs, paths))
            if first <= i <= last or path not in templates]
    if sum(map(_words, kept)) < MIN_KEPT_SHARE * sum(map(_words, paragraphs)):
        return list(paragraphs)
    return kept


def split_known(known: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(paragraph fingerprints, template paths) from the one set the site memory hands out."""
    paths = frozenset(k[len(PATH_PREFIX):] for k in known if k.startswith(PATH_PREFIX))
    return (known - {PATH_PREFIX + p for p in paths} if paths else known), paths
