"""Write-once state segments per month, and their compaction into a base object.

    state/<kind>/<month>/seg-<time>-<batch>-<n>.bin   one committed batch's entries (written once)
    state/<kind>/<month>/base-<generation>.bin    every segment it names in ``covers``, merged
    state/<kind>/<month>.<ext>                    the month object of the earlier layout (read, folded in)

A batch never rewrites a month: it writes one small segment with ``create_only`` (no CAS, no
retry, whatever the month holds). A reader lists the month, reads the newest base and every
segment that base does not cover. Compaction reads the same, writes ``base-<generation + 1>``
create-only (a second compactor loses that race and deletes nothing), and only then deletes
the segments the new base covers, older bases and the old month object. A segment written by
a poll while compaction runs is not covered and stays; a reader that meets an object deleted
under it lists again. Every object, base or segment, starts with one JSON header line; the
encoding after it belongs to the kind (``storage.state`` seen URLs, ``storage.dedup_index``).
"""

from __future__ import annotations

import itertools
import json
import logging
import mmap
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone

from extractors.errors import NotFound
from storage import layout
from storage.base import ObjectStore

log = logging.getLogger("newswatch.state")

SEGMENT, BASE = "seg-", "base-"
READ_THREADS = 16  # segments are small: on S3 each read is one round trip
_ATTEMPTS = 6  # listings retried when compaction deletes what a reader listed
_counter = itertools.count()


def month_prefix(kind: str, month: str) -> str:
    return f"state/{kind}/{month}/"


def legacy_key(kind: str, month: str) -> str:
    """The whole-month object the earlier layout rewrote on every batch."""
    return f"state/{kind}/{month}.json" if kind in ("seen", "sites") else f"state/{kind}/{month}.bin"


def pack(header: dict, body: bytes) -> bytes:
    return json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" + body


def unpack(data: bytes) -> tuple[dict, memoryview]:
    """The header and a view of the body (not a copy: a month's base is a hundred megabytes)."""
    end = data.find(b"\n")
    header = json.loads(data[:end]) if end >= 0 else None
    if not isinstance(header, dict):
        raise ValueError("no header line")
    return header, memoryview(data)[end + 1:]


def is_mapped(array) -> bool:
    """Whether ``array`` (a numpy view, a memoryview) lies in a mapped file (``ObjectStore.get_view``):
    then keeping a view costs no copy, and pages not used are never read."""
    obj = array
    while True:
        if isinstance(obj, mmap.mmap):
            return True
        nxt = obj.obj if isinstance(obj, memoryview) else getattr(obj, "base", None)
        if nxt is None or nxt is obj:
            return False
        obj = nxt


def mapping_of(array):
    """The ``mmap`` that ``array`` lies in, or None."""
    obj = array
    while obj is not None and not isinstance(obj, mmap.mmap):
        nxt = obj.obj if isinstance(obj, memoryview) else getattr(obj, "base", None)
        obj = None if nxt is obj else nxt
    return obj


def unmap_pages(arrays) -> None:
    """Drop the pages of the mapped bases behind ``arrays`` from this process's page tables once a
    load has copied what it copies (``MADV_DONTNEED``; the file's pages stay in the page cache):
    the arrays still used in place (a band table, sorted keys) are faulted back in as look-ups
    touch them, instead of the whole file staying mapped in."""
    for mapping in {id(m): m for m in (mapping_of(a) for a in arrays) if m is not None}.values():
        try:
            mapping.madvise(mmap.MADV_DONTNEED)
        except (AttributeError, OSError, ValueError):
            pass


def write_segment(store: ObjectStore, kind: str, month: str, label: str, header: dict, body: bytes) -> str:
    """Write one batch's entries as a new immutable object; returns its key."""
    prefix = month_prefix(kind, month)
    label = layout.safe_id(label or layout.new_run_id())
    # Named by the time of writing first: listing order is write order, so a later mark wins.
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    while True:
        key = f"{prefix}{SEGMENT}{stamp}-{label}-{next(_counter):05d}-{secrets.token_hex(2)}.bin"
        if store.put(key, pack(header, body), content_type="application/octet-stream", create_only=True):
            return key


@dataclass
class MonthState:
    """What a reader found for one month: the newest base, the segments it does not cover, and
    the legacy month object when no base has folded it in yet (each as (key, header, body))."""

    base: tuple[str, dict, bytes] | None = None
    legacy: tuple[str, bytes] | None = None
    segments: list[tuple[str, dict, bytes]] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)  # segment keys listed but merged into the base
    old_bases: list[str] = field(default_factory=list)

    @property
    def generation(self) -> int:
        return _generation(self.base[0]) if self.base else 0


def _generation(key: str) -> int:
    return int(key.rsplit("/", 1)[1][len(BASE):].split(".")[0])


def _name(key: str) -> str:
    return key.rsplit("/", 1)[1]


