"""Mutable state: per-feed poll state, the seen-URL index and the run journal.

Feed state is a compare-and-swap read-modify-write (``ObjectStore.update_json``), so two
overlapping runs merge instead of overwriting each other.

The seen index (``storage.seen_index``) is kept by month as write-once segments and a
compacted base (``state/seen/<yyyy-mm>/``): a poll loads the recent months once and never
reads the corpus. Each entry holds a status letter and the first-seen day; the day lets
``--force`` find the stored record again instead of writing a second one.

The journal (``state/journal/<run>.json``) is written before a batch's records and
deleted after its manifest and state: the next run finishes any batch a crash cut short.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from extractors.errors import NotFound
from extractors.records import checked_fields
from storage import layout
from storage.base import ObjectStore

log = logging.getLogger("newswatch.state")

SEEN_STORED = "s"
SEEN_DUPLICATE = "d"
SEEN_IRRELEVANT = "i"
SEEN_FAILED = "f"  # permanent page failure (404, not HTML, too big): not retried every poll
SEEN_MONTHS = 6  # how far back a poll remembers URLs; feeds rarely carry older links


@dataclass
class FeedState:
    """What newswatch remembers of one feed between polls."""

    feed_id: str
    url: str = ""
    # The feed's entry in the feed list as of its last poll: the store names its outlets itself,
    # so the digest footer and `newswatch stories` need no feed list (and see retired feeds).
    name: str = ""
    country: str | None = None
    language: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_polled: str | None = None
    last_ok: str | None = None
    first_ok: str | None = None  # the run time of the feed's first successful fetch (the digest holds its backlog back)
    last_status: int | None = None
    last_outcome: str | None = None  # ok | not-modified | unchanged | failed | blocked
    last_error: str = ""
    consecutive_failures: int = 0
    last_new_entry: str | None = None  # when the feed last brought an entry we had not seen
    next_poll: str | None = None  # back-off after failures / Retry-After
    moved_to: str | None = None  # the feed answered with a permanent redirect here: the list should say so
    malformed: str = ""  # the last answer was not well-formed XML (its problem), its entries used all the same

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FeedState":
        return cls(**checked_fields(cls, data))  # ValueError for a damaged object


def quarantine(store: ObjectStore, key: str, problem: Exception) -> None:
    """Move an unreadable state object aside (never overwrite it) and say so loudly.

    State can always be rebuilt: a fresh feed state re-fetches the feed, a fresh seen shard
    re-fetches recent links, and write-once records keep any article from being stored twice.
    """
    if store.drop_view(key):  # a damaged local copy of the object (storage/base_cache.py): the next read fetches it
        return
    try:
        data = store.get(key)
    except NotFound:
        return
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = f"state/quarantine/{stamp}-{layout.safe_id(key)}"
    store.put(aside, data, create_only=True)
    store.delete(key)
    log.error("state object %s is unreadable (%s); moved to %s and started afresh", key, problem, aside)


def load_feed_state(store: ObjectStore, feed_id: str) -> FeedState:
    key = layout.feed_state_key(feed_id)
    try:
        return FeedState.from_dict(store.get_json(key))
    except NotFound:
        return FeedState(feed_id=feed_id)
    except (ValueError, TypeError) as exc:
        quarantine(store, key, exc)
        return FeedState(feed_id=feed_id)


def save_feed_state(store: ObjectStore, state: FeedState) -> None:
    # The poll that just ran is the authority on its own feed: CAS only guards
    # against a torn concurrent write, the newest poll wins.
    store.update_json(layout.feed_state_key(state.feed_id), lambda _old: asdict(state))


def load_all_feed_states(store: ObjectStore) -> list[FeedState]:
    states = []
    for key in store.list("state/feeds/"):
        if key.endswith(".json"):
            try:
                states.append(FeedState.from_dict(store.get_json(key)))
            except NotFound:
                continue
            except (ValueError, TypeError) as exc:  # said, not skipped in silence: the feed would just vanish
                log.warning("feed state %s is unreadable (%s); `newswatch store check --repair` sets it aside",
                            key, str(exc)[:80])
    return states


def month_of(moment: datetime) -> str:
    return layout.as_utc(moment).strftime("%Y-%m")


def recent_months(now: datetime, count: int = SEEN_MONTHS) -> list[str]:
    months, year, month = [], now.year, now.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


# Journal -------------------------------------------------------------------------------------

JOURNAL_STALE_AFTER = timedelta(minutes=30)  # older than any batch: its run is gone


def write_journal(store: ObjectStore, batch_id: str, items: list[dict[str, Any]], run_id: str | None = None) -> str:
    key = layout.journal_key(batch_id)
    # ``run`` names the run's lease (storage/run_lease.py): the next run can tell whether it lives.
    store.put_json(key, {"batch": batch_id, "run": run_id, "written": datetime.now(timezone.utc).isoformat(), "items": items})
    return key


def journals(store: ObjectStore) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every readable journal: (key, content)."""
    for key in store.list("state/journal/"):
        try:
            yield key, store.get_json(key)
        except (NotFound, ValueError):
            continue


def is_stale(journal: dict[str, Any], now: datetime) -> bool:
    """Older than any live batch: the run that wrote it is gone."""
    written = layout.as_utc(journal.get("written") or "1970-01-01T00:00:00+00:00")
    return now - written >= JOURNAL_STALE_AFTER


def stale_journals(store: ObjectStore, now: datetime | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Journals left by runs that died (older than any live batch)."""
    now = now or datetime.now(timezone.utc)
    return [(key, data) for key, data in journals(store) if is_stale(data, now)]


from storage.seen_index import SeenIndex  # noqa: E402  (it uses the helpers above)
