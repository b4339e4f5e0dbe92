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

_EPOCH = date(2000, 1, 1).toordinal()
_WINDOW_DAYS = fp.STORY_WINDOW.days
_COMMON_SHARE = 0.02  # a term in more than 2 % of the window's documents names the region, not a story


def _band_hashes(sketches: np.ndarray) -> np.ndarray:
    """``_BandTable.buckets``' hash of every band of every sketch (uint64[n, BANDS]), at once."""
    pairs = sketches.astype(np.uint64).reshape(len(sketches), fp.BANDS, fp.BAND_ROWS)
    keys = (pairs[:, :, 0] << np.uint64(16)) | pairs[:, :, 1] | (np.arange(fp.BANDS, dtype=np.uint64) << np.uint64(32))
    return fp._mix(keys)


_HEX_ID = re.compile(r"[0-9a-f]{20}")
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
    bucket fill from the left, so a look-up stops at the first empty one. Per-document
    work is plain Python over a memoryview (16 buckets, a few dozen slots): a numpy call
    per step would cost more than the work. Rehashing is vectorised.
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

    def pair(self, band: int, first: int, second: int) -> tuple[int, int]:
        """First slots of the two buckets of one band key (bins ``first``, ``second``)."""
        h = first << 16 | second | band << 32  # fp.band_keys, salted by the band
        h = ((h ^ (h >> 29)) * _MIX_1) & _MASK64  # fp.mix_int, inlined (hot path)
        h ^= h >> 32
        return h % self.size * self.WIDTH, (h >> 32) % self.size * self.WIDTH

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

    def query_many(self, sketches: np.ndarray, hashed: np.ndarray, rows: _Rows) -> list[list[int]]:
        """``query`` of every sketch (uint16[n, BINS]; ``hashed``: ``_band_hashes``), vectorised."""
        if rows.n == 0:
            return [[] for _ in range(len(sketches))]
        size, width = np.uint64(self.size), self.WIDTH
        first = (hashed % size).astype(np.intp)
        second = ((hashed >> np.uint64(32)) % size).astype(np.intp)
        table = self.slots.reshape(-1, width)
        entries = np.concatenate((table[first], table[second]), axis=2)  # [doc, band, slot]
        band = np.arange(fp.BANDS)[None, :, None]
        hit = (entries >= 0) & (entries & 7 == band)
        stored = rows.sketch.view(np.uint32)  # [row, band]: two bins, as ``keys`` below
        keys = np.ascontiguousarray(sketches).view(np.uint32)
        hit &= stored[np.where(hit, entries >> 3, 0), np.broadcast_to(band, entries.shape)] == keys[:, :, None]
        doc, _, slot = np.nonzero(hit)
        found: list[set[int]] = [set() for _ in range(len(sketches))]
        for d, row in zip(doc.tolist(), (entries[hit] >> 3).tolist()):
            found[d].add(row)
        if self.overflow:
            for d, starts in enumerate(first.tolist()):
                for b, bucket in enumerate(starts):
                    for entry in self.overflow.get(bucket, ()):
                        if entry & 7 == b and stored[entry >> 3, b] == keys[d, b]:
                            found[d].add(entry >> 3)
        return [sorted(rows_) for rows_ in found]

    def insert_many(self, first_row: int, hashed: np.ndarray, rows: _Rows) -> None:
        """Add the rows ``first_row`` onwards (``hashed``: their ``_band_hashes``), vectorised:
        each entry into the emptier of its buckets, else the other, else through ``_place``."""
        count = len(hashed)
        if first_row + count > self.MAX_ROWS:
            raise OverflowError(f"dedup index: more than {self.MAX_ROWS} documents in memory")
        if self.used + count * fp.BANDS > self.MAX_LOAD * len(self.slots):
            self._resize(rows)  # takes every row, these included
            return
        size, width = np.uint64(self.size), self.WIDTH
        hashed = hashed.ravel()
        first = (hashed % size).astype(np.intp)
        second = ((hashed >> np.uint64(32)) % size).astype(np.intp)
        entries = ((np.arange(first_row, first_row + count, dtype=np.int32) << 3)[:, None]
                   | np.arange(fp.BANDS, dtype=np.int32)).ravel()
        # The buckets involved, copied out and written back: _fill needs their fill counts.
        buckets, local = np.unique(np.concatenate((first, second)), return_inverse=True)
        table = self.slots.reshape(-1, width)
        part = table[buckets]
        fill = (part >= 0).sum(axis=1)
        a, b = local[: len(entries)], local[len(entries):]
        other = fill[b] < fill[a]
        full = _fill(part, fill, np.where(other, b, a), entries)
        todo = np.flatnonzero(full)
        full = _fill(part, fill, np.where(other[todo], a[todo], b[todo]), entries[todo])
        table[buckets] = part
        self.used += len(entries)
        for at in todo[full].tolist():  # both buckets full: a cuckoo step or the overflow
            self._place(int(first[at]) * width, int(second[at]) * width, int(entries[at]), rows)

    def insert(self, sketch: list[int], row: int, rows: _Rows, starts: list[int] | None = None) -> None:
        """Add ``row`` (already appended to ``rows``): a rehash picks it up with the rest."""
        if row >= self.MAX_ROWS:
            raise OverflowError(f"dedup index: more than {self.MAX_ROWS} documents in memory")
        if self.used + fp.BANDS > self.MAX_LOAD * len(self.slots):
            self._resize(rows)
            return
        starts = starts or self.buckets(sketch)
        for band in range(fp.BANDS):
            self._place(starts[2 * band], starts[2 * band + 1], row << 3 | band, rows)
        self.used += fp.BANDS

    def _place(self, a: int, b: int, entry: int, rows: _Rows) -> None:
        """Into the emptier of its two buckets; when both are full, move one of their
        entries to its other bucket if that has room, else into the overflow."""
        view, width = self.view, self.WIDTH
        free_a = view[a : a + width].tolist().count(-1)
        free_b = view[b : b + width].tolist().count(-1)
        if free_a >= free_b and free_a:
            view[a + width - free_a] = entry
        elif free_b:
            view[b + width - free_b] = entry
        elif not (self._evict(a, entry, rows) or self._evict(b, entry, rows)):
            self.overflow.setdefault(a // width, []).append(entry)

    def _evict(self, bucket: int, entry: int, rows: _Rows) -> bool:
        view, width, bins = self.view, self.WIDTH, rows.bins
        for slot in range(bucket, bucket + width):
            other = view[slot]
            band, at = other & 7, (other >> 3) * fp.BINS + 2 * (other & 7)
            a, b = self.pair(band, bins[at], bins[at + 1])
            alternative = b if a == bucket else a
            free = view[alternative : alternative + width].tolist().count(-1)
            if free:
                view[alternative + width - free] = other
                view[slot] = entry
                return True
        return False

    def _resize(self, rows: _Rows) -> None:
        """Rehash every row at once, vectorised, in chunks that each take the emptier of
        their two buckets (close to one-by-one two-choice placement), then the other one;
        the few left go through ``_place``."""
        sketches = rows.sketch[: rows.n].astype(np.uint32).reshape(rows.n, fp.BANDS, fp.BAND_ROWS)
        keys = ((sketches[:, :, 0] << np.uint32(16)) | sketches[:, :, 1]).astype(np.uint64)
        hashed = fp._mix(keys | (np.arange(fp.BANDS, dtype=np.uint64) << np.uint64(32))).ravel()
        entries = (np.arange(rows.n * fp.BANDS, dtype=np.int32) >> 3 << 3) | np.tile(np.arange(fp.BANDS, dtype=np.int32), rows.n)
        size = max(1024, int(len(entries) / (self.REHASH_LOAD * self.WIDTH)))
        slots = np.full((size, self.WIDTH), -1, np.int32)
        fill = np.zeros(size, np.int64)
        first = (hashed % np.uint64(size)).astype(np.intp)
        second = ((hashed >> np.uint64(32)) % np.uint64(size)).astype(np.intp)
        left = []
        for chunk in np.array_split(np.arange(len(entries)), 64):
            other = fill[second[chunk]] < fill[first[chunk]]
            full = _fill(slots, fill, np.where(other, second[chunk], first[chunk]), entries[chunk])
            chunk, other = chunk[full], other[full]
            full = _fill(slots, fill, np.where(other, first[chunk], second[chunk]), entries[chunk])
            left.append(chunk[full])
        self._set(slots.reshape(-1), len(entries), {})
        for at in np.concatenate(left).tolist():  # both buckets full
            self._place(int(first[at]) * self.WIDTH, int(second[at]) * self.WIDTH, int(entries[at]), rows)

    def nbytes(self) -> int:
        return self.slots.nbytes + 100 * sum(len(v) for v in self.overflow.values())


def _fill(slots: np.ndarray, fill: np.ndarray, buckets: np.ndarray, owners: np.ndarray) -> np.ndarray:
    """Put ``owners`` into ``buckets`` after what each holds; True where a bucket was full."""
    order = np.argsort(buckets, kind="stable")
    ordered = buckets[order]
    group_start = np.searchsorted(ordered, ordered, side="left")
    rank = np.arange(len(ordered)) - group_start + fill[ordered]
    fits = rank < slots.shape[1]
    slots[ordered[fits], rank[fits]] = owners[order][fits]
    np.add.at(fill, ordered[fits], 1)
    overflow = np.zeros(len(buckets), bool)
    overflow[order[~fits]] = True
    return overflow
