"""The dedup index's in-memory structures: per-document rows and the LSH band table.

No Python object per document: rows are packed numpy columns, the band table holds row numbers
in two-choice buckets of four slots, and the story window keeps terms only for the last few
days (``storage.dedup_window``). ``storage.dedup_index`` loads and saves them.
"""

from __future__ import annotations

import re
import sys
from datetime import date

import numba
import numpy as np

from extractors import fingerprint as fp

_EPOCH = date(2000, 1, 1).toordinal()
_WINDOW_DAYS = fp.STORY_WINDOW.days
_COMMON_SHARE = 0.02  # a term in more than 2 % of the window's documents names the region, not a story


def _band_hashes(sketches: np.ndarray) -> np.ndarray:
    """``_BandTable.buckets``' hash of every band of every sketch (uint64[n, BANDS]), at once."""
    pairs = sketches.astype(np.uint64).reshape(len(sketches), fp.BANDS, fp.BAND_ROWS)
    keys = (pairs[:, :, 0] << np.uint64(16)) | pairs[:, :, 1] | (np.arange(fp.BANDS, dtype=np.uint64) << np.uint64(32))
    return fp._mix(keys)


_HEX_ID = re.compile(r"(?:[0-9a-f]{20})+")  # one id, or several joined
_MIX_1, _MASK64 = int(fp._MIX[1]), (1 << 64) - 1
_LITTLE_ENDIAN = sys.byteorder == "little"


class _Rows:
    """Per-document columns in growable numpy arrays (no Python object per document).

    Single values are read through memoryviews of the arrays: indexing a memoryview
    gives a Python int in tens of nanoseconds, a numpy index makes a numpy scalar in
    ~100 ns, and the index does a few dozen such reads per document.
    """

    GROWTH = 1.125  # capacity headroom is resident memory: grow in small steps (copies are cheap)

    def __init__(self) -> None:
        self.n = 0
        self.sketch = np.zeros((0, fp.BINS), np.uint16)
        self.chash = np.zeros(0, np.uint32)
        self.day = np.zeros(0, np.uint16)
        self.cluster = np.zeros(0, np.int32)  # row of the cluster's root, or -1-k: external id k
        self.packed = np.zeros((0, 10), np.uint8)  # hex ids packed to 10 bytes
        self.other_ids: dict[int, str] = {}  # ids that are not 20 hex digits (seeds)
        self.external: list[str] = []  # cluster roots not loaded (older than the window)
        self._views()

    def _views(self) -> None:
        self.bins = memoryview(self.sketch.reshape(-1))  # bin b of row r at r * BINS + b
        # Band k of row r (bins 2k and 2k+1 side by side) at r * BANDS + k: one read per check.
        self.bands = memoryview(self.sketch.view(np.uint32).reshape(-1))
        self.days = memoryview(self.day)
        self.roots = memoryview(self.cluster)
        self.hashes = memoryview(self.chash)
        self.ids = memoryview(self.packed.reshape(-1))

    def _grow(self) -> None:
        size = max(1024, int(len(self.chash) * self.GROWTH))
        for name in ("sketch", "chash", "day", "cluster", "packed"):
            old = getattr(self, name)
            new = np.zeros((size,) + old.shape[1:], old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)
        self._views()

    def append(self, doc_id: str, sketch: np.ndarray, chash: int, day: int, cluster: int) -> int:
        if self.n == len(self.chash):
            self._grow()
        row = self.n
        self.sketch[row] = sketch
        self.hashes[row], self.days[row], self.roots[row] = chash, day, cluster
        if len(doc_id) == 20 and _HEX_ID.fullmatch(doc_id):
            self.ids[row * 10 : row * 10 + 10] = bytes.fromhex(doc_id)
        else:
            self.other_ids[row] = doc_id
        self.n += 1
        return row

    def append_many(self, ids: list[str], sketches: np.ndarray, chashes: list[int], days: list[int]) -> int:
        """``append`` of several documents at once, each its own cluster root (callers set
        ``roots`` after); returns the first new row."""
        first, end = self.n, self.n + len(ids)
        while end > len(self.chash):
            self._grow()
        self.sketch[first:end], self.chash[first:end], self.day[first:end] = sketches, chashes, days
        self.cluster[first:end] = np.arange(first, end)
        if all(len(doc_id) == 20 for doc_id in ids) and _HEX_ID.fullmatch("".join(ids), 0) is not None:
            self.packed[first:end] = np.frombuffer(bytes.fromhex("".join(ids)), np.uint8).reshape(-1, 10)
        else:
            for row, doc_id in enumerate(ids, first):
                if len(doc_id) == 20 and _HEX_ID.fullmatch(doc_id):
                    self.ids[row * 10 : row * 10 + 10] = bytes.fromhex(doc_id)
                else:
                    self.other_ids[row] = doc_id
        self.n = end
        return first

    def id(self, row: int) -> str:
        return self.other_ids.get(row) or self.ids[row * 10 : row * 10 + 10].hex()

    def cluster_id(self, row: int) -> str:
        root = self.roots[row]
        return self.id(root) if root >= 0 else self.external[-1 - root]

    def equal_bins(self, row: int, sketch: list[int]) -> int:
        start = row * fp.BINS
        return sum(a == b for a, b in zip(self.bins[start : start + fp.BINS].tolist(), sketch))

    def nbytes(self) -> int:
        arrays = (self.sketch, self.chash, self.day, self.cluster, self.packed)
        return sum(a.nbytes for a in arrays) + 120 * (len(self.other_ids) + len(self.external))


