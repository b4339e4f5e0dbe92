"""HTML page → ExtractedArticle: trafilatura for the body, plus general rules around it.

Pipeline: decode the bytes (`extractors.charsets`: BOM, HTTP charset, <meta charset>, UTF-8, cp1252) → parse once →
read metadata (JSON-LD, OpenGraph, canonical, lang) from the intact tree → prune boilerplate
regions (html_prune.prune_tree) → trafilatura on the pruned tree → drop chrome paragraphs,
repeats and the site's known boilerplate → pick the date (dates.choose_date).
"""

from __future__ import annotations

import codecs
import copy
import logging
import re
from datetime import datetime
from urllib.parse import urlsplit

from extractors.article import too_short
from extractors.charsets import charset_label, decode_html, http_charset, meta_charset, settle_charset  # noqa: F401 - re-exported
from extractors.dates import choose_date
from extractors.embedded_state import script_rendered_texts
from extractors.flight_data import MARKER as FLIGHT_MARKER, flight_page
from extractors.ensemble import combine, confirmed_by_second, needs_second_opinion
from extractors.readability_text import readability_paragraphs
from extractors.errors import ExtractionError
from extractors.html_cleanup import clean_paragraphs
from extractors.html_prune import drop_teaser_items, prune_tree, without_comments_or_related
from extractors.html_tree import unwrap_source_lines
from extractors.metadata import read_metadata
from extractors.page_items import keep_item_named_by_url, keep_story_named_by_url
from extractors.records import ExtractedArticle
from extractors.titles import is_error_page_title, several_headlines
from extractors.templates import drop_template_paragraphs, index_blocks, main_path, page_blocks, paragraph_paths, split_known

LOGGER = logging.getLogger(__name__)

try:
    from importlib.metadata import version as _version

    _TRAFILATURA_VERSION = _version("trafilatura")
except Exception:  # pragma: no cover
    _TRAFILATURA_VERSION = "unknown"

# Bump the number whenever the text or metadata this module produces changes.
EXTRACTOR_NAME = f"newswatch-html/2 (trafilatura {_TRAFILATURA_VERSION} + readability-lxml)"
# Fewer words than this is a menu or an error page, not an article.
MIN_ARTICLE_WORDS = 8
NEARLY_EMPTY_WORDS = 20  # below this the unpruned page gets a last try
ERROR_PAGE_MAX_WORDS = 200  # a "not found" page says little; an article about an error says more


# --- recognition ---------------------------------------------------------------------------

_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"\x00\x00\x01\x00")
_SNIFF_CHARS = 4096
# A document's own frame: doctype, <html>, <head> or <body>. Found anywhere in the first few KB,
# whatever precedes it (a stray byte, "?", a PHP warning, a <style> or <script> block, comments).
_HTML_FRAME = re.compile(r"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I)
_XHTML = re.compile(r"<html[^>]*xmlns\s*=\s*[\"']http://www\.w3\.org/1999/xhtml", re.I)
_FEED_ROOT = re.compile(r"<(?:rss|feed|rdf:RDF|urlset|sitemapindex|opml)[\s>]", re.I)
# Tags that only HTML documents carry; several distinct ones make a headless fragment HTML.
_HTML_TAGS = re.compile(r"<(p|div|span|a|br|b|i|table|meta|title|script|style|link|ul|li|h[1-6]|article|section|img)"
                        r"[\s/>]", re.I)
_CLOSING_TAG = re.compile(r"</(p|div|span|a|b|i|table|title|script|style|ul|li|h[1-6]|article|section)>", re.I)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)


