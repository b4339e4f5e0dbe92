"""The near-duplicate and story-cluster index, kept in the store as monthly binary shards.

    state/dedup/<yyyy-mm>.bin    documents first seen that month
    state/dedup/seeds.bin        the seed corpus (ids ``seed-…``), always loaded

A poll loads the seeds and the last ``months`` shards, never the corpus. In memory a
document costs about 90 bytes: its 16×16-bit sketch, a 32-bit content-hash prefix, day,
cluster row, packed id, and one 4-byte slot per LSH band in a two-choice bucket table.
Additions are buffered and merged into the shard under compare-and-swap, so two
overlapping runs both end up in the shard, and adding an id twice changes nothing.

Shard format: one JSON header line ``{"v":1,"n":…,"ids":[…],"clusters":[…]}`` then the
arrays (little-endian): sketches u2[n×BINS], content-hash prefix u4[n], day u2[n],
term counts u1[n], terms u4[sum]. Story terms stay on disk and are kept in memory only
for the last few days, the window in which a follow-up joins a story.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from extractors import fingerprint as fp
from extractors.fingerprint_batch import fingerprint_many
from extractors.errors import Conflict, NotFound
from storage import layout
from storage.base import ObjectStore
from storage.state import quarantine

SEEDS_SHARD = "seeds"
_EPOCH = date(2000, 1, 1).toordinal()
_WINDOW_DAYS = fp.STORY_WINDOW.days
_COMMON_SHARE = 0.02  # a term in more than 2 % of the window's documents names the region, not a story


# What a damaged shard (truncated write, edited by hand) raises while being decoded.
_UNREADABLE = (ValueError, KeyError, IndexError, TypeError)


def shard_key(name: str) -> str:
    return f"state/dedup/{name}.bin"


def _day(when: datetime) -> int:
    return layout.as_utc(when).date().toordinal() - _EPOCH


def _shard_of(article_id: str, when: datetime) -> str:
    return SEEDS_SHARD if article_id.startswith("seed-") else f"{when.year:04d}-{when.month:02d}"


def _band_hashes(sketches: np.ndarray) -> np.ndarray:
    """``_BandTable.buckets``' hash of every band of every sketch (uint64[n, BANDS]), at once."""
    pairs = sketches.astype(np.uint64).reshape(len(sketches), fp.BANDS, fp.BAND_ROWS)
    keys = (pairs[:, :, 0] << np.uint64(16)) | pairs[:, :, 1] | (np.arange(fp.BANDS, dtype=np.uint64) << np.uint64(32))
    return fp._mix(keys)


@dataclass(frozen=True)
class DedupDecision:
    content_hash: str
    duplicate_of: str | None  # id of the first stored copy (exact or near), else None
    exact: bool  # content hash matched
    similarity: float  # estimated similarity to duplicate_of (1.0 exact, 0.0 none)
    cluster: str  # story cluster id: the id of the cluster's first article


@dataclass(frozen=True)
class _Doc:
    """One document as a shard stores it."""

    id: str
    cluster: str
    sketch: np.ndarray  # uint16[BINS]
    chash: int
    day: int
    terms: np.ndarray | list[int]  # story term ids


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


_NO_DAYS = (1 << 16, -1)  # (first, last) day of an empty part


