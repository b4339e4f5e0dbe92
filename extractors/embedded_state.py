"""The article of a page rendered by script from its framework's state, when the markup has none.

Single-page-application news sites (Next.js, Nuxt, Gatsby and in-house React/Vue themes) send a
skeleton: the text is drawn in the reader's browser from a JSON state the page carries, in a
``<script type="application/json">`` element (``__NEXT_DATA__``, a Nuxt payload) or assigned to a
global in an inline script (``window.__INITIAL_STATE__ = {...}``). Every framework nests it
differently, so no path is looked up: the article is the state's longest string that reads as
prose (sentences of words, as text or as HTML paragraphs). Used only when the markup and JSON-LD
give (nearly) no text (``extractors.html``), so on ordinary pages it never runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from lxml import html as lxml_html
from lxml.html import HtmlElement

from extractors.readability_text import block_texts
from extractors.site_names import names_the_site, site_names_on_page, squashed

MAX_STATE_CHARS = 5_000_000  # a state this large is a catalogue, not one page's article
MIN_PROSE_WORDS = 40  # a teaser or a description is shorter; the article is what is looked for
_ASSIGNED_STATE = re.compile(r"^\s*(?:window\.|self\.|globalThis\.)?[\w$.\[\]\"']+\s*=\s*(\{.*\})\s*;?\s*$", re.S)
_TAG = re.compile(r"<[A-Za-z/!][^<>]*>")
_WORD = re.compile(r"[^\W\d_]{2,}")
_SENTENCE_END = re.compile(r"[.!?…։。](?:\s|$|<)")
_NOT_PROSE = re.compile(r"^(?:https?:|/|data:|[\w-]+\.(?:js|css|jpe?g|png|webp|svg)\b)")


def state_objects(tree: HtmlElement) -> Iterator[object]:
    """The JSON values the page's scripts carry: JSON script elements and ``x = {...}`` assignments."""
    for script in tree.iter("script"):
        kind = (script.get("type") or "").strip().lower()
        text = script.text or ""
        if not text.strip() or len(text) > MAX_STATE_CHARS or script.get("src"):
            continue
        if kind == "application/ld+json":
            continue  # schema.org is read as metadata (extractors.metadata), articleBody included
        if kind == "application/json":
            candidate = text
        elif kind in ("", "text/javascript", "application/javascript", "module"):
            found = _ASSIGNED_STATE.match(text)
            if not found:
                continue
            candidate = found.group(1)
        else:
            continue
        try:
            yield json.loads(candidate)
        except (ValueError, RecursionError):
            continue  # a script that only looks like an assignment of JSON


def _strings(value: object, depth: int = 0) -> Iterator[str]:
    if depth > 60:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)


def _prose_words(value: str) -> int:
    """Words of ``value`` when it reads as prose (text or HTML with sentences), else 0."""
    if len(value) < 200 or _NOT_PROSE.match(value):
        return 0
    text = _TAG.sub(" ", value) if "<" in value else value
    words = len(_WORD.findall(text))
    sentences = len(_SENTENCE_END.findall(value))
    if words < MIN_PROSE_WORDS or sentences < 2 or words < 0.5 * len(text.split()):
        return 0  # too short, no sentences, or mostly numbers, ids and code
    return words


# Keys under which a structured document (a rich-text tree: paragraphs of runs of text and links)
# keeps its text; the others (type, url, id, class...) describe it.
_TEXT_KEYS = frozenset("data text content value body html plain plaintext markdown caption".split())


def _run_text(value: object, depth: int = 0) -> str:
    """The text of one node of a structured document: its text runs in order."""
    if depth > 30:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_run_text(item, depth + 1) for item in value)
    if isinstance(value, dict):
        # nested nodes, and text under a text key; a list of bare strings under another key is
        # the node's marks, classes or tags (portable text's ``"marks": ["strong", "lnk1"]``)
        return "".join(_run_text(item, depth + 1) for key, item in value.items()
                       if key in _TEXT_KEYS or isinstance(item, dict)
                       or (isinstance(item, list) and not all(isinstance(x, str) for x in item)))
    return ""


def _lists(value: object, depth: int = 0) -> Iterator[list]:
    if depth > 60:
        return
    if isinstance(value, list):
        yield value
        items = value
    elif isinstance(value, dict):
        items = value.values()
    else:
        return
    for item in items:
        if isinstance(item, (list, dict)):
            yield from _lists(item, depth + 1)


def document_paragraphs(items: list) -> list[str]:
    """A list of paragraph nodes (each a run tree) as paragraphs, when it reads as an article."""
    paragraphs = [" ".join(_TAG.sub(" ", _run_text(item)).split()) for item in items if isinstance(item, (dict, list))]
    paragraphs = [p for p in paragraphs if len(_WORD.findall(p)) >= 3]
    if len(paragraphs) < 2 or len(_SENTENCE_END.findall("\n".join(paragraphs))) < 2:
        return []
    return paragraphs


