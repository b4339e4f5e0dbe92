"""A fetched page's metadata, kept beside its raw page, and the one way back to a record.

The record a poll stores is a function of three things: the raw page, what the feed said
about it (entry title, author, date, summary) and how it was fetched (final URL, content
type, time). The raw page is kept in ``raw/``; the other two are kept in a small write-once
JSON object, ``raw-meta/<yyyy>/<mm>/<dd>/<id>.json`` (``PageMeta``), written just before
the record. ``rebuild_record`` turns raw page + metadata back into the record with the
current extractor and gazetteer. The poll builds its records through the same two steps
(``extract_article`` then ``record_from_page``), so a reprocess right after a poll gives the
record the poll stored, and a field that came from the feed can never be lost by it.
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from extractors.article import canonical_for, extract_document, make_record
from extractors.ensemble import text_shingles
from extractors.errors import ExtractionError, NewswatchError
from extractors.records import ArticleRecord, ExtractedArticle, Feed, FeedEntry, FetchedPage, checked_fields
from extractors.urls import SHARED_LINK_ITEM, normalise_url
from storage import layout

META_SCHEMA = 1


@dataclass(frozen=True)
class PageMeta:
    """What the feed said about a page and how the page was fetched (JSON beside the raw page)."""

    feed_id: str
    link: str  # the entry's link, normalised: the record's ``url``
    polled_at: str  # the run's time: the extractor's "now" (no date after it) and a new record's first_seen
    title: str = ""
    author: str = ""
    published: str | None = None  # the entry's date, ISO 8601 UTC
    summary: str = ""
    guid: str = ""
    entry_language: str | None = None  # the feed channel's declared language
    feed_language: str | None = None  # the language feeds.yaml declares for the outlet
    feed_country: str | None = None  # the outlet's country in feeds.yaml (the digest's fallback)
    fetched_url: str = ""
    final_url: str = ""  # after redirects: the base for relative links and the canonical's fallback
    status: int | None = None
    content_type: str = ""  # the HTTP header: its charset outranks the page's <meta>
    fetched_at: str | None = None
    from_feed: bool = False  # the "page" is the feed's own full text (the page itself could not be had)
    article_id: str = ""  # filled when the record is written: identity survives a changed extractor
    canonical_url: str = ""
    first_seen: str = ""
    schema: int = META_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PageMeta":
        return cls(**checked_fields(cls, data))  # ValueError for a damaged object

    def entry(self) -> FeedEntry:
        published = layout.as_utc(self.published) if self.published else None
        return FeedEntry(feed_id=self.feed_id, link=self.link, title=self.title, published=published,
                         author=self.author, summary=self.summary, guid=self.guid, language=self.entry_language)


def page_meta(feed: Feed, entry: FeedEntry, page: FetchedPage, polled_at: datetime, *, from_feed: bool = False) -> PageMeta:
    return PageMeta(
        feed_id=feed.id, link=entry.link, polled_at=polled_at.isoformat(), title=entry.title, author=entry.author,
        published=entry.published.isoformat() if entry.published else None, summary=entry.summary, guid=entry.guid,
        entry_language=entry.language, feed_language=feed.language, feed_country=feed.country,
        fetched_url=page.url, final_url=page.final_url, status=page.status, content_type=page.content_type,
        fetched_at=page.fetched_at.isoformat() if page.fetched_at else None, from_feed=from_feed)


def extract_page(body: bytes, meta: PageMeta, known_boilerplate: frozenset[str] = frozenset()) -> ExtractedArticle:
    """The extraction step of a record (raises ``ExtractionError`` when no article text comes out)."""
    return extract_document(body, url=meta.final_url or meta.link or None, feed_published=meta.published,
                            now=layout.as_utc(meta.polled_at), known_boilerplate=known_boilerplate,
                            content_type=meta.content_type or None)


def extract_article(body: bytes, meta: PageMeta, known_boilerplate: frozenset[str] = frozenset()) -> ExtractedArticle:
    """The article of a fetched page: its extraction, or the feed item's own text when the page
    gave none or none of it (``_feed_item_text``). Raises ``ExtractionError`` when neither has text."""
    try:
        extracted = extract_page(body, meta, known_boilerplate)
    except ExtractionError:
        from_item = _feed_item_text(meta, None)
        if from_item is None:
            raise
        return from_item
    return _feed_item_text(meta, extracted) or extracted


def canonical_of(extracted: ExtractedArticle, meta: PageMeta) -> str:
    if SHARED_LINK_ITEM in meta.link:  # an item whose feed links every item to one section page: its own mark is its identity
        return meta.link
    return canonical_for(extracted, meta.final_url or meta.link)


def record_from_page(extracted: ExtractedArticle, meta: PageMeta, *, article_id: str, canonical_url: str,
                     first_seen: datetime | str | None = None, raw_key: str | None = None, gazetteer=None) -> ArticleRecord:
    """The record step: language, relevance and hash over the extraction, the feed entry filling gaps."""
    return make_record(extracted, article_id=article_id, url=meta.link, canonical_url=canonical_url, source=meta.feed_id,
                       first_seen=layout.as_utc(first_seen or meta.first_seen or meta.polled_at), entry=meta.entry(),
                       declared_language=meta.feed_language, raw_key=raw_key, gazetteer=gazetteer)


NO_TEXT = "no article text"  # the start of the reason of a record whose page gave none


def unextracted_canonical(meta: PageMeta) -> str:
    """The identity of a page that gave no article (no rel=canonical to read): its final URL."""
    if SHARED_LINK_ITEM in meta.link:
        return meta.link
    url = meta.final_url or meta.link
    return normalise_url(url) or url


def unextracted_record(meta: PageMeta, problem: str, *, article_id: str, canonical_url: str,
                       first_seen: datetime | str | None = None, raw_key: str | None = None) -> ArticleRecord:
    """A page fetched but with no article text the extractor could find: kept, flagged irrelevant.

    Nothing fetched is dropped: the raw page and its metadata are stored with this record, so
    a better extractor recovers it with ``reprocess``. It carries what the feed said (title,
    author, date) and no text, so no rule can judge it relevant and no story is built on it.
    """
    entry = meta.entry()
    reason = problem if problem.startswith(NO_TEXT) else f"{NO_TEXT}: {problem}"
    return ArticleRecord(
        id=article_id, url=meta.link, canonical_url=canonical_url, source=meta.feed_id, title=entry.title,
        author=entry.author, published=meta.published, published_source="feed" if meta.published else None,
        first_seen=layout.as_utc(first_seen or meta.first_seen or meta.polled_at).isoformat(), language=None, text="",
        caucasus={"relevant": False, "score": 0.0, "terms": [], "reason": reason, "countries": []},
        content_hash="", raw_key=raw_key, extractor="")


def rebuild_record(body: bytes, meta: PageMeta, *, raw_key: str | None = None, gazetteer=None,
                   known_boilerplate: frozenset[str] = frozenset()) -> ArticleRecord:
    """Raw page + its metadata → the article record, re-extracted with the current code.

    Identity (id, canonical URL, first_seen) is the one the metadata recorded when the record
    was written; when it is missing (metadata of a record never written) it is derived the
    way the poll derives it. A page that still gives no article text comes back as the
    flagged record the poll stored for it (``unextracted_record``). Dedup fields (duplicate_of, cluster) are not the page's: the
    caller keeps them from the stored record or a manifest line.
    """
    try:
        extracted = extract_article(body, meta, known_boilerplate)
    except ExtractionError as exc:
        canonical = meta.canonical_url or unextracted_canonical(meta)
        return unextracted_record(meta, str(exc), article_id=meta.article_id or layout.url_key(canonical),
                                  canonical_url=canonical, raw_key=raw_key)
    canonical = meta.canonical_url or canonical_of(extracted, meta)
    article_id = meta.article_id or layout.url_key(canonical)
    return record_from_page(extracted, meta, article_id=article_id, canonical_url=canonical, raw_key=raw_key,
                            gazetteer=gazetteer)


FEED_TEXT_MIN_WORDS = 12  # a post or a lead: a sentence that says what the item is
FEED_TEXT_HELD = 0.2  # of the item's 4-word shingles in the page's text: it is not the page's
FEED_TEXT_BODY_RATIO = 2  # a page's text this many times longer is an article with a rewritten teaser


def _feed_item_text(meta: PageMeta, extracted: ExtractedArticle | None) -> ExtractedArticle | None:
    """The feed item's own text as the article, when the page gave none or none of it.

    The feed says what its item is. A page whose text holds (almost) nothing of the item's text,
    and is not much longer, is something else than the article: an app's page around a post
    (Telegram's "Download / Try it now / View in Telegram"), a consent or paywall page. Then the
    item's text, under its title, is the article (made from the metadata alone, as reprocess
    makes it again). A page much longer than a teaser it does not quote is an article whose
    teaser was written apart, and stays."""
    summary = " ".join(_TAG.sub(" ", meta.summary or "").split())
    words = len(_TOKEN.findall(summary))
    if words < FEED_TEXT_MIN_WORDS:
        return None
    if extracted is not None:
        if len(_TOKEN.findall(extracted.text)) >= FEED_TEXT_BODY_RATIO * words:
            return None
        own = text_shingles(summary)
        if len(own & text_shingles(extracted.text)) >= FEED_TEXT_HELD * len(own):
            return None
    title = html.escape(meta.title or "")
    item = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{meta.summary}</p></article></body></html>"
    try:
        # no template blocks: the page the item was set in is ours, not the site's
        return replace(extract_page(item.encode("utf-8"), meta), site_blocks=())
    except ExtractionError:
        return None


_TAG = re.compile(r"<[^>]+>")
_TOKEN = re.compile(r"\w+")


def meta_for_record(meta: PageMeta, record: ArticleRecord) -> PageMeta:
    """The metadata as written: with the identity the record finally got (a --force refresh keeps the old one)."""
    return replace(meta, article_id=record.id, canonical_url=record.canonical_url, first_seen=record.first_seen)


def rebuild_record_from_raw(store, raw_key: str) -> ArticleRecord | None:
    """For ``store check --repair``: rebuild a lost record from its raw page.

    From the page's metadata (``raw-meta/``) when it was kept: the record the poll made,
    re-extracted (flows.rebuild). A page stored before metadata was kept falls back to the
    journal entry naming it, when a crashed batch left one. None when neither is there.
    """
    from config.settings import get_settings
    from extractors.gazetteer import load_gazetteer
    from storage.articles import ArticleStore
    from storage.state import journals

    articles = ArticleStore(store)
    try:
        meta = articles.get_raw_meta(raw_key)
    except NewswatchError:  # damaged metadata: a journal may still name the page
        meta = None
    if meta is not None:
        try:
            return rebuild_record(articles.get_raw(raw_key), PageMeta.from_dict(meta), raw_key=raw_key,
                                  gazetteer=load_gazetteer(get_settings().topics_file))
        except (NewswatchError, OSError, ValueError, TypeError):
            return None
    for _key, journal in journals(store):
        for item in journal.get("items", []):
            if item.get("raw_key") == raw_key:
                record = ArticleRecord.from_dict(item["record"])
                try:
                    body = articles.get_raw(raw_key)
                    extracted = extract_document(body, url=record.url)
                except (NewswatchError, OSError):
                    return None
                return replace(record, text=extracted.text, extractor=extracted.extractor)
    return None
