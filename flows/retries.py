"""The poll's side of the retry queue (storage/retry_queue.py): what to try again, and what a failure means.

A page failure is *passing* when it says nothing about the article: a time-out, a refused or
dropped connection, a DNS failure, a 5xx, being blocked or rate-limited for now. Those pages
go to the queue and are tried again on the feed's next poll — even when the feed is unchanged
or answers 304 — with back-off, until stored or given up. Every other failure (404, not HTML,
too big, robots.txt, a private address) is permanent: the URL is marked failed in the seen
index and never fetched again.
"""

from __future__ import annotations

import logging
from datetime import datetime

from extractors.errors import FetchError
from extractors.records import Feed, FeedEntry
from storage import layout
from storage.retry_queue import RetryItem
from storage.state import SEEN_FAILED

log = logging.getLogger("newswatch.poll")

PASSING_PAGE_FAILURES = {"timeout", "connect", "dns", "blocked", "error", "bad-response", "stopping"}


def is_passing(error: FetchError) -> bool:
    if error.reason in PASSING_PAGE_FAILURES:
        return True
    return error.reason == "http" and error.status is not None and (error.status >= 500 or error.status in (408, 425, 429))


def entry_of(item: RetryItem) -> FeedEntry:
    published = layout.as_utc(item.published) if item.published else None
    return FeedEntry(feed_id=item.feed_id, link=item.link, title=item.title, published=published)


def item_of(entry: FeedEntry, feed_id: str) -> RetryItem:
    return RetryItem(key=layout.url_key(entry.link), feed_id=feed_id, link=entry.link, title=entry.title,
                     published=entry.published.isoformat() if entry.published else None)


def due_entries(ctx, feed: Feed, fresh: list[FeedEntry], now: datetime) -> list[FeedEntry]:
    """Queued pages of this feed that are due, not already among ``fresh`` and not handled meanwhile."""
    taken = {layout.url_key(e.link) for e in fresh}
    due = []
    for item in ctx.retry.due_for(feed.id, now):
        if item.key in taken:
            continue
        if item.key in ctx.seen:  # stored, judged or failed for good since it was queued
            ctx.retry.done(feed.id, item.key, now, "handled meanwhile")
            continue
        if ctx.claim(item.key):
            due.append(entry_of(item))
    if due:
        log.info("feed %s: retrying %d queued page(s)", feed.id, len(due))
    return due


def page_settled(ctx, feed_id: str, entry: FeedEntry, error: FetchError | None, now: datetime) -> None:
    """Record what became of a page: passing failures are queued, anything else leaves the queue."""
    key = layout.url_key(entry.link)
    if error is not None and is_passing(error):
        if not ctx.retry.failed(feed_id, item_of(entry, feed_id), f"{error.reason}: {error}", now):
            log.warning("page %s given up after repeated failures (%s)", entry.link, error.reason)
            ctx.seen.mark([key], SEEN_FAILED, now)
        return
    ctx.retry.done(feed_id, key, now, "fetched" if error is None else f"failed for good: {error.reason}")


def flush(ctx, feed_id: str, now: datetime) -> None:
    ctx.retry.flush(ctx.run_id, feed_id, now)
