"""Typed records that flow one way: feed → entry → fetched page → article → store → digest.

They are plain dataclasses so every stage is a small function over them, and
``ArticleRecord`` (de)serialises to the JSON object described in DESIGN.md (``schema: 1``).
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

SCHEMA_VERSION = 1


_VERDICT_TYPES = {"relevant": bool, "score": float, "reason": str, "terms": list, "countries": list}


def checked_fields(cls, data: Any) -> dict[str, Any]:
    """The fields of ``cls`` in ``data`` (a decoded JSON object), each of the type the dataclass
    declares; unknown keys are left out. A value of another type (a title of 123, a record that is
    a list) raises ValueError: one damaged object must fail where it is read, as unreadable, not as
    a crash of whatever command later sorts, formats or sums its fields."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: a JSON {type(data).__name__}, not an object")
    hints = _field_types(cls)
    checked = {}
    for name, value in data.items():
        if name not in hints:
            continue
        if not _fits(value, hints[name]):
            raise ValueError(f"{cls.__name__}.{name}: {type(value).__name__} {str(value)[:40]!r} is not {hints[name]}")
        checked[name] = value
    return checked


@functools.cache
def _field_types(cls) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def _fits(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in typing.get_args(hint))
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if origin in (list, tuple) or hint in (list, tuple):
        return isinstance(value, (list, tuple))  # JSON has arrays only: a tuple field arrives as a list
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint) if isinstance(hint, type) else True


@dataclass(frozen=True)
class Feed:
    """One feed from ``config/feeds.yaml``."""

    id: str
    name: str
    url: str
    country: str | None = None
    language: str | None = None
    status: str = "active"  # "unverified": nobody has seen this URL answer a feed yet
    note: str = ""  # why the entry is as it is (a moved feed, a doubtful path)


@dataclass(frozen=True)
class FeedEntry:
    """One item of a parsed feed, its link already normalised."""

    feed_id: str
    link: str
    title: str = ""
    published: datetime | None = None  # timezone-aware UTC, or None when the feed gives no date
    author: str = ""
    summary: str = ""
    content: str = ""  # full text when the feed carries it (HTML or text), else ""
    guid: str = ""
    language: str | None = None  # declared by the feed (channel language), a hint only


@dataclass(frozen=True)
class ParsedFeed:
    """What ``extractors.feeds.parse_feed`` makes of a feed body."""

    entries: list[FeedEntry]
    title: str = ""
    language: str | None = None
    malformed: bool = False  # feedparser's bozo flag: used anyway when entries came out
    problem: str = ""  # the parser's complaint, for the log
    unlinked: int = 0  # items skipped for having no web link


@dataclass(frozen=True)
class FetchedPage:
    """A page as the fetcher got it: final URL after redirects, body capped in size."""

    url: str  # what was asked for
    final_url: str  # where redirects ended
    status: int
    content_type: str
    body: bytes
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    moved_to: str | None = None  # where permanent redirects (301/308) from ``url`` lead, when they do


@dataclass(frozen=True)
class LanguageGuess:
    """The language of a text, with how sure we are and how it was decided."""

    code: str | None  # ISO 639-1, or None when the text is too short or mixed to say
    confidence: float  # 0..1
    method: str  # "script", "letters", "langdetect", "declared", "too-short", "mixed", "unsupported"
    declared: str | None = None  # what the page or feed claimed, kept as a hint


@dataclass(frozen=True)
class TermHit:
    """One gazetteer term found in an article, and where."""

    term: str  # the surface form matched
    entity: str  # the gazetteer entry it belongs to (canonical name)
    kind: str  # country, region, city, person, institution, ...
    field: str  # "title", "lead" or "body"
    count: int
    weight: float


@dataclass(frozen=True)
class Relevance:
    """The Caucasus relevance decision, with the evidence a user can read."""

    relevant: bool
    score: float
    terms: list[TermHit] = field(default_factory=list)
    reason: str = ""  # one line: why relevant or not (e.g. "US-state context: Atlanta")
    # Where the story is: feed country codes (am, az, ge, ru-north-caucasus) of the entities that made
    # it relevant, strongest first; empty when irrelevant or when only region-wide terms ("Caucasus") fired.
    countries: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "relevant": self.relevant,
            "score": round(self.score, 3),
            "terms": [asdict(t) for t in self.terms],
            "reason": self.reason,
            "countries": list(self.countries),
        }


@dataclass(frozen=True)
class ExtractedArticle:
    """What an extractor makes of one page or text, before store-level fields are added."""

    text: str  # clean body, paragraphs separated by "\n"
    title: str = ""
    author: str = ""
    published: str | None = None  # ISO 8601 date or datetime, never in the future
    published_source: str | None = None  # "json-ld", "meta", "dateline", "htmldate", "url", "feed", "text", or None
    canonical_url: str | None = None  # rel=canonical / og:url, absolute
    declared_language: str | None = None  # <html lang>, og:locale, ...
    site_name: str = ""
    extractor: str = ""  # name and version, e.g. "newswatch-html/1 trafilatura/2.3.0"
    # (block path hash, was the main body path, chrome-like) per text block of an HTML page:
    # what the site's template memory learns (extractors.templates); empty for text input.
    site_blocks: tuple[tuple[str, int, int], ...] = ()


@dataclass
class ArticleRecord:
    """The stored article (JSON, one object per article)."""

    id: str
    url: str
    canonical_url: str | None  # None when neither the page nor the feed named one (older records, seeds)
    source: str  # feed id, or "seed"
    title: str
    author: str
    published: str | None
    first_seen: str  # UTC, ISO 8601
    language: str | None
    text: str
    caucasus: dict[str, Any]
    content_hash: str
    duplicate_of: str | None = None
    cluster: str | None = None
    raw_key: str | None = None
    extractor: str = ""
    published_source: str | None = None
    language_confidence: float | None = None
    language_method: str | None = None
    schema: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ArticleRecord":
        """Raises ValueError for a damaged record (wrong types, a first_seen that is no time, a
        ``caucasus`` verdict of the wrong shape), TypeError when a required field is missing."""
        checked = checked_fields(cls, data)
        datetime.fromisoformat(checked.get("first_seen") or "")  # the record's key and every day filter read it
        verdict = checked.get("caucasus") or {}
        for name, hint in _VERDICT_TYPES.items():
            if name in verdict and not _fits(verdict[name], hint):
                raise ValueError(f"ArticleRecord.caucasus.{name}: {type(verdict[name]).__name__} is not {hint}")
        return cls(**checked)