def looks_like_html(data: bytes | str) -> bool:
    """True when the content has HTML structure (a document or a clear fragment), by content only.

    Structure counts, not the first byte: pages often open with junk the server or CMS put
    there (a BOM or stray byte, "?", PHP notices in <br /><b>...</b>, a bare <style> or <script>
    block, comments). Feeds and other XML, plain text and binary files are not HTML.
    """
    if isinstance(data, bytes):
        head_bytes = data[:_SNIFF_CHARS]
        if any(head_bytes.startswith(m) for m in _BINARY_MAGIC):
            return False
        if b"\x00" in head_bytes and not head_bytes.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return False
        head = decode_html(head_bytes)
    else:
        head = data[:_SNIFF_CHARS]
        if "\x00" in head:
            return False
    head = head.lstrip("\ufeff")
    stripped = head.lstrip()
    if stripped.startswith("<?xml"):
        # XHTML is HTML; a feed, sitemap or any other XML vocabulary is not.
        return bool(_XHTML.search(head)) and not _FEED_ROOT.search(head)
    frame = _HTML_FRAME.search(head)
    feed = _FEED_ROOT.search(head)
    if frame and (feed is None or frame.start() < feed.start()):
        return True
    if feed is not None:
        return False
    # No frame: a fragment is HTML when it is made of several distinct HTML elements, some of
    # them closed (prose mentioning "<Tbilisi>" or one "<b>" is not).
    opened = {m.group(1).lower() for m in _HTML_TAGS.finditer(head)}
    closed = {m.group(1).lower() for m in _CLOSING_TAG.finditer(head)}
    if _SCRIPT_OR_STYLE.search(head):
        return True
    return len(opened) >= 2 and bool(closed)


def strip_leading_junk(text: str) -> str:
    """The document from its HTML frame on, when bytes that are not markup precede it.

    A PHP warning or a stray "?" before <!DOCTYPE> would otherwise become the parser's first
    text node (and the article's first line); comments, <style> and <script> before the frame
    are dropped too since they carry no text.
    """
    frame = _HTML_FRAME.search(text[:_SNIFF_CHARS])
    if frame is None or frame.start() == 0 or not text[:frame.start()].strip():
        return text
    return text[frame.start():]


# An element with thousands of attributes: libxml2 checks each new attribute against the ones before
# (quadratic: 40,000 take 1.7 s to parse, 300,000 ten minutes, in C where no signal reaches). No page
# needs more than a few dozen; such a tag keeps its name and loses its attributes, which are never text.
_LONG_TAG = re.compile(r"<([A-Za-z][\w:.-]*)(\s[^<>]{16384,})>")
MAX_ATTRIBUTES = 256


def tame_attribute_floods(text: str) -> str:
    """``text`` with every tag of more than ``MAX_ATTRIBUTES`` attributes reduced to its bare name."""
    if len(text) < 16384:
        return text

    def shrink(match: re.Match) -> str:
        return match.group(0) if match.group(2).count("=") <= MAX_ATTRIBUTES else f"<{match.group(1)}>"

    return _LONG_TAG.sub(shrink, text)


# --- extraction ------------------------------------------------------------------------------

# trafilatura settings: no comments (they are not the article), tables kept (old portals put the
# text in them, and layout tables are unwrapped before), fast mode first: its main extractor on
# the pruned tree scores as well as the full cascade, at two thirds of the time. The full
# cascade (readability and justext comparison) runs only when the fast result looks wrong.
_TRAFILATURA_OPTIONS = dict(include_comments=False, include_tables=True, include_images=False,
                            include_links=False, favor_precision=False, with_metadata=False)
_MIN_WORDS = 40  # below this a news page's body was most likely missed
_DUMP_LINE_WORDS = 3  # a page dump is mostly lines this short (menus, link lists)


def _looks_wrong(text: str) -> bool:
    """An extraction that missed the body: nearly empty, or a dump of menu lines."""
    lines = [line for line in text.split("\n") if line.strip()]
    if sum(len(line.split()) for line in lines) < _MIN_WORDS:
        return True
    short = sum(1 for line in lines if len(line.split()) <= _DUMP_LINE_WORDS)
    return len(lines) >= 15 and short >= 0.6 * len(lines)


def _word_count(paragraphs: list[str]) -> int:
    return sum(len(re.findall(r"\w+", p)) for p in paragraphs)


def _fingerprinter():
    """The boilerplate fingerprint function, if that module exists yet (it is optional)."""
    try:
        from extractors.boilerplate import paragraph_fingerprint
    except ImportError:
        return None
    return paragraph_fingerprint


def _parse(text: str):
    from extractors.html_tree import load_html  # trafilatura's, with element classes looked up in C

    try:
        tree = load_html(text)
    except Exception as err:  # lxml and trafilatura raise assorted errors on broken input
        raise ExtractionError(f"unparseable HTML: {err}") from err
    if tree is None:
        raise ExtractionError("not an HTML document")
    return tree