def _words(paragraphs: list[str]) -> int:
    return sum(len(_WORD.findall(p)) for p in paragraphs)


def _folded(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _titled(value: object, title: str, depth: int = 0) -> Iterator[dict]:
    """The objects of the state that carry the page's headline as one of their own strings: the
    article's record. A state holds other stories too (related, most read, the next article)."""
    if depth > 60 or not isinstance(value, (dict, list)):
        return
    items = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict) and any(isinstance(v, str) and _same_title(v, title) for v in items):
        yield value
        return
    for item in items:
        yield from _titled(item, title, depth + 1)


def _same_title(value: str, title: str) -> bool:
    if len(value) > 4 * len(title) + 40:
        return False
    folded = _folded(value)
    return bool(folded) and (folded == title or (len(title.split()) >= 5 and folded.startswith(title)))


def article_paragraphs(tree: HtmlElement, title: str = "") -> list[str]:
    """The article in the page's script state ([] when none): its longest prose string (the body
    as text or HTML), or a list of paragraph nodes (a rich-text tree, each paragraph split into
    runs around its links), whichever holds more words; looked for in the objects that carry the
    page's ``title`` when there are any, so that a related story's text is not taken for it."""
    return _article(tree, title)[0]


def _headline_beside(states: list, source: object) -> str:
    """The ``title``/``headline``/``name`` string of the record nearest to the article's text."""
    if source is None:
        return ""
    for state in states:
        found = _headline_near(state, source, ())
        if found is not None:
            return found
    return ""


def _article(tree: HtmlElement, title: str) -> tuple[list[str], list, object]:
    states = list(state_objects(tree))
    wanted = _folded(title.rstrip(".…")) if title else ""
    titled = [record for state in states for record in _titled(state, wanted)] if wanted else []
    best, source = _longest_prose(titled or states)
    return best, states, source


def _longest_prose(records: list) -> tuple[list[str], object]:
    """The longest prose in ``records`` as paragraphs, and the string or list it was read from."""
    best: list[str] = []
    source: object = None
    for record in records:
        for value in _strings(record):
            if _prose_words(value) > _words(best):
                best, source = _as_paragraphs(value), value
        for items in _lists(record):
            paragraphs = document_paragraphs(items)
            if _words(paragraphs) > max(_words(best), MIN_PROSE_WORDS - 1):
                best, source = paragraphs, items
    return best, source


_HEADLINE_KEYS = ("headline", "title", "heading", "name")


def _headline_near(value: object, source: object, records: tuple[dict, ...], depth: int = 0) -> str | None:
    """Walk to ``source`` (by identity); then the nearest enclosing record's headline-like string."""
    if value is source:
        for record in reversed(records):
            for key in _HEADLINE_KEYS:
                text = record.get(key)
                if isinstance(text, str) and 2 <= len(text.split()) <= 30 and not _NOT_PROSE.match(text):
                    return " ".join(text.split())
        return ""
    if depth > 60 or not isinstance(value, (dict, list)):
        return None
    if isinstance(value, dict):
        records = (*records, value)
    for item in value.values() if isinstance(value, dict) else value:
        found = _headline_near(item, source, records, depth + 1)
        if found is not None:
            return found
    return None


def _as_paragraphs(value: str) -> list[str]:
    if _TAG.search(value):
        try:
            return block_texts(lxml_html.fragment_fromstring(value, create_parent="div"))
        except (ValueError, lxml_html.etree.ParserError):
            return []
    return [" ".join(line.split()) for line in value.splitlines() if line.strip()]


def names_only_the_site(tree: HtmlElement, title: str, site_name: str, host: str) -> bool:
    """Is the page's <title> empty or the site's name? A script-rendered page often sets its tab
    title to the site's name (which the state's site record carries too) and draws the headline."""
    names = {squashed(name) for name in (site_name, *site_names_on_page(tree, host))} - {""}
    return not title or names_the_site(title, names)


def script_rendered_texts(article_body: str, page: Callable[[], HtmlElement], title: str,
                          site_name: str = "", host: str = "") -> Iterator[tuple[str, str]]:
    """The texts a script-rendered page may hold its article in, surest first, each with the
    headline found beside it ("" when none): the ``articleBody`` of its JSON-LD, then its
    script state (``page`` is asked for only then). A <title> that only names the site is no key
    to the article's record: the whole state is searched, and the record's headline returned."""
    if article_body:
        yield article_body, ""
    tree = page()
    if names_only_the_site(tree, title, site_name, host):
        paragraphs, states, source = _article(tree, "")
        yield "\n".join(paragraphs), _headline_beside(states, source)
    else:
        yield "\n".join(article_paragraphs(tree, title)), ""