class _BandTable:
    """LSH buckets: band key → rows, two-choice buckets of 4 slots of 4 bytes.

    A slot holds ``row << 3 | band``; the key itself is not stored: it is two bins of the
    row's sketch, checked on look-up. Knowing the band, an entry's other bucket can be
    computed, so an insertion that finds both buckets full moves one entry there (one
    cuckoo step): the table runs at 75–92 % load with little overflow. Slots of a
    bucket fill from the left, so a look-up stops at the first empty one. Batch look-ups
    and every insertion run in numba kernels (``_query_kernel``, ``_insert_kernel``,
    ``_place_kernel``): placement is sequential, and per-entry Python was the index's
    largest cost. The single look-up (``query``) stays Python over a memoryview; a rehash
    is one kernel call too (``_rehash_kernel``).
    """

    WIDTH = 4
    MAX_LOAD = 0.92  # rehash above this share of slots used ...
    REHASH_LOAD = 0.75  # ... into a table this full: 8 slots × 4 bytes / load per document
    MAX_ROWS = 1 << 28  # row numbers share a slot with 3 bits of band

    def __init__(self) -> None:
        self._set(np.full(1024 * self.WIDTH, -1, np.int32), 0, {})

    def _set(self, slots: np.ndarray, used: int, overflow: dict[int, list[int]]) -> None:
        self.slots, self.used = slots, used  # flat: bucket b holds slots[b * WIDTH : (b + 1) * WIDTH]
        self.view = memoryview(slots)
        self.size = len(slots) // self.WIDTH
        # Entries whose two buckets were full even after a cuckoo step, by first bucket.
        self.overflow = overflow

    def buckets(self, sketch: list[int]) -> list[int]:
        """First slot of each band's two buckets: [band 0 first, band 0 second, band 1 first, …]."""
        size, width, out = self.size, self.WIDTH, []
        for band in range(fp.BANDS):
            h = sketch[2 * band] << 16 | sketch[2 * band + 1] | band << 32
            h = ((h ^ (h >> 29)) * _MIX_1) & _MASK64
            h ^= h >> 32
            out.append(h % size * width)
            out.append((h >> 32) % size * width)
        return out

    def query(self, sketch: list[int], rows: _Rows, starts: list[int] | None = None) -> list[int]:
        """Rows sharing at least one band with ``sketch``, ascending (``starts``: its buckets)."""
        view, stored, width, found = self.view, rows.bands, self.WIDTH, set()
        starts = starts or self.buckets(sketch)
        for band in range(fp.BANDS):
            first, second = sketch[2 * band], sketch[2 * band + 1]
            key = first | second << 16 if _LITTLE_ENDIAN else second | first << 16  # as rows.bands holds them
            entries = view[starts[2 * band] : starts[2 * band] + width].tolist()
            entries += view[starts[2 * band + 1] : starts[2 * band + 1] + width].tolist()
            if self.overflow:
                entries += self.overflow.get(starts[2 * band] // width, ())
            for entry in entries:
                if entry >= 0 and entry & 7 == band and stored[(entry >> 3) * fp.BANDS + band] == key:
                    found.add(entry >> 3)
        return sorted(found)

    def query_many(self, sketches: np.ndarray, rows: _Rows) -> tuple[list[list[int]], dict[int, list[int]], np.ndarray]:
        """``query`` of every sketch (uint16[n, BINS]) in one compiled call. Returns the rows
        found for each (ascending), the earlier sketches of the batch each shares a band with
        (``{i: [j, …]}``, j < i; usually empty), and the band hashes (``_band_hashes``, for
        ``insert_many``)."""
        n = len(sketches)
        sketches = np.ascontiguousarray(sketches, np.uint16)
        hashed = np.empty((n, fp.BANDS), np.uint64)
        first = np.empty((n, fp.BANDS), np.intp)  # each band's first bucket (the overflow's key)
        found_rows = np.empty(n * fp.BANDS * 2 * self.WIDTH, np.int32)
        bounds = np.zeros(n + 1, np.int64)
        pairs = np.empty((n * (n - 1) // 2, 2), np.int64)
        pair_count = _query_kernel(self.slots, rows.sketch[: rows.n].reshape(-1), sketches, hashed, first,
                                   found_rows, bounds, pairs)
        at = bounds.tolist()
        found_list = found_rows[: at[-1]].tolist()
        found: list = [found_list[at[d] : at[d + 1]] for d in range(n)]
        shared: dict[int, list[int]] = {}
        for i, j in pairs[:pair_count].tolist():
            shared.setdefault(i, []).append(j)
        if self.overflow:  # a few hundred entries: find the documents whose buckets hold some, at once
            stored = rows.sketch.view(np.uint32)
            keys = sketches.view(np.uint32)
            spilled = np.sort(np.fromiter(self.overflow, np.intp, len(self.overflow)))
            at = np.minimum(np.searchsorted(spilled, first), len(spilled) - 1)  # (np.isin built a table of the whole range)
            for d, b in zip(*np.nonzero(spilled[at] == first)):
                for entry in self.overflow[int(first[d, b])]:
                    if entry & 7 == b and stored[entry >> 3, b] == keys[d, b]:
                        found[d] = sorted(set(found[d]) | {entry >> 3})
        return found, shared, hashed

    def insert_many(self, first_row: int, hashed: np.ndarray, rows: _Rows) -> None:
        """Add the rows ``first_row`` onwards (``hashed``: their ``_band_hashes``), vectorised:
        each entry into the emptier of its buckets, else the other, else through ``_place``."""
        count = len(hashed)
        if first_row + count > self.MAX_ROWS:
            raise OverflowError(f"dedup index: more than {self.MAX_ROWS} documents in memory")
        if self.used + count * fp.BANDS > self.MAX_LOAD * len(self.slots):
            self._resize(rows)  # takes every row, these included
            return
        hashed = hashed.ravel()  # entry k: row first_row + k // BANDS, band k % BANDS
        first, second = np.empty(len(hashed), np.intp), np.empty(len(hashed), np.intp)
        entries = np.empty(len(hashed), np.int32)
        overflowed = np.zeros(len(entries), np.bool_)
        _insert_kernel(self.slots, rows.sketch.reshape(-1), hashed, first_row, first, second, entries, overflowed)
        self.used += len(entries)
        if overflowed.any():
            self._overflow(first[overflowed], entries[overflowed])

    def _overflow(self, first: np.ndarray, entries: np.ndarray) -> None:
        """Entries whose two buckets stayed full even after a cuckoo step (rare)."""
        for bucket, entry in zip(first.tolist(), entries.tolist()):
            self.overflow.setdefault(bucket, []).append(entry)

    def insert(self, sketch: list[int], row: int, rows: _Rows, starts: list[int] | None = None) -> None:
        """Add ``row`` (already appended to ``rows``): a rehash picks it up with the rest."""
        if row >= self.MAX_ROWS:
            raise OverflowError(f"dedup index: more than {self.MAX_ROWS} documents in memory")
        if self.used + fp.BANDS > self.MAX_LOAD * len(self.slots):
            self._resize(rows)
            return
        starts = starts or self.buckets(sketch)
        first = np.array(starts[0::2], np.intp) // self.WIDTH
        second = np.array(starts[1::2], np.intp) // self.WIDTH
        entries = np.arange(fp.BANDS, dtype=np.int32) | np.int32(row << 3)
        overflowed = np.zeros(fp.BANDS, np.bool_)
        _place_kernel(self.slots, rows.sketch.reshape(-1), entries, first, second, overflowed)
        self._overflow(first[overflowed], entries[overflowed])
        self.used += fp.BANDS

    def _resize(self, rows: _Rows) -> None:
        """Rehash every row into a table ``REHASH_LOAD`` full, in one compiled pass: each entry,
        in row order, into the emptier of its two buckets, else through a cuckoo step, else the
        overflow (``_rehash_kernel``). The numpy version (chunked, vectorised placement) cost more
        than every look-up and insertion together at 200,000 documents."""
        count = rows.n * fp.BANDS
        size = max(1024, int(count / (self.REHASH_LOAD * self.WIDTH)))
        slots = np.full(size * self.WIDTH, -1, np.int32)
        overflowed = np.zeros(count, np.bool_)
        first = np.empty(count, np.intp)
        _rehash_kernel(slots, rows.sketch.reshape(-1), rows.n, first, overflowed)
        self._set(slots, count, {})
        entries = np.flatnonzero(overflowed)  # entry k is row k // BANDS, band k % BANDS
        self._overflow(first[entries], (entries // fp.BANDS << 3 | entries % fp.BANDS).astype(np.int32))

    def nbytes(self) -> int:
        return self.slots.nbytes + 100 * sum(len(v) for v in self.overflow.values())


# Compiled insertion. Placement is sequential by nature (each entry sees the ones before), so
# per-entry Python cost dominated the index once buckets filled up. A look-up finds every row
# sharing a band whatever the layout, so the layout (which bucket, which slot) may change
# between versions without changing a decision; tests/test_dedup_tables.py checks look-ups
# against brute force.

_WIDTH = _BandTable.WIDTH
_U_MIX1 = fp._MIX[1]


@numba.njit(cache=True, nogil=True)
def _free(slots, bucket):
    """Empty slots of a bucket (they are its last ones: buckets fill from the left)."""
    free = 0
    for slot in range(bucket * _WIDTH, bucket * _WIDTH + _WIDTH):
        if slots[slot] < 0:
            free += 1
    return free


@numba.njit(cache=True, nogil=True)
def _put(slots, bucket, entry):
    """Into the first empty slot of ``bucket``; False when it is full."""
    free = _free(slots, bucket)
    if free == 0:
        return False
    slots[bucket * _WIDTH + _WIDTH - free] = entry
    return True


@numba.njit(cache=True, nogil=True)
def _evict(slots, bins, bucket, entry):
    """Move one entry of the full ``bucket`` to its other bucket if that has room; put ``entry`` there."""
    size = len(slots) // _WIDTH
    for slot in range(bucket * _WIDTH, bucket * _WIDTH + _WIDTH):
        other = slots[slot]
        band = other & 7
        at = (other >> 3) * fp.BINS + 2 * band
        h = (np.uint64(bins[at]) << np.uint64(16)) | np.uint64(bins[at + 1]) | (np.uint64(band) << np.uint64(32))
        h = (h ^ (h >> np.uint64(29))) * _U_MIX1  # as _BandTable.buckets
        h ^= h >> np.uint64(32)
        a, b = np.int64(h % np.uint64(size)), np.int64((h >> np.uint64(32)) % np.uint64(size))
        if _put(slots, b if a == bucket else a, other):
            slots[slot] = entry
            return True
    return False


@numba.njit(cache=True, nogil=True)
def _place_kernel(slots, bins, entries, first, second, overflowed):
    """Each entry into the emptier of its buckets (the first on a tie), else one cuckoo step
    from the first bucket, then from the second; ``overflowed`` where neither worked."""
    for k in range(len(entries)):
        a, b, entry = first[k], second[k], entries[k]
        free_a, free_b = _free(slots, a), _free(slots, b)
        if free_a >= free_b and free_a > 0:
            _put(slots, a, entry)
        elif free_b > 0:
            _put(slots, b, entry)
        elif not (_evict(slots, bins, a, entry) or _evict(slots, bins, b, entry)):
            overflowed[k] = True


@numba.njit(cache=True, nogil=True)
def _insert_kernel(slots, bins, hashed, first_row, first, second, entries, overflowed):
    """``insert_many``'s placement: every entry into the bucket that was the emptier before
    the batch (the first on a tie), then the entries that found it full into their other
    bucket, then the rest through ``_place_kernel``. Fills ``first``, ``second`` and
    ``entries`` (``row << 3 | band``) from the band hashes."""
    size = np.uint64(len(slots) // _WIDTH)
    for k in range(len(hashed)):
        first[k] = np.int64(hashed[k] % size)
        second[k] = np.int64((hashed[k] >> np.uint64(32)) % size)
        entries[k] = np.int32(((first_row + k // fp.BANDS) << 3) | (k % fp.BANDS))
    # Free slots and placements inline: a call with an array argument costs ~80 ns.
    prefer_second = np.empty(len(entries), np.bool_)
    for k in range(len(entries)):
        free_a, free_b = 0, 0
        for slot in range(_WIDTH):
            free_a += slots[first[k] * _WIDTH + slot] < 0
            free_b += slots[second[k] * _WIDTH + slot] < 0
        prefer_second[k] = free_b > free_a
    left = np.ones(len(entries), np.bool_)
    for round in range(2):  # the preferred bucket, then the other one
        for k in range(len(entries)):
            if not left[k]:
                continue
            bucket = second[k] if prefer_second[k] != (round == 1) else first[k]
            for slot in range(bucket * _WIDTH, bucket * _WIDTH + _WIDTH):
                if slots[slot] < 0:  # buckets fill from the left: the first empty slot
                    slots[slot] = entries[k]
                    left[k] = False
                    break
    todo = np.flatnonzero(left)
    out = np.zeros(len(todo), np.bool_)
    _place_kernel(slots, bins, entries[todo], first[todo], second[todo], out)
    for i in range(len(todo)):
        overflowed[todo[i]] = out[i]


@numba.njit(cache=True, nogil=True)
def _query_kernel(slots, bins, sketches, hashed, first, found, bounds, pairs):
    """``query_many`` without the overflow: each document's band hashes (into ``hashed``) and
    first buckets (``first``); the rows of its two buckets per band whose band equals its own,
    ascending and distinct, into ``found[bounds[d]:bounds[d + 1]]``; and the pairs (i, j),
    j < i, of documents of the batch sharing a band. Returns the number of pairs."""
    n, width, bands = sketches.shape[0], sketches.shape[1], sketches.shape[1] // 2
    size = np.uint64(len(slots) // _WIDTH)
    at = 0
    for d in range(n):
        bounds[d] = at
        for band in range(bands):
            lo, hi = sketches[d, 2 * band], sketches[d, 2 * band + 1]
            h = (np.uint64(lo) << np.uint64(16)) | np.uint64(hi) | (np.uint64(band) << np.uint64(32))
            h = (h ^ (h >> np.uint64(29))) * _U_MIX1  # as _band_hashes
            h ^= h >> np.uint64(32)
            hashed[d, band] = h
            first[d, band] = np.int64(h % size)
            for bucket in (first[d, band], np.int64((h >> np.uint64(32)) % size)):
                for slot in range(bucket * _WIDTH, bucket * _WIDTH + _WIDTH):
                    entry = slots[slot]
                    if entry < 0 or entry & 7 != band:
                        continue
                    row = entry >> 3
                    if bins[row * width + 2 * band] != lo or bins[row * width + 2 * band + 1] != hi:
                        continue
                    # Insertion into the sorted, distinct rows found so far (a handful).
                    i = at
                    while i > bounds[d] and found[i - 1] > row:
                        i -= 1
                    if i > bounds[d] and found[i - 1] == row:
                        continue
                    for j in range(at, i, -1):
                        found[j] = found[j - 1]
                    found[i] = row
                    at += 1
    bounds[n] = at
    count = 0
    for i in range(n):
        for j in range(i):
            for band in range(bands):
                if sketches[i, 2 * band] == sketches[j, 2 * band] and sketches[i, 2 * band + 1] == sketches[j, 2 * band + 1]:
                    pairs[count, 0], pairs[count, 1] = i, j
                    count += 1
                    break
    return count


@numba.njit(cache=True, nogil=True)
def _rehash_kernel(slots, bins, n, first, overflowed):
    """Every band of rows ``0 .. n-1`` into ``slots`` (empty), as ``_place_kernel`` places one;
    ``first[k]`` is entry k's first bucket (for the overflow), k = row * BANDS + band."""
    size = len(slots) // _WIDTH
    bands = fp.BANDS
    for row in range(n):
        for band in range(bands):
            at = row * fp.BINS + 2 * band
            h = (np.uint64(bins[at]) << np.uint64(16)) | np.uint64(bins[at + 1]) | (np.uint64(band) << np.uint64(32))
            h = (h ^ (h >> np.uint64(29))) * _U_MIX1  # as _BandTable.buckets
            h ^= h >> np.uint64(32)
            a, b = np.int64(h % np.uint64(size)), np.int64((h >> np.uint64(32)) % np.uint64(size))
            k = row * bands + band
            first[k] = a
            entry = np.int32((row << 3) | band)
            # Free slots counted inline: a call with an array argument costs ~80 ns (reference
            # counts), more than the placement itself.
            free_a, free_b = 0, 0
            for slot in range(_WIDTH):
                free_a += slots[a * _WIDTH + slot] < 0
                free_b += slots[b * _WIDTH + slot] < 0
            if free_a >= free_b and free_a > 0:
                slots[a * _WIDTH + _WIDTH - free_a] = entry
            elif free_b > 0:
                slots[b * _WIDTH + _WIDTH - free_b] = entry
            elif not (_evict(slots, bins, a, entry) or _evict(slots, bins, b, entry)):
                overflowed[k] = True
