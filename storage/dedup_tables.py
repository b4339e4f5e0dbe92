"""The dedup index's in-memory structures: per-document rows and the LSH band table.

No Python object per document: rows are packed numpy columns, the band table holds row numbers
in two-choice buckets of four slots, and the story window keeps terms only for the last few
days (``storage.dedup_window``). ``storage.dedup_index`` loads and saves them.
"""

from __future__ import annotations

import re
import sys
from datetime import date

import numpy as np

from extractors import fingerprint as fp
from storage.dedup_band_kernels import _WIDTH, _insert_kernel, _place_kernel, _query_kernel, _rehash_kernel

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

    def reserve(self, total: int) -> None:
        """Room for ``total`` rows in one allocation (a load knows its size: no copy per part)."""
        if total > len(self.chash):
            for name in ("sketch", "chash", "day", "cluster", "packed"):
                old = getattr(self, name)
                # Not zeros: every row is written by ``extend``, and calloc'd pages fault in 4 KB at a
                # time (~16 µs each here), where numpy's own buffers get huge pages: 0.1 s, not 1.4 s.
                new = np.empty((total,) + old.shape[1:], old.dtype)
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
            self._views()

    def extend(self, packed: np.ndarray, other: dict[int, str], sketches: np.ndarray, chash: np.ndarray,
               day: np.ndarray, cluster: np.ndarray) -> int:
        """Append many documents given as columns (a loaded shard); ``other``: ids by position
        that are not 20 hex digits; ``cluster``: each row's root row (or -1-k). Returns the first row."""
        first, end = self.n, self.n + len(chash)
        if end > len(self.chash):
            for name in ("sketch", "chash", "day", "cluster", "packed"):
                old = getattr(self, name)
                new = np.zeros((end,) + old.shape[1:], old.dtype)  # exactly: a poll adds little after loading
                new[: self.n] = old[: self.n]
                setattr(self, name, new)
            self._views()
        self.sketch[first:end], self.chash[first:end], self.day[first:end] = sketches, chash, day
        self.cluster[first:end], self.packed[first:end] = cluster, packed
        self.other_ids.update({first + k: v for k, v in other.items()})
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
        """Bytes of the rows held (capacity beyond them is never written, so never resident)."""
        arrays = (self.sketch, self.chash, self.day, self.cluster, self.packed)
        per_row = sum(a.itemsize * (a[0].size if a.ndim > 1 else 1) for a in arrays)
        return per_row * self.n + 120 * (len(self.other_ids) + len(self.external))


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

    Rows of a compacted base come with a table of their own, built by compaction and loaded as
    it is (``storage.dedup_static.StaticTable``, in ``statics``): this table holds every other
    row (segments, bases stored without a table, this run's additions), and every look-up asks
    both. A rehash takes only this table's rows.
    """

    WIDTH = _WIDTH
    MAX_LOAD = 0.92  # rehash above this share of slots used ...
    REHASH_LOAD = 0.75  # ... into a table this full: 8 slots × 4 bytes / load per document
    MAX_ROWS = 1 << 28  # row numbers share a slot with 3 bits of band

    def __init__(self) -> None:
        self._set(np.full(1024 * self.WIDTH, -1, np.int32), 0, {})
        self.statics: list = []  # StaticTable of each base loaded with its table, by ascending offset

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
        for static in self.statics:
            static.query(sketch, stored, found)
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
        bins = rows.sketch[: rows.n].reshape(-1)
        for static in self.statics:  # rows of other ranges: the union stays sorted after a sort
            more = static.query_many(sketches, hashed, bins)
            if more is not None:
                found = [sorted(a + b) if b else a for a, b in zip(found, more)]
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
        mine = self.own_rows(rows.n)
        count = len(mine) * fp.BANDS
        size = max(1024, int(count / (self.REHASH_LOAD * self.WIDTH)))
        slots = np.full(size * self.WIDTH, -1, np.int32)
        overflowed = np.zeros(count, np.bool_)
        first = np.empty(count, np.intp)
        _rehash_kernel(slots, rows.sketch.reshape(-1), mine, first, overflowed)
        self._set(slots, count, {})
        entries = np.flatnonzero(overflowed)  # entry k is row mine[k // BANDS], band k % BANDS
        self._overflow(first[entries], (mine[entries // fp.BANDS] << 3 | entries % fp.BANDS).astype(np.int32))

    def own_rows(self, n: int) -> np.ndarray:
        """Rows ``0 .. n-1`` that no static table holds, ascending."""
        if not self.statics:
            return np.arange(n, dtype=np.int64)
        keep = np.ones(n, np.bool_)
        for static in self.statics:
            keep[static.offset : static.offset + static.count] = False
        return np.flatnonzero(keep).astype(np.int64)

    def add_ranges(self, ranges: list[tuple[int, int]], rows: _Rows) -> None:
        """Index the rows ``[start, end)`` of each range (already in ``rows``, held by no static table)."""
        count = sum(end - start for start, end in ranges)
        if not count:
            return
        if self.used + count * fp.BANDS > self.MAX_LOAD * len(self.slots):
            self._resize(rows)  # every row of this table, these included
            return
        for start, end in ranges:
            self.insert_many(start, _band_hashes(rows.sketch[start:end]), rows)

    def nbytes(self) -> int:
        own = self.slots.nbytes + 100 * sum(len(v) for v in self.overflow.values())
        return own + sum(static.nbytes() for static in self.statics)
