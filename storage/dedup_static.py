"""LSH band tables built once by compaction and stored in a month's base, so a load need not rebuild them.

A poll holds three months and the seeds: at a million documents a month, rehashing 24 million
band entries into one table took ~3–9 s of every run start. Compaction knows a base's
documents will not change until the next compaction, so it builds the base's own table then
(``build``) and stores its slots in the base (``storage.dedup_base``); a load copies the
array as it is. Rows in a static table are relative to the base's first row (``offset``), so
the same table serves wherever the base lands among the rows of a load.

The layout is ``_BandTable``'s: buckets of ``_WIDTH`` slots holding ``row << 3 | band``, filled
from the left, each entry in one of the two buckets its band hash names. Built offline, the
table is filled to ``LOAD`` (95 %) by random-walk cuckoo insertion (a full bucket gives up one of
its entries to that entry's other bucket, a few steps at most at this load), against 75–92 % for
the table a poll grows: 33.7 bytes per document instead of ~40. Entries that still find no
place (none at this load in practice) go to an overflow kept by first bucket, as in ``_BandTable``.
A look-up finds every row sharing a band whatever the placement, so decisions cannot depend on
which table holds a row (tests/test_dedup_static.py checks against brute force).
"""

from __future__ import annotations

import numba
import numpy as np

from extractors import fingerprint as fp
from storage.dedup_band_kernels import _WIDTH, _band_hash, _insert_distinct

LOAD = 0.95  # the (2 choices, 4 slots) cuckoo threshold is ~0.977: random walks stay short below 0.95
_MAX_STEPS = 500  # evictions tried for one entry before it goes to the overflow


def table_size(documents: int) -> int:
    """Buckets of a static table for this many documents."""
    return max(1, int(np.ceil(documents * fp.BANDS / (LOAD * _WIDTH))))