class _StoryWindow:
    """Story terms of the last few days, packed: term → rows, and row → terms.

    Merged part (numpy): the distinct words sorted with offsets into their postings (row
    and day), and each row's term ids. Recent part (dicts): the documents added since the
    last merge, at most ``MERGE_EVERY``; they are folded into the arrays in one
    vectorised step, which also drops days that fell out of the window. A document costs
    ~14 bytes per term there instead of ~100 in lists and dicts.
    """

    MERGE_EVERY = 1024

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}  # day → documents of that day in the window
        self.newest: int | None = None
        self._words = np.zeros(0, np.uint32)  # distinct words (term >> 1), ascending
        self._word_start = np.zeros(1, np.int64)  # postings of _words[i]: [_word_start[i], _word_start[i + 1])
        self._post_row = np.zeros(0, np.int32)
        self._post_day = np.zeros(0, np.uint16)
        self._term_row = np.zeros(0, np.int32)  # rows, ascending
        self._term_start = np.zeros(1, np.int64)
        self._term_ids = np.zeros(0, np.uint32)
        self._term_day = np.zeros(0, np.uint16)
        self._span = self._recent_span = _NO_DAYS  # first and last day in the merged and recent parts
        self._recent_post: dict[int, list[int]] = {}  # word → rows
        self._recent_terms: dict[int, list[int]] = {}  # row → term ids
        self._recent_day: dict[int, int] = {}  # row → day
        self._views()

    def _views(self) -> None:
        self._v_word_start = memoryview(self._word_start)
        self._v_post_row = memoryview(self._post_row)
        self._v_post_day = memoryview(self._post_day)

    def add(self, row: int, day: int, terms: list[int]) -> None:
        if self.newest is None or day > self.newest:
            self.newest = day
            cutoff = day - _WINDOW_DAYS
            for old in [d for d in self.counts if d < cutoff]:
                del self.counts[old]
            if min(self._span[0], self._recent_span[0]) < cutoff:
                self._merge()  # a new day: drop the one that left the window
        if day < self.newest - _WINDOW_DAYS:
            return  # beyond any new match
        self.counts[day] = self.counts.get(day, 0) + 1
        for term in terms:
            self._recent_post.setdefault(term >> 1, []).append(row)  # the word, whatever its name flag
        self._recent_terms[row] = terms
        self._recent_day[row] = day
        first, last = self._recent_span
        self._recent_span = (min(first, day), max(last, day))
        if len(self._recent_terms) >= self.MERGE_EVERY:
            self._merge()

    def best(self, day: int, terms: list[int], exclude: int | None = None) -> int | None:
        """The earliest row in the window that shares enough specific terms."""
        if self.newest is None:
            return None
        lo, hi = max(day, self.newest) - _WINDOW_DAYS, day + _WINDOW_DAYS
        near = [count for d, count in self.counts.items() if lo <= d <= hi]
        if not near:
            return None
        limit = max(5, _COMMON_SHARE * sum(near))
        # In the usual case (a document of the newest day) every day held is near: no filter.
        whole = lo <= self._span[0] and self._span[1] <= hi
        whole_recent = lo <= self._recent_span[0] and self._recent_span[1] <= hi
        found = self._words.searchsorted(np.array(terms, np.uint32) >> np.uint32(1)).tolist() if terms else []
        words, starts, rows_, days = self._words, self._v_word_start, self._v_post_row, self._v_post_day
        specific, candidates = [], {}
        for term, at in zip(terms, found):
            word = term >> 1
            merged: list[int] = []
            if at < len(words) and words[at] == word:
                start, end = starts[at], starts[at + 1]
                if whole:
                    if end - start > limit:
                        continue  # names the region ("Armenia", "Baku"), not a story
                    merged = rows_[start:end].tolist()
                else:
                    merged = [r for r, d in zip(rows_[start:end].tolist(), days[start:end].tolist()) if lo <= d <= hi]
            recent = self._recent_post.get(word, [])
            if not whole_recent:
                recent = [r for r in recent if lo <= self._recent_day[r] <= hi]
            if len(merged) + len(recent) > limit:
                continue
            specific.append(term)
            for r in set(merged + recent) if len(merged) + len(recent) > 1 else merged + recent:
                candidates[r] = candidates.get(r, 0) + 1
        for row in sorted(r for r, shared in candidates.items() if shared >= fp.STORY_MIN_SHARED and r != exclude):
            if fp.terms_match(specific, self._terms(row)):
                return row
        return None

    def _terms(self, row: int) -> list[int]:
        if row in self._recent_terms:
            return self._recent_terms[row]
        at = int(self._term_row.searchsorted(row))
        return self._term_ids[self._term_start[at] : self._term_start[at + 1]].tolist()

    def _merge(self) -> None:
        """Fold the recent documents into the arrays and drop days that left the window."""
        oldest = (self.newest or 0) - _WINDOW_DAYS
        recent_rows = list(self._recent_terms)  # ascending: rows are numbered in order of addition
        counts = np.array([len(self._recent_terms[r]) for r in recent_rows], np.int64)
        # Term lists: old rows still in the window, then the recent ones (rows stay ascending).
        keep = self._term_day >= oldest
        lengths = np.diff(self._term_start)
        rows = np.concatenate((self._term_row[keep], np.array(recent_rows, np.int32)))
        ids = np.concatenate((
            self._term_ids[np.repeat(keep, lengths)],
            np.fromiter((t for r in recent_rows for t in self._recent_terms[r]), np.uint32, int(counts.sum())),
        ))
        days = np.concatenate((self._term_day[keep], np.array([self._recent_day[r] for r in recent_rows], np.uint16)))
        lengths = np.concatenate((lengths[keep], counts))
        starts = np.concatenate(([0], np.cumsum(lengths)))
        # Postings: every (word, row, day) of those rows, grouped by word.
        owner = np.repeat(np.arange(len(rows)), lengths)
        words = ids >> np.uint32(1)
        order = np.argsort(words, kind="stable")
        words = words[order]
        self._words, first = np.unique(words, return_index=True)
        self._word_start = np.append(first, len(words)).astype(np.int64)
        self._post_row, self._post_day = rows[owner[order]], days[owner[order]]
        self._term_row, self._term_start, self._term_ids, self._term_day = rows, starts.astype(np.int64), ids, days
        self._span = (int(days.min()), int(days.max())) if len(days) else _NO_DAYS
        self._recent_post, self._recent_terms, self._recent_day = {}, {}, {}
        self._recent_span = _NO_DAYS
        self._views()

    def nbytes(self) -> int:
        arrays = (self._words, self._word_start, self._post_row, self._post_day,
                  self._term_row, self._term_start, self._term_ids, self._term_day)
        return sum(a.nbytes for a in arrays) + self._recent_nbytes()

    def _recent_nbytes(self) -> int:
        """Python objects of the recent part (at most MERGE_EVERY documents), counted one by one."""
        size = sys.getsizeof
        total = size(self._recent_post) + size(self._recent_terms) + size(self._recent_day)
        total += sum(size(word) + size(rows) for word, rows in self._recent_post.items())
        total += sum(size(row) + size(terms) + sum(map(size, terms)) for row, terms in self._recent_terms.items())
        return total


