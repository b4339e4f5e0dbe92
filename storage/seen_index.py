"""The seen-URL index: sorted fixed-width hash arrays per month plus this run's new marks.

    state/seen/<yyyy-mm>/seg-<batch>-<n>.bin    the marks of one committed batch (write-once)
    state/seen/<yyyy-mm>/base-<gen>.bin         a month's segments merged (``compact``)

A URL key (20 hex digits of SHA-256) is held as its first 64 bits: a false "seen" needs two of
the few million URLs of half a year to share 64 bits (about 1 in 4 million at 6 million keys).
Each entry costs 11 bytes in memory — key u8, first-seen day u2 (days since 2000-01-01),
status u1 — and none is a Python object: a month's base is read straight into its arrays,
and membership is ``np.searchsorted`` over them. Segments not yet compacted are merged into
one small sorted overlay at load; marks of this run stay in a dict until flushed.

Object format (base and segment): a JSON header line (``{"v":1,"n":…}``; a base adds
``covers``) then keys <u8[n], days <u2[n], status u1[n]. A base is sorted and unique.
"""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterable
from datetime import date, datetime, timezone
from typing import NamedTuple

import numpy as np

from storage import layout, segments
from storage.base import ObjectStore

KIND = "seen"
_EPOCH = date(2000, 1, 1).toordinal()
_HEX20 = re.compile(r"[0-9a-f]{20}")
_EMPTY = (np.zeros(0, np.uint64), np.zeros(0, np.uint16), np.zeros(0, np.uint8))


def key64(key: str) -> int:
    """The 64-bit form of a URL key (other strings, e.g. seed ids, are hashed first)."""
    if len(key) == 20 and _HEX20.fullmatch(key):
        return int(key[:16], 16)
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], 16)


def encode(keys: np.ndarray, days: np.ndarray, status: np.ndarray, header: dict | None = None) -> tuple[dict, bytes]:
    header = {"v": 1, "n": len(keys), **(header or {})}
    return header, keys.astype("<u8").tobytes() + days.astype("<u2").tobytes() + status.astype("u1").tobytes()