def read_month(store: ObjectStore, kind: str, month: str,
               on_unreadable: Callable[[str, Exception], None] | None = None, base_view: bool = False) -> MonthState:
    """Base + uncovered segments (+ the legacy object) of one month, consistently.

    An object that vanishes between the listing and the read was compacted meanwhile: the
    month is listed again. An unreadable object is handed to ``on_unreadable`` and skipped.
    ``base_view``: the base's body may be a mapped view (``ObjectStore.get_view``) for a
    reader that copies what it keeps.
    """
    for _ in range(_ATTEMPTS):
        try:
            return _read_once(store, kind, month, on_unreadable, base_view)
        except NotFound:
            continue
    return _read_once(store, kind, month, on_unreadable, base_view)


def _read_once(store, kind, month, on_unreadable, base_view=False) -> MonthState:
    keys = list(store.list(month_prefix(kind, month)))
    bases = sorted((k for k in keys if _name(k).startswith(BASE)), key=_generation)
    segments = sorted(k for k in keys if _name(k).startswith(SEGMENT))
    state = MonthState(old_bases=bases[:-1])
    covers: set[str] = set()
    legacy_folded = False
    for key in reversed(bases):  # the newest readable base
        try:
            header, body = unpack(store.get_view(key) if base_view else store.get(key))
        except (ValueError, UnicodeDecodeError) as exc:
            if base_view and store.drop_view(key):
                raise NotFound(key) from None  # a damaged local copy, not the store's object: read again
            _unreadable(on_unreadable, key, exc)
            continue
        state.base = (key, header, body)
        covers, legacy_folded = set(header.get("covers") or ()), bool(header.get("legacy"))
        break
    if not legacy_folded:
        try:
            state.legacy = (legacy_key(kind, month), store.get(legacy_key(kind, month)))
        except NotFound:
            pass
    todo = [k for k in segments if _name(k) not in covers]
    state.covered = [k for k in segments if _name(k) in covers]
    for key, data in zip(todo, _get_many(store, todo)):
        try:
            header, body = unpack(data)
        except (ValueError, UnicodeDecodeError) as exc:
            _unreadable(on_unreadable, key, exc)
            continue
        state.segments.append((key, header, body))
    return state


def _get_many(store: ObjectStore, keys: list[str]) -> list[bytes]:
    if len(keys) <= 2:
        return [store.get(k) for k in keys]
    with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(keys)), thread_name_prefix="newswatch-read") as pool:
        return list(pool.map(store.get, keys))  # a NotFound propagates: the caller lists again


def _unreadable(handler, key: str, exc: Exception) -> None:
    if handler is None:
        raise ValueError(f"{key}: unreadable ({exc})")
    handler(key, exc)


@dataclass
class Compaction:
    month: str
    segments: int = 0  # segments merged into the new base
    base: str | None = None  # the key written, None when there was nothing to merge
    deleted: int = 0
    lost_race: bool = False  # another compactor wrote the same generation first


def compact_month(store: ObjectStore, kind: str, month: str,
                  merge: Callable[[MonthState], tuple[dict, bytes]],
                  on_unreadable: Callable[[str, Exception], None] | None = None, base_view: bool = False) -> Compaction:
    """Fold a month's segments (and legacy object) into a new base, then delete what it covers.

    ``merge`` turns what ``read_month`` found into the new base's (header, body); the header's
    ``covers`` and ``legacy`` are set here. Safe beside running polls and other compactors.
    """
    state = read_month(store, kind, month, on_unreadable, base_view)
    result = Compaction(month)
    if state.segments or state.legacy is not None:
        header, body = merge(state)
        covers = sorted({_name(k) for k, _h, _b in state.segments} | {_name(k) for k in state.covered})
        header = {**header, "covers": covers, "legacy": True}
        key = f"{month_prefix(kind, month)}{BASE}{state.generation + 1:08d}.bin"
        if not store.put(key, pack(header, body), content_type="application/octet-stream", create_only=True):
            result.lost_race = True
            return result
        result.base, result.segments = key, len(state.segments)
        # Only now that the base holds them: the merged segments, the older bases, the legacy object.
        doomed = [k for k, _h, _b in state.segments] + state.covered + state.old_bases
        doomed += [state.base[0]] if state.base else []
        doomed += [state.legacy[0]] if state.legacy else []
    else:
        doomed = state.covered + state.old_bases  # left by a compaction that stopped before deleting
    for k in doomed:
        store.delete(k)
    result.deleted = len(doomed)
    return result


def months_of(store: ObjectStore, kind: str) -> list[str]:
    """Every month (and named shard, e.g. ``seeds``) that has state of ``kind``, sorted."""
    months = set()
    for key in store.list(f"state/{kind}/"):
        rest = key[len(f"state/{kind}/"):]
        name = rest.split("/", 1)[0] if "/" in rest else rest.rsplit(".", 1)[0]
        months.add(name)
    return sorted(months)