class _IntactPage:
    """The page before pruning, for the opinions that must not see our pruning (readability, the
    date line, the unpruned last try): one deep copy of the parse (C, ~4x cheaper than parsing
    the text again). Readers share it; readability, which changes what it reads, takes it over
    (saving its own copy, ~1 ms a page); whoever comes after gets the text parsed again and
    copied (rare: readability's lenient retry, the unpruned last try on nearly empty bodies).
    The parse is deterministic, so every tree handed out is the same page."""

    def __init__(self, tree, source: str):
        self._tree = copy.deepcopy(tree)
        self._source = source

    def read(self):
        """The intact page, for a reader that does not change it."""
        if self._tree is None:
            self._tree = copy.deepcopy(_parse(self._source))  # copied as the first one was
        return self._tree

    def take(self):
        """The intact page, for a reader that changes it: nobody else gets this tree."""
        tree, self._tree = self.read(), None
        return tree


def _trafilatura(tree, url: str | None, fast: bool) -> str:
    from trafilatura import bare_extraction

    unwrap_source_lines(tree)
    try:
        document = bare_extraction(tree, url=url, fast=fast, **_TRAFILATURA_OPTIONS)
    except Exception as err:
        raise ExtractionError(f"trafilatura failed: {err}") from err
    return (document.text or "") if document is not None else ""


def _body_text(tree, url: str | None) -> str:
    """Fast extraction, and the full cascade as a second opinion when the first looks wrong."""
    text = _trafilatura(tree, url, fast=True)
    if _looks_wrong(text):
        second = _trafilatura(tree, url, fast=False)
        if not _looks_wrong(second) or len(second.split()) > len(text.split()):
            text = second
    return text


# The zero-width non-joiner is part of Persian (and Kurdish, Urdu...) spelling: "راه‌آهن" (railway)
# without it is misspelt, and no longer matches a copy that has it. trafilatura drops every
# character Python calls unprintable, so it crosses the extraction as the (printable) object
# replacement character, which no article text uses, and comes back at the end.
ZWNJ, _ZWNJ_KEPT = "\u200c", "\ufffc"


FLIGHT_GAIN = 1.5  # the page drawn from its flight rows says this much more than its markup


def _flight_paragraphs(page, url: str | None, known_fingerprints, fingerprint, titles) -> list[str]:
    """The body of the page its flight rows draw ([] without rows), read as any page is."""
    drawn = flight_page(page)
    if drawn is None:
        return []
    tree = _parse(drawn)
    prune_tree(tree)
    drop_teaser_items(tree)
    return clean_paragraphs(_body_text(tree, url), known_fingerprints, fingerprint, titles=titles)


