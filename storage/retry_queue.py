"""The retry queue: pages that failed for a passing reason, and pages a crashed batch never stored.

Without it a page that timed out was tried again only if its feed changed (the feed body hash
skips an unchanged feed), and the pages of a batch cut short by a crash waited for luck. Each
item here is tried again on the feed's next poll whatever the feed says, with back-off by
failures (``BACKOFF``), until it is stored or fails for good (a permanent reason, or
``MAX_ATTEMPTS`` passing failures in a row, or ``MAX_AGE``).

Storage is write-once, like the rest of the growing state: each change a batch makes is one
small segment ``state/retry/<yyyy-mm>/<run-id>-<feed>-<n>.json`` holding absolute item states
(``put`` or ``drop``) stamped with the time; a queue is a base (``state/retry/base-*.json``, the
newest wins) plus every segment the base has not folded, replayed in time order. ``compact``
folds segments into a new base and only then deletes them, so a crash between the two steps
changes nothing (the base names what it folded; folded segments are skipped).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from extractors.errors import NotFound
from extractors.records import checked_fields
from storage import layout
from storage.base import ObjectStore

log = logging.getLogger("newswatch.retry")

PREFIX = "state/retry/"
BASE_PREFIX = PREFIX + "base-"
# Wait after the n-th failure in a row: the first retry is the very next poll.
BACKOFF = (timedelta(0), timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=3),
           timedelta(hours=6), timedelta(hours=12))
MAX_ATTEMPTS = 8  # passing failures in a row before a page is given up
MAX_AGE = timedelta(days=7)  # a page still failing after a week is given up too


@dataclass
class RetryItem:
    """One page to try again: enough of its feed entry to fetch and judge it without the feed."""

    key: str  # layout.url_key(link)
    feed_id: str
    link: str
    title: str = ""
    published: str | None = None
    attempts: int = 0  # passing failures so far (a crash-interrupted page starts at 0)
    next_try: str = ""  # ISO time; due when <= now
    reason: str = ""
    first_queued: str = ""

    def due(self, now: datetime) -> bool:
        return not self.next_try or layout.as_utc(self.next_try) <= now

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RetryItem":
        return cls(**checked_fields(cls, data))  # ValueError for a damaged object


def segment_prefix(now: datetime) -> str:
    return f"{PREFIX}{layout.as_utc(now).strftime('%Y-%m')}/"


@dataclass
class RetryQueue:
    """The queue as loaded at the start of a run, plus this run's pending changes."""

    store: ObjectStore
    items: dict[str, RetryItem] = field(default_factory=dict)
    _pending: dict[str, list[dict]] = field(default_factory=dict)  # batch name → changes
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, store: ObjectStore) -> "RetryQueue":
        queue = cls(store)
        base, folded = _load_base(store)
        queue.items = base
        for change in _replay(store, folded):
            _apply(queue.items, change)
        return queue

    # Reading -------------------------------------------------------------------------------------

    def due_for(self, feed_id: str, now: datetime) -> list[RetryItem]:
        with self._lock:
            return [item for item in self.items.values() if item.feed_id == feed_id and item.due(now)]

    def __contains__(self, key: str) -> bool:
        return key in self.items

    def __len__(self) -> int:
        return len(self.items)

    # Changes (kept in memory until ``flush``) ------------------------------------------------------

    def enqueue(self, batch: str, item: RetryItem, now: datetime) -> None:
        """Queue a page a crashed batch did not store: due at once, no failure counted."""
        with self._lock:
            current = self.items.get(item.key)
            if current is not None:
                item.attempts = current.attempts
                item.first_queued = current.first_queued
            item.first_queued = item.first_queued or now.isoformat()
            item.next_try = now.isoformat()
            self._put(batch, item, now)

    def failed(self, batch: str, item: RetryItem, reason: str, now: datetime) -> bool:
        """Count a passing failure. Returns False when the page is given up (the caller marks it failed)."""
        with self._lock:
            current = self.items.get(item.key)
            attempts = (current.attempts if current else 0) + 1
            first = (current.first_queued if current else "") or now.isoformat()
            if attempts >= MAX_ATTEMPTS or now - layout.as_utc(first) > MAX_AGE:
                self._drop(batch, item.key, now, f"given up after {attempts} failures: {reason}")
                return False
            item.attempts, item.first_queued, item.reason = attempts, first, reason
            item.next_try = (now + BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]).isoformat()
            self._put(batch, item, now)
            return True

    def done(self, batch: str, key: str, now: datetime, why: str = "done") -> None:
        """The page was stored, judged, or failed for good: it leaves the queue."""
        with self._lock:
            if key in self.items:
                self._drop(batch, key, now, why)

    def _put(self, batch: str, item: RetryItem, now: datetime) -> None:
        self.items[item.key] = item
        self._pending.setdefault(batch, []).append({"op": "put", "at": now.isoformat(), "item": asdict(item)})

    def _drop(self, batch: str, key: str, now: datetime, why: str) -> None:
        self.items.pop(key, None)
        self._pending.setdefault(batch, []).append({"op": "drop", "at": now.isoformat(), "key": key, "why": why})

    def flush(self, run_id: str, batch: str, now: datetime) -> str | None:
        """Write this batch's changes as one write-once segment. Returns its key (None: nothing to write)."""
        with self._lock:
            changes = self._pending.pop(batch, [])
            if not changes:
                return None
            self._counter += 1
            key = f"{segment_prefix(now)}{layout.safe_id(run_id)}-{layout.safe_id(batch)}-{self._counter}.json"
        self.store.put_json(key, {"run": run_id, "batch": batch, "changes": changes}, create_only=True)
        return key