@numba.njit(cache=True, nogil=True)
def _build_kernel(slots, bins, n, spill_bucket, spill_entry):
    """Every band of rows ``0 .. n-1`` (of ``bins``, relative rows) into the empty ``slots``: the
    emptier of the entry's two buckets, else a random walk of evictions. Returns the number of
    entries spilled (``spill_bucket[k]`` is the first bucket of ``spill_entry[k]``)."""
    size = np.uint64(len(slots) // _WIDTH)
    state = np.uint64(0x9E3779B97F4A7C15)  # xorshift: the same table from the same rows
    spilled = 0
    for row in range(n):
        for band in range(fp.BANDS):
            entry = np.int32((row << 3) | band)
            h = _band_hash(bins[row * fp.BINS + 2 * band], bins[row * fp.BINS + 2 * band + 1], band)
            a, b = np.int64(h % size), np.int64((h >> np.uint64(32)) % size)
            placed = False
            for _step in range(_MAX_STEPS):
                free_a, free_b = 0, 0
                for slot in range(_WIDTH):
                    free_a += slots[a * _WIDTH + slot] < 0
                    free_b += slots[b * _WIDTH + slot] < 0
                if free_a >= free_b and free_a > 0:
                    slots[a * _WIDTH + _WIDTH - free_a] = entry
                    placed = True
                    break
                if free_b > 0:
                    slots[b * _WIDTH + _WIDTH - free_b] = entry
                    placed = True
                    break
                state ^= state << np.uint64(13)
                state ^= state >> np.uint64(7)
                state ^= state << np.uint64(17)
                bucket = a if state & np.uint64(1) else b
                slot = bucket * _WIDTH + np.int64((state >> np.uint64(1)) % np.uint64(_WIDTH))
                victim = slots[slot]
                slots[slot] = entry
                # The victim moves to its other bucket (tried on the next step, and evicted from if full).
                v_band, v_row = victim & 7, victim >> 3
                hv = _band_hash(bins[v_row * fp.BINS + 2 * v_band], bins[v_row * fp.BINS + 2 * v_band + 1], v_band)
                va, vb = np.int64(hv % size), np.int64((hv >> np.uint64(32)) % size)
                entry = victim
                a = b = vb if va == bucket else va
            if not placed:
                e_band, e_row = entry & 7, entry >> 3
                he = _band_hash(bins[e_row * fp.BINS + 2 * e_band], bins[e_row * fp.BINS + 2 * e_band + 1], e_band)
                spill_bucket[spilled], spill_entry[spilled] = np.int64(he % size), entry
                spilled += 1
    return spilled


def build(sketches: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A static table of ``sketches`` (uint16[n, BINS], row i = relative row i): its slots and the
    overflow (first buckets, entries)."""
    n = len(sketches)
    if n >= 1 << 28:
        raise OverflowError("dedup base: more than 2**28 documents")
    slots = np.full(table_size(n) * _WIDTH, -1, np.int32)
    spill_bucket, spill_entry = np.empty(n * fp.BANDS, np.int64), np.empty(n * fp.BANDS, np.int32)
    count = _build_kernel(slots, np.ascontiguousarray(sketches, np.uint16).reshape(-1), n, spill_bucket, spill_entry)
    return slots, spill_bucket[:count].copy(), spill_entry[:count].copy()


@numba.njit(cache=True, nogil=True)
def _static_query_kernel(slots, offset, bins, sketches, hashed, found, bounds):
    """The rows (``offset`` + relative row) of a static table sharing a band with each sketch,
    ascending and distinct, into ``found[bounds[d]:bounds[d + 1]]`` (``hashed``: the band hashes)."""
    n, width = sketches.shape[0], sketches.shape[1]
    size = np.uint64(len(slots) // _WIDTH)
    at = 0
    for d in range(n):
        bounds[d] = at
        for band in range(width // 2):
            lo, hi, h = sketches[d, 2 * band], sketches[d, 2 * band + 1], hashed[d, band]
            for bucket in (np.int64(h % size), np.int64((h >> np.uint64(32)) % size)):
                for slot in range(bucket * _WIDTH, bucket * _WIDTH + _WIDTH):
                    entry = slots[slot]
                    if entry < 0 or entry & 7 != band:
                        continue
                    row = offset + (entry >> 3)
                    if bins[row * width + 2 * band] != lo or bins[row * width + 2 * band + 1] != hi:
                        continue
                    at = _insert_distinct(found, bounds[d], at, row)
    bounds[n] = at
    return at


class StaticTable:
    """A base's band table, read-only: rows ``offset .. offset + count - 1`` of the index."""

    def __init__(self, offset: int, count: int, slots: np.ndarray, spill_bucket: np.ndarray, spill_entry: np.ndarray):
        self.offset, self.count, self.slots = offset, count, slots
        self.view = memoryview(slots)
        self.size = len(slots) // _WIDTH
        self.overflow: dict[int, list[int]] = {}
        for bucket, entry in zip(spill_bucket.tolist(), spill_entry.tolist()):
            self.overflow.setdefault(bucket, []).append(entry)

    def query(self, sketch: list[int], stored: memoryview, found: set[int]) -> None:
        """Add to ``found`` the rows sharing a band with ``sketch`` (``stored``: the rows' bands as uint32)."""
        from storage.dedup_tables import _LITTLE_ENDIAN, _MASK64, _MIX_1

        view, width, size, offset = self.view, _WIDTH, self.size, self.offset
        for band in range(fp.BANDS):
            first, second = sketch[2 * band], sketch[2 * band + 1]
            h = first << 16 | second | band << 32
            h = ((h ^ (h >> 29)) * _MIX_1) & _MASK64
            h ^= h >> 32
            a, b = h % size * width, (h >> 32) % size * width
            entries = view[a : a + width].tolist() + view[b : b + width].tolist()
            if self.overflow:
                entries += self.overflow.get(a // width, ())
            key = first | second << 16 if _LITTLE_ENDIAN else second | first << 16
            for entry in entries:
                if entry >= 0 and entry & 7 == band and stored[(offset + (entry >> 3)) * fp.BANDS + band] == key:
                    found.add(offset + (entry >> 3))

    def query_many(self, sketches: np.ndarray, hashed: np.ndarray, bins: np.ndarray) -> list[list[int]] | None:
        """Rows found for each sketch (ascending), or None when none is found for any."""
        n = len(sketches)
        found = np.empty(n * fp.BANDS * 2 * _WIDTH, np.int32)
        bounds = np.zeros(n + 1, np.int64)
        total = _static_query_kernel(self.slots, self.offset, bins, sketches, hashed, found, bounds)
        result = None
        if total:
            at, rows = bounds.tolist(), found[:total].tolist()
            result = [rows[at[d] : at[d + 1]] for d in range(n)]
        if self.overflow:
            first = (hashed % np.uint64(self.size)).astype(np.int64)
            stored, keys = bins.reshape(-1, fp.BINS).view(np.uint32), sketches.view(np.uint32)
            for d, band in zip(*np.nonzero(np.isin(first, np.fromiter(self.overflow, np.int64, len(self.overflow))))):
                for entry in self.overflow[int(first[d, band])]:
                    row = self.offset + (entry >> 3)
                    if entry & 7 == band and stored[row, band] == keys[d, band]:
                        result = result or [[] for _ in range(n)]
                        result[d] = sorted(set(result[d]) | {row})
        return result

    def nbytes(self) -> int:
        return self.slots.nbytes + 100 * sum(len(v) for v in self.overflow.values())