def _encode(docs: list[_Doc]) -> bytes:
    header = {"v": 1, "n": len(docs), "bins": fp.BINS, "ids": [d.id for d in docs], "clusters": [d.cluster for d in docs]}
    parts = [json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"]
    parts.append(np.array([d.sketch for d in docs], "<u2").reshape(len(docs), fp.BINS).tobytes())
    parts.append(np.array([d.chash for d in docs], "<u4").tobytes())
    parts.append(np.array([d.day for d in docs], "<u2").tobytes())
    parts.append(np.array([len(d.terms) for d in docs], "<u1").tobytes())
    parts.append(np.concatenate([np.asarray(d.terms, np.uint32) for d in docs] + [np.zeros(0, np.uint32)]).astype("<u4").tobytes())
    return b"".join(parts)


def _decode(data: bytes) -> list[_Doc]:
    line, _, body = data.partition(b"\n")
    header = json.loads(line)
    n, bins = header["n"], header["bins"]
    offset = 0

    def take(dtype: str, count: int) -> np.ndarray:
        nonlocal offset
        array = np.frombuffer(body, dtype, count, offset)
        offset += array.nbytes
        return array

    sketches = take("<u2", n * bins).reshape(n, bins)
    chash, day, counts = take("<u4", n), take("<u2", n), take("<u1", n)
    terms = take("<u4", int(counts.sum()))
    bounds = np.concatenate(([0], np.cumsum(counts, dtype=np.int64))).tolist()
    return [
        _Doc(header["ids"][i], header["clusters"][i], sketches[i], int(chash[i]), int(day[i]), terms[bounds[i] : bounds[i + 1]])
        for i in range(n)
    ]


class DedupIndex:
    """Exact and near-duplicate detection and story clusters over the recent corpus."""

    def __init__(self, store: ObjectStore, *, months: int = 3):
        self.store = store
        self.months = months
        self._rows = _Rows()
        self._bands = _BandTable()
        self._window = _StoryWindow()
        # Features computed by decide(), reused by add() (bounded by the documents in flight).
        self._decided: dict[str, tuple[np.ndarray, np.ndarray, int | None]] = {}
        self._resolve: dict[str, int] | None = None  # id → row, only while loading shards
        self._pending: dict[str, list[_Doc]] = defaultdict(list)
        self._lock = threading.RLock()
        self.loaded: list[str] = []

    # Loading ---------------------------------------------------------------------------

    def load_recent(self, now: datetime) -> None:
        """Load the seeds shard and the last ``months`` monthly shards (oldest first)."""
        from storage.state import recent_months

        names = [SEEDS_SHARD] + list(reversed(recent_months(layout.as_utc(now), self.months)))
        with self._lock:
            # Cluster ids are resolved to rows with a temporary map: no per-id dict stays resident.
            self._resolve = {self._rows.id(r): r for r in range(self._rows.n)}
            try:
                for name in names:
                    try:
                        docs = _decode(self.store.get(shard_key(name)))
                    except NotFound:
                        continue
                    except _UNREADABLE as exc:
                        quarantine(self.store, shard_key(name), exc)  # a damaged shard must not stop every poll
                        continue
                    for doc in docs:
                        if doc.id not in self._resolve:
                            self._resolve[doc.id] = self._insert(doc, self._resolve.get(doc.cluster))
                    self.loaded.append(name)
            finally:
                self._resolve = None

    # Queries ---------------------------------------------------------------------------

    def decide(self, article_id: str, text: str, *, title: str, when: datetime) -> DedupDecision:
        chash, sketch, terms = self._features(text, title)
        bins = sketch.tolist()
        with self._lock:
            starts = self._bands.buckets(bins)
            candidates = self._bands.query(bins, self._rows, starts)
            decision, root, own = self._decide(article_id, chash, bins, terms, _day(when), candidates)
            # add() reuses the buckets while the table keeps its size.
            starts = (self._bands.size, starts)
            self._decided[article_id] = (sketch, bins, terms, root, self._rows.n if own is None else -1, starts)
            return decision

    def _features(self, text: str, title: str) -> tuple[str, np.ndarray, list[int]]:
        print_ = fp.fingerprint(text)
        return print_.content_hash, print_.sketch, fp.term_ids(fp.story_terms(title, text))

    def _find(self, article_id: str, bins: list[int]) -> int | None:
        """The row of ``article_id`` if it is indexed (same id, same sketch), else None."""
        for row in self._bands.query(bins, self._rows):
            if self._rows.id(row) == article_id:
                return row
        return None

    def _decide(self, article_id: str, chash: str, bins: list[int], terms: list[int], day: int, candidates: list[int]):
        """The decision for a document given its LSH ``candidates`` (ascending rows)."""
        # Plain Python over the few LSH candidates: numpy calls on arrays of 1–3 rows cost
        # more in call overhead than the comparisons themselves.
        rows = self._rows
        own = next((r for r in candidates if rows.id(r) == article_id), None)
        duplicate, similarity, exact, story = None, 0.0, False, None
        exact_row, near_row, near_equal = None, None, 0
        prefix = int(chash[:8], 16)
        story_bins = round(fp.STORY_SIMILARITY * fp.BINS) + 1
        for row in candidates:  # ascending: the first match is the first stored copy
            if row == own:
                continue
            equal = rows.equal_bins(row, bins)
            if exact_row is None and equal == fp.BINS and rows.hashes[row] == prefix:
                exact_row = row
            if near_row is None and equal >= fp.DUPLICATE_BINS:
                near_row, near_equal = row, equal
            if story is None and equal >= story_bins and abs(rows.days[row] - day) <= _WINDOW_DAYS:
                story = row
        if exact_row is not None:
            duplicate, exact, similarity = exact_row, True, 1.0
        elif near_row is not None:
            duplicate, similarity = near_row, near_equal / fp.BINS
        member = duplicate if duplicate is not None else story
        if member is None:
            member = self._window.best(day, terms, exclude=own)
        decision = DedupDecision(
            content_hash=chash,
            duplicate_of=rows.id(duplicate) if duplicate is not None else None,
            exact=exact,
            similarity=round(similarity, 4),
            cluster=rows.cluster_id(member) if member is not None else article_id,
        )
        root = rows.roots[member] if member is not None else None
        return decision, root, own

    # Additions -------------------------------------------------------------------------

    def add(self, article_id: str, decision: DedupDecision, *, text: str, title: str, when: datetime) -> None:
        """Index a stored document now (later decisions see it) and buffer it for ``flush``."""
        with self._lock:
            cached = self._decided.pop(article_id, None)
        if cached is None:
            _, sketch, terms = self._features(text, title)
            bins, root, seen_rows, starts = sketch.tolist(), None, -1, (0, None)
        else:
            sketch, bins, terms, root, seen_rows, starts = cached
        when = layout.as_utc(when)
        doc = _Doc(article_id, decision.cluster, sketch, int(decision.content_hash[:8], 16), _day(when), terms)
        shard = _shard_of(article_id, when)
        with self._lock:
            # decide() saw every row then; only a look-up can tell about rows added since.
            if seen_rows != self._rows.n and self._find(article_id, bins) is not None:
                return  # idempotent: already indexed (loaded, or added earlier in this run)
            if root is None and decision.cluster != article_id:
                root = self._find_cluster(decision.cluster)
            self._insert(doc, root, bins, starts[1] if starts[0] == self._bands.size else None)
            self._pending[shard].append(doc)

    def decide_and_add_many(self, items: Sequence[tuple[str, str, str, datetime]]) -> list[DedupDecision]:
        """``decide`` then ``add`` for each ``(article_id, text, title, when)`` in order, as one call.

        The decisions are those of the one-by-one calls: an item that copies an earlier
        item of the same batch is its duplicate. Fingerprints are computed for the whole
        batch at once (``fingerprint_many``), outside the lock; look-ups and insertions
        run under it, so no other call sees half a batch.
        """
        items = list(items)
        if not items:
            return []
        prints = fingerprint_many([text for _, text, _, _ in items])
        terms = [fp.term_ids(fp.story_terms(title, text)) for _, text, title, _ in items]
        sketches = np.stack([p.sketch for p in prints])
        hashed = _band_hashes(sketches)
        # Band keys as the rows store them: documents of the batch that share one are candidates of each other.
        keys = np.ascontiguousarray(sketches).view(np.uint32)
        shared = (keys[:, None, :] == keys[None, :, :]).any(axis=2).tolist()
        decisions: list[DedupDecision] = []
        with self._lock:
            rows, first_new = self._rows, self._rows.n
            # The table is only read here and written once at the end: a look-up finds every
            # row that shares a band whatever the table's layout, so the batch's own rows
            # come from ``shared`` instead.
            found = self._bands.query_many(sketches, hashed, rows)
            added: list[int | None] = []  # row of each item, None when it was already indexed
            for i, ((article_id, _, _, when), print_, doc_terms, sketch) in enumerate(zip(items, prints, terms, sketches)):
                candidates = found[i] + [r for j, r in enumerate(added) if r is not None and shared[i][j]]
                when = layout.as_utc(when)
                day = _day(when)
                decision, root, own = self._decide(article_id, print_.content_hash, sketch.tolist(), doc_terms, day, candidates)
                decisions.append(decision)
                if own is not None:
                    added.append(None)  # already indexed: add() would leave it as it is
                    continue
                doc = _Doc(article_id, decision.cluster, sketch, int(decision.content_hash[:8], 16), day, doc_terms)
                added.append(self._append(doc, root))
                self._pending[_shard_of(article_id, when)].append(doc)
            new = [i for i, r in enumerate(added) if r is not None]
            if new:
                self._bands.insert_many(first_new, hashed[new], rows)
        return decisions

    def _find_cluster(self, cluster: str) -> int | None:
        """Row of a cluster root given by id (rare path: add() without decide())."""
        for row in range(self._rows.n - 1, max(-1, self._rows.n - 50_000), -1):  # recent rows only
            if self._rows.id(row) == cluster:
                return self._rows.roots[row] if self._rows.roots[row] >= 0 else row
        return None

    def _insert(self, doc: _Doc, root: int | None, bins: list[int] | None = None, starts: list[int] | None = None) -> int:
        """Append a document; ``root`` is its cluster's root row when known."""
        row = self._append(doc, root)
        self._bands.insert(doc.sketch.tolist() if bins is None else bins, row, self._rows, starts)
        return row

    def _append(self, doc: _Doc, root: int | None) -> int:
        """Add a document's row and story terms, not yet its LSH slots."""
        rows = self._rows
        if root is None and doc.cluster != doc.id:
            rows.external.append(doc.cluster)
            root = -len(rows.external)
        row = rows.append(doc.id, doc.sketch, doc.chash, doc.day, rows.n if root is None else root)
        self._window.add(row, doc.day, doc.terms.tolist() if isinstance(doc.terms, np.ndarray) else doc.terms)
        return row

    def flush(self) -> None:
        """Merge buffered documents into their shards under compare-and-swap."""
        with self._lock:
            pending, self._pending = dict(self._pending), defaultdict(list)
        try:
            for shard, docs in pending.items():
                self._merge(shard_key(shard), docs)
        except BaseException:
            with self._lock:  # keep what was not written for the next flush
                for shard, docs in pending.items():
                    self._pending[shard][:0] = docs
            raise

    def _merge(self, key: str, docs: list[_Doc], attempts: int = 8) -> None:
        for _ in range(attempts):
            try:
                raw, version = self.store.get_versioned(key)
                current = _decode(raw)
            except NotFound:
                current, version = [], None
            except _UNREADABLE as exc:
                quarantine(self.store, key, exc)  # moved aside, not overwritten: this shard starts again
                current, version = [], None
            known = {d.id for d in current}
            new = [d for d in docs if d.id not in known]
            if not new:
                return
            try:
                self.store.put_if_version(key, _encode(current + new), version, content_type="application/octet-stream")
                return
            except Conflict:
                continue
        raise Conflict(f"{key}: changed by another run {attempts} times in a row; giving up")

    def nbytes(self) -> dict[str, int]:
        """Resident bytes of the index structures (for the benchmark): the per-document
        columns and LSH table grow with the corpus, the story window only with a few days."""
        return {"rows": self._rows.nbytes(), "bands": self._bands.nbytes(), "window": self._window.nbytes()}