def extract_html(
    html: bytes | str,
    *,
    url: str | None = None,
    feed_published: str | datetime | None = None,
    now: datetime | None = None,
    known_boilerplate: frozenset[str] = frozenset(),
) -> ExtractedArticle:
    """The article in a page; raises ExtractionError when there is no article text."""
    text = decode_html(html) if isinstance(html, bytes) else html
    if not text or not text.strip():
        raise ExtractionError("empty page")
    source = tame_attribute_floods(strip_leading_junk(text)).replace(ZWNJ, _ZWNJ_KEPT)
    tree = _parse(source)
    keep_item_named_by_url(tree, url, source)  # a channel's or list page's other items, when the URL names one
    keep_story_named_by_url(tree, url, source)  # an endless page's next stories, when the URL is one story's address
    meta = read_metadata(tree, url)
    titles = (meta.title, meta.headline)
    known_fingerprints, template_paths = split_known(known_boilerplate)
    fingerprint = _fingerprinter() if known_fingerprints else None
    blocks = index_blocks(tree)  # block paths of the intact page, for the site's template memory
    several = several_headlines(tree)
    intact = _IntactPage(tree, source)
    prune_tree(tree)
    # the date now, while the intact page is still the copy (readability takes it over below);
    # it reads only the two trees, which nothing after this changes
    date = choose_date(markup_value=meta.published, markup_source=meta.published_source, tree=tree,
                       url=meta.canonical_url or url, feed_published=feed_published, now=now,
                       intact_tree=intact.read())
    drop_teaser_items(tree)  # after the date: a column's stamps tell the page's zone
    primary = clean_paragraphs(_body_text(tree, url), known_fingerprints, fingerprint, titles=titles)
    second: list[str] = []
    if needs_second_opinion(primary):
        # readability reads the intact page (not our pruned tree) so that its opinion stays
        # independent of our pruning; only comments sections headed as such and labelled related
        # boxes are cut first: never the article, and readability scores a long thread as the body
        second = clean_paragraphs("\n".join(readability_paragraphs(lambda: without_comments_or_related(intact.take()))),
                                  known_fingerprints, fingerprint, titles=titles)
    paragraphs, _how = combine(primary, second, several_stories=several)
    paths = paragraph_paths(paragraphs, blocks)
    main = main_path(paragraphs, paths)
    paragraphs = drop_template_paragraphs(paragraphs, paths, template_paths, main)
    confirmed = confirmed_by_second(paragraphs, second) and not too_short("\n".join(paragraphs), meta.title)
    if _word_count(paragraphs) < NEARLY_EMPTY_WORDS and not confirmed:
        # Both opinions (nearly) empty: our pruning may have taken the body with the chrome
        # (table-layout pages, bodies inside link-dense cells). trafilatura's full cascade on the
        # intact page is the last opinion, used when it says more. Only for nearly empty results:
        # on short but real bodies it adds the chrome back (measured: -0.008 F1 on Dragnet), and so
        # it did on short bodies that readability, reading the intact page, confirms (unless they
        # are too short to be stored at all: then some text beats none).
        unpruned = clean_paragraphs(_trafilatura(intact.read(), url, fast=False),  # trafilatura works on a copy
                                    known_fingerprints, fingerprint, titles=titles)
        if _word_count(unpruned) > _word_count(paragraphs):
            paragraphs = unpruned
    if FLIGHT_MARKER in source:
        # A Next.js app-router page: what its browser-only components draw is only in the flight rows
        drawn = _flight_paragraphs(intact.read(), url, known_fingerprints, fingerprint, titles)
        if _word_count(drawn) >= FLIGHT_GAIN * max(_word_count(paragraphs), NEARLY_EMPTY_WORDS):
            paragraphs = drawn
    written_by_script = script_rendered_texts(meta.article_body, intact.read, meta.title, meta.site_name,
                                              urlsplit(url or "").hostname or "")
    title = meta.title
    while _word_count(paragraphs) < NEARLY_EMPTY_WORDS:  # checked before each (costly) next text
        # Nothing in the markup: a page rendered by script in the reader's browser, whose only copy
        # of the text is its JSON-LD articleBody or the state its script draws from
        written, headline = next(written_by_script, (None, ""))
        if written is None:
            break
        drawn = clean_paragraphs(written, known_fingerprints, fingerprint, titles=titles)
        if _word_count(drawn) > _word_count(paragraphs):
            paragraphs, title = drawn, headline or title
    body = "\n".join(paragraphs).replace(_ZWNJ_KEPT, ZWNJ)
    words = len(re.findall(r"\w+", body))
    if words < MIN_ARTICLE_WORDS and too_short(body, title):  # a flash that restates its headline is an article
        raise ExtractionError("no article text found")
    if words < ERROR_PAGE_MAX_WORDS and is_error_page_title(meta.title):
        # a site answering 200 for an article it removed: its "not found" page, with a search box or
        # a few headlines, is no article (stored flagged, never in a digest)
        raise ExtractionError(f"an error page, not an article (title: {meta.title[:80]!r})")
    return ExtractedArticle(
        text=body,
        title=title.replace(_ZWNJ_KEPT, ZWNJ),
        author=meta.author.replace(_ZWNJ_KEPT, ZWNJ),
        published=date.value,
        published_source=date.source,
        canonical_url=meta.canonical_url,
        declared_language=meta.declared_language,
        site_name=meta.site_name,
        extractor=EXTRACTOR_NAME,
        site_blocks=page_blocks(blocks, main),
    )
