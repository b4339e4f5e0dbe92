"""The poll's side of the retry queue (storage/retry_queue.py): what to try again, and what a failure means.

A page failure is *passing* when it says nothing about the article: a time-out, a refused or
dropped connection, a DNS failure, a 5xx, being blocked or rate-limited for now. Those pages
go to the queue and are tried again on the feed's next poll — even when the feed is unchanged
or answers 304 — with back-off, until stored or given up. A 404 or 410 of a recent item is
passing too for ``NOT_YET_WINDOW`` after our first try: sites publish the feed before the page
(a scheduled post, a cache in front of the article), and the item would be lost for good. Every
other failure (an older item's 404, not HTML, too big, robots.txt, a private address) is
permanent: the URL is marked failed in the seen index and never fetched again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from extractors.errors import FetchError
from extractors.records import Feed, FeedEntry
from storage import layout
from storage.retry_queue import RetryItem

log = logging.getLogger("newswatch.poll")

PASSING_PAGE_FAILURES = {"timeout", "connect", "dns", "blocked", "error", "bad-response", "stopping"}
# How long a page's 404/410 may mean "not published yet", from when this store first asked for it.
# The queue's back-off asks again 0, 10, 30 min, 1 h and 3 h later, so a link that is simply dead
# costs about five more requests.
NOT_YET_WINDOW = timedelta(hours=6)
RECENT_ITEM = timedelta(days=3)  # an item dated longer ago whose page answers 404 is gone for good
NOT_YET_STATUSES = (404, 410)


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


def not_there_yet(ctx, entry: FeedEntry, error: FetchError, now: datetime) -> bool:
    """A 404/410 for a page of a recent item (dated within ``RECENT_ITEM``, or undated) that this
    store first asked for less than ``NOT_YET_WINDOW`` ago. Counted from our first try, not from
    the item's date: a backdated or embargoed item (dated a day before its page went up) was lost."""
    if error.reason != "http" or error.status not in NOT_YET_STATUSES:
        return False
    if entry.published is not None and now - layout.as_utc(entry.published) > RECENT_ITEM:
        return False  # an old item's page is gone, not coming
    queued = ctx.retry.items.get(layout.url_key(entry.link))
    since = layout.as_utc(queued.first_queued) if queued and queued.first_queued else now
    return now - since < NOT_YET_WINDOW


def page_settled(ctx, feed_id: str, entry: FeedEntry, error: FetchError | None, now: datetime) -> bool:
    """Record what became of a page: passing failures are queued (True), anything else leaves the
    queue; the caller marks a failure that is not queued as failed for good."""
    key = layout.url_key(entry.link)
    if error is not None and (is_passing(error) or not_there_yet(ctx, entry, error, now)):
        if ctx.retry.failed(feed_id, item_of(entry, feed_id), f"{error.reason}: {error}", now):
            return True
        log.warning("page %s given up after repeated failures (%s)", entry.link, error.reason)
        return False
    ctx.retry.done(feed_id, key, now, "fetched" if error is None else f"failed for good: {error.reason}")
    return False


def flush(ctx, feed_id: str, now: datetime) -> None:
    ctx.retry.flush(ctx.run_id, feed_id, now)
