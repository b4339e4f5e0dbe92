"""JSON Feed (https://jsonfeed.org, versions 1 and 1.1) → entries, as ``extractors.feeds`` does
for RSS and Atom. feedparser (6.0) reads only XML feeds; some sites publish only a JSON Feed
and announce it with ``type="application/feed+json"``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from extractors.errors import ExtractionError
from extractors.feeds import declared_language
from extractors.records import FeedEntry, ParsedFeed
from extractors.urls import normalise_url, without_credentials

VERSION_PREFIX = "https://jsonfeed.org/version/"  # the format's required version field (docs/choices.md)
_VERSION_MARK = VERSION_PREFIX.split("//", 1)[1].encode()


def looks_like_json_feed(body: bytes) -> bool:
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and _VERSION_MARK in body[:4096]


def parse_json_feed(body: bytes, *, feed_id: str, feed_url: str, now: datetime | None = None) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: arrays nested thousands deep
        raise ExtractionError(f"not a readable feed: bad JSON Feed ({str(exc)[:80]})") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(VERSION_PREFIX):
        raise ExtractionError("not a readable feed: JSON without a JSON Feed version")
    items = data.get("items")
    now = now or datetime.now(timezone.utc)
    skipped = unlinked = 0
    entries: list[FeedEntry] = []
    language = declared_language(_text(data.get("language")))
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            skipped += 1
            continue
        link = normalise_url(_text(item.get("url")) or _text(item.get("external_url")), base=feed_url)
        identifier = _text(item.get("id")).strip()
        if not link and identifier.startswith(("http://", "https://")):
            # JSON Feed's id is often the permalink (the spec suggests a URL): the item's address,
            # as an RSS guid that is a web URL stands in for a missing <link>
            link = normalise_url(identifier)
        if not link or link == normalise_url(feed_url):
            unlinked += 1
            continue  # an item with no web link cannot be fetched or identified
        entries.append(FeedEntry(
            feed_id=feed_id,
            link=link,
            title=_text(item.get("title")).strip(),
            published=_date(item.get("date_published"), now) or _date(item.get("date_modified"), now),
            author=_author(item) or _author(data),
            summary=_text(item.get("summary")),
            content=_text(item.get("content_html")) or _text(item.get("content_text")),
            guid=without_credentials(_text(item.get("id"))),
            language=declared_language(_text(item.get("language"))) or language,
        ))
    problem = f"{skipped} item(s) not objects" if skipped else ("no items list" if not isinstance(items, list) else "")
    if unlinked and not entries:
        raise ExtractionError(f"not a usable feed: none of its {unlinked} items has a web link")
    return ParsedFeed(entries=entries, title=_text(data.get("title")), language=language, malformed=bool(problem),
                      problem=problem, unlinked=unlinked)


def _text(value) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _date(value, now: datetime) -> datetime | None:
    """RFC 3339, as the spec asks; a date without an offset is taken as UTC. Only a believable one
    (extractors.dates.believable_instant: not in the future — up to 14 h ahead is a wrong zone, kept
    as "by now" — and not before 1995)."""
    from extractors.dates import believable_instant

    text = _text(value).strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None
    return believable_instant(moment, now)


def _author(holder: dict) -> str:
    authors = holder.get("authors") if isinstance(holder.get("authors"), list) else [holder.get("author")]
    names = [_text(a.get("name")).strip() for a in authors if isinstance(a, dict) and a.get("name")]
    return ", ".join(n for n in names if n)