# Loading and compaction -----------------------------------------------------------------------------


def _load_base(store: ObjectStore) -> tuple[dict[str, RetryItem], set[str]]:
    bases = sorted(k for k in store.list(BASE_PREFIX) if k.endswith(".json"))
    for key in reversed(bases):  # the newest readable base wins
        try:
            data = store.get_json(key)
            return ({k: RetryItem.from_dict(v) for k, v in data.get("items", {}).items()}, set(data.get("folded", [])))
        except (NotFound, ValueError, TypeError, AttributeError) as exc:
            log.warning("retry-queue base %s unreadable (%s); trying an older one", key, exc)
    return {}, set()


def _segment_keys(store: ObjectStore) -> list[str]:
    return [k for k in store.list(PREFIX) if k.endswith(".json") and not k.startswith(BASE_PREFIX)]


def _replay(store: ObjectStore, folded: set[str], keys: list[str] | None = None) -> list[dict]:
    changes = []
    for key in keys if keys is not None else _segment_keys(store):
        if key in folded:
            continue
        try:
            changes += [c for c in store.get_json(key).get("changes", []) if isinstance(c, dict)]
        except (NotFound, ValueError, AttributeError) as exc:
            log.warning("retry-queue segment %s unreadable (%s); skipped", key, exc)
    return sorted(changes, key=lambda c: c.get("at", ""))  # stable: a batch's own order holds at equal times


def _apply(items: dict[str, RetryItem], change: dict) -> None:
    if change.get("op") == "put" and isinstance(change.get("item"), dict):
        item = RetryItem.from_dict(change["item"])
        items[item.key] = item
    elif change.get("op") == "drop":
        items.pop(change.get("key"), None)


def compact(store: ObjectStore, now: datetime | None = None) -> dict[str, int]:
    """Fold every segment into a new base, then delete the folded segments and older bases.

    Safe against a crash at any step and against a run writing segments meanwhile: a segment
    written after the listing is simply not folded (and not deleted).
    """
    now = now or datetime.now(timezone.utc)
    old_bases = sorted(k for k in store.list(BASE_PREFIX) if k.endswith(".json"))
    items, folded = _load_base(store)
    segments = [k for k in _segment_keys(store) if k not in folded]
    for change in _replay(store, set(), segments):
        _apply(items, change)
    # An item older than MAX_AGE is one no poll tried for a week (its feed left the list): dropped.
    expired = [k for k, v in items.items() if v.first_queued and now - layout.as_utc(v.first_queued) > MAX_AGE]
    for key in expired:
        del items[key]
    new_base = f"{BASE_PREFIX}{now.strftime('%Y%m%dT%H%M%S%fZ')}.json"
    listed = set(_segment_keys(store))
    # Names of folded segments are kept only while a segment might still exist (its delete may fail).
    store.put_json(new_base, {"written": now.isoformat(), "items": {k: asdict(v) for k, v in items.items()},
                              "folded": sorted(set(segments) | (folded & listed))}, create_only=True)
    for key in segments + [k for k in old_bases if k != new_base]:
        store.delete(key)
    return {"items": len(items), "segments_folded": len(segments), "bases_removed": len(old_bases), "expired": len(expired)}