def decode(header: dict, body: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = int(header["n"])
    if header.get("v") != 1 or len(body) != 11 * n:
        raise ValueError(f"seen object: expected {11 * n} bytes, found {len(body)}")
    keys = np.frombuffer(body, "<u8", n, 0)
    # A mapped base's keys are searched where they lie (no copy); bytes read into memory are copied
    # out, so that the object can go.
    keys = keys if segments.is_mapped(keys) and keys.dtype == np.uint64 else keys.astype(np.uint64)
    days = np.frombuffer(body, "<u2", n, 8 * n).astype(np.uint16)
    return keys, days, np.frombuffer(body, "u1", n, 10 * n).copy()


def decode_legacy(data: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The earlier layout's month object: ``{url key: status letter + yyyymmdd}``."""
    import json

    shard = json.loads(data)
    if not isinstance(shard, dict):
        raise ValueError("not a JSON object")
    items = [(key64(k), v) for k, v in shard.items() if isinstance(v, str) and len(v) >= 9]
    keys = np.array([k for k, _ in items], np.uint64)
    days = np.array([date(int(v[1:5]), int(v[5:7]), int(v[7:9])).toordinal() - _EPOCH for _, v in items], np.uint16)
    return keys, days, np.array([ord(v[0]) for _, v in items], np.uint8)


def merge_latest(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]):
    """Concatenate (keys, days, status) parts into one sorted unique set; a later part wins."""
    parts = [p for p in parts if len(p[0])] or [_EMPTY]
    keys = np.concatenate([p[0] for p in parts])
    days = np.concatenate([p[1] for p in parts])
    status = np.concatenate([p[2] for p in parts])
    order = np.argsort(keys, kind="stable")  # equal keys keep their part order: the last one wins
    keys, days, status = keys[order], days[order], status[order]
    last = np.ones(len(keys), bool)
    last[:-1] = keys[1:] != keys[:-1]
    return keys[last], days[last], status[last]


def month_parts(state: segments.MonthState):
    """A month's (keys, days, status) parts in precedence order: legacy, base, segments."""
    parts = []
    if state.legacy is not None:
        parts.append(decode_legacy(state.legacy[1]))
    if state.base is not None:
        parts.append(decode(state.base[1], state.base[2]))
    parts += [decode(header, body) for _key, header, body in state.segments]
    return parts


class SeenIndex:
    """URL keys already handled, loaded from the recent months (newer months win)."""

    def __init__(self, store: ObjectStore):
        self.store = store
        self._months: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # compacted bases, newest first
        self._overlay = _EMPTY  # uncompacted segments of every loaded month, merged
        self.flushed: dict[str, str] = {}  # this run's marks already written
        self.pending: dict[str, str] = {}

    @classmethod
    def load(cls, store: ObjectStore, now: datetime | None = None, months: int | None = None) -> "SeenIndex":
        from storage.state import SEEN_MONTHS, quarantine, recent_months

        index = cls(store)
        now = now or datetime.now(timezone.utc)
        overlay = []
        wanted = list(reversed(recent_months(now, months or SEEN_MONTHS)))  # oldest first: newer win

        def read(month: str) -> segments.MonthState:
            return segments.read_month(store, KIND, month, lambda key, exc: quarantine(store, key, exc), base_view=True)

        with ThreadPoolExecutor(max_workers=len(wanted), thread_name_prefix="seen-load") as pool:
            first_reads = dict(zip(wanted, pool.map(read, wanted)))  # on S3, one round trip for all months
        for month in wanted:
            for attempt in range(3):
                state = first_reads[month] if attempt == 0 else read(month)
                try:
                    parts = month_parts(state)
                    break
                except (ValueError, KeyError, TypeError) as exc:  # one damaged object must not stop every poll
                    quarantine(store, _damaged(state, exc), exc)
            else:
                continue
            base_parts = parts[: len(parts) - len(state.segments)]
            if len(base_parts) == 1 and state.legacy is None:
                index._months.insert(0, _packed(base_parts[0], month))  # a base is sorted and unique already
            elif base_parts:
                index._months.insert(0, _packed(merge_latest(base_parts), month))
            overlay += parts[len(base_parts):]
        index._overlay = merge_latest(overlay) if overlay else _EMPTY
        segments.unmap_pages([month[0] for month in index._months])
        return index

    def get(self, key: str) -> str | None:
        value = self.pending.get(key) or self.flushed.get(key)
        if value is not None:
            return value
        k = np.uint64(key64(key))
        for part in (self._overlay, *self._months):
            keys = part[0]
            at = int(np.searchsorted(keys, k))
            if at < len(keys) and keys[at] == k:
                if isinstance(part, _PackedMonth):
                    value = int(part.packed[at])
                    return _STATUSES[value & 3] + date.fromordinal((value >> 2) + part.origin + _EPOCH).strftime("%Y%m%d")
                return chr(part[2][at]) + date.fromordinal(int(part[1][at]) + _EPOCH).strftime("%Y%m%d")
        return None

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        """Entries held (a key in several months counts once per month)."""
        return len(self.pending) + len(self.flushed) + len(self._overlay[0]) + sum(len(m[0]) for m in self._months)

    def first_seen_day(self, key: str) -> str | None:
        value = self.get(key)
        return f"{value[1:5]}-{value[5:7]}-{value[7:9]}" if value and len(value) >= 9 else None

    def mark(self, keys: Iterable[str], status: str, first_seen: datetime | str) -> None:
        day = layout.as_utc(first_seen).strftime("%Y%m%d")
        for key in keys:
            self.pending[key] = status + day

    def flush(self, now: datetime | None = None, label: str = "") -> int:
        """Write pending marks as one new segment of this month. Returns how many were written."""
        from storage.state import month_of

        if not self.pending:
            return 0
        pending = dict(self.pending)
        values = list(pending.values())
        keys = np.array([key64(k) for k in pending], np.uint64)
        days = np.array([date(int(v[1:5]), int(v[5:7]), int(v[7:9])).toordinal() - _EPOCH for v in values], np.uint16)
        status = np.frombuffer("".join(v[0] for v in values).encode("ascii"), np.uint8)
        header, body = encode(keys, days, status)
        segments.write_segment(self.store, KIND, month_of(now or datetime.now(timezone.utc)), label, header, body)
        self.flushed.update(pending)
        for key, value in pending.items():
            if self.pending.get(key) == value:
                del self.pending[key]
        return len(pending)

    def nbytes(self) -> int:
        arrays = [a for part in (self._overlay, *self._months) for a in part if isinstance(a, np.ndarray)]
        return sum(a.nbytes for a in arrays) + 200 * (len(self.pending) + len(self.flushed))


_STATUSES = "sdif"  # storage.state's SEEN_* letters: a status fits in 2 bits
_CODES = np.full(256, 255, np.uint8)
_CODES[[ord(c) for c in _STATUSES]] = np.arange(len(_STATUSES))


class _PackedMonth(NamedTuple):
    """A month's base in memory: keys u8 and one u2 per key holding the first-seen day as an
    offset from ``origin`` (14 bits: 22 years before the month to 22 after) and the status
    (2 bits). An entry costs 10 bytes instead of 11 (key, day u2, status u1)."""

    keys: np.ndarray
    packed: np.ndarray
    origin: int


def _packed(part: tuple[np.ndarray, np.ndarray, np.ndarray], month: str):
    """``part`` (keys, days, status) packed (``_PackedMonth``), or as it is if a day or status does not fit."""
    keys, days, status = part
    year, mon = map(int, month.split("-"))
    origin = date(year, mon, 1).toordinal() - _EPOCH - (1 << 13)
    offsets = days.astype(np.int32) - np.int32(origin)
    codes = _CODES[status]
    if len(keys) and (offsets.min() < 0 or offsets.max() >= 1 << 14 or codes.max() == 255):
        return part
    return _PackedMonth(keys, (offsets << 2 | codes).astype(np.uint16), origin)


def _damaged(state: segments.MonthState, exc: Exception) -> str:
    """The object of a month whose content failed to decode (its header was readable)."""
    for key, header, body in ([state.base] if state.base else []) + state.segments:
        try:
            decode(header, body)
        except (ValueError, KeyError, TypeError):
            return key
    return state.legacy[0] if state.legacy else str(exc)


def compact(store: ObjectStore, month: str) -> segments.Compaction:
    """Merge a month's seen segments into a new base (see ``storage.segments``)."""
    from storage.state import quarantine

    def merge(state: segments.MonthState) -> tuple[dict, bytes]:
        return encode(*merge_latest(month_parts(state)))

    return segments.compact_month(store, KIND, month, merge, lambda key, exc: quarantine(store, key, exc))
