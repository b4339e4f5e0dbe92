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
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone

import numpy as np

from extractors import fingerprint as fp
from extractors.errors import Conflict, NotFound
from storage import layout
from storage.base import ObjectStore

SEEDS_SHARD = "seeds"
_EPOCH = date(2000, 1, 1).toordinal()
_WINDOW_DAYS = fp.STORY_WINDOW.days
_COMMON_SHARE = 0.02  # a term in more than 2 % of the window's documents names the region, not a story


def shard_key(name: str) -> str:
    return f"state/dedup/{name}.bin"


def _day(when: datetime) -> int:
    return layout.as_utc(when).date().toordinal() - _EPOCH


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
    sketch: np.ndarray
    chash: int
    day: int
    terms: np.ndarray


class _Rows:
    """Per-document columns in growable numpy arrays (no Python object per document)."""

    def __init__(self) -> None:
        self.n = 0
        self.sketch = np.zeros((0, fp.BINS), np.uint16)
        self.chash = np.zeros(0, np.uint32)
        self.day = np.zeros(0, np.uint16)
        self.cluster = np.zeros(0, np.int32)  # row of the cluster's root, or -1-k: external id k
        self.packed = np.zeros((0, 10), np.uint8)  # hex ids packed to 10 bytes
        self.other_ids: dict[int, str] = {}  # ids that are not 20 hex digits (seeds)
        self.external: list[str] = []  # cluster roots not loaded (older than the window)

    def _grow(self) -> None:
        size = max(1024, int(len(self.chash) * 1.25))
        for name in ("sketch", "chash", "day", "cluster", "packed"):
            old = getattr(self, name)
            new = np.zeros((size,) + old.shape[1:], old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    def append(self, doc_id: str, sketch: np.ndarray, chash: int, day: int, cluster: int) -> int:
        if self.n == len(self.chash):
            self._grow()
        row = self.n
        self.sketch[row], self.chash[row], self.day[row], self.cluster[row] = sketch, chash, day, cluster
        if len(doc_id) == 20 and all(c in "0123456789abcdef" for c in doc_id):
            self.packed[row] = np.frombuffer(bytes.fromhex(doc_id), np.uint8)
        else:
            self.other_ids[row] = doc_id
        self.n += 1
        return row

    def id(self, row: int) -> str:
        return self.other_ids.get(row) or self.packed[row].tobytes().hex()

    def cluster_id(self, row: int) -> str:
        root = int(self.cluster[row])
        return self.id(root) if root >= 0 else self.external[-1 - root]

    def nbytes(self) -> int:
        arrays = (self.sketch, self.chash, self.day, self.cluster, self.packed)
        return sum(a.nbytes for a in arrays) + 120 * (len(self.other_ids) + len(self.external))


class _BandTable:
    """LSH buckets: band key → rows, two-choice buckets of 4 slots holding only row numbers.

    The key itself is not stored: it is two bins of the row's sketch, checked on look-up.
    """

    WIDTH = 4

    def __init__(self) -> None:
        self.slots = np.full((1024, self.WIDTH), -1, np.int32)
        self.used = 0
        # Entries whose two buckets were both full (rare below the 0.85 load limit):
        # kept aside rather than growing the table for one unlucky key.
        self.overflow: dict[int, list[int]] = {}
        self._cols = np.arange(fp.BANDS) * fp.BAND_ROWS

    def _buckets(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(over="ignore"):
            h = fp._mix(keys.astype(np.uint64) | (np.arange(fp.BANDS, dtype=np.uint64) << np.uint64(32)))
        size = np.uint64(len(self.slots))
        return (h % size).astype(np.intp), ((h >> np.uint64(32)) % size).astype(np.intp)

    def query(self, sketch: np.ndarray, rows: _Rows) -> np.ndarray:
        """Rows sharing at least one band with ``sketch`` (unique)."""
        first, second = self._buckets(fp.band_keys(sketch))
        found = np.concatenate((self.slots[first], self.slots[second]), axis=1)  # bands × 2W
        if self.overflow:
            extra = [self.overflow.get(b, ()) for b in first.tolist()]
            width = max(map(len, extra))
            if width:
                spill = np.full((fp.BANDS, width), -1, np.int32)
                for band, rows_ in enumerate(extra):
                    spill[band, : len(rows_)] = rows_
                found = np.concatenate((found, spill), axis=1)
        hit = found >= 0
        if not hit.any():
            return found[hit]
        safe = np.where(hit, found, 0)
        cols = self._cols[:, None]
        stored = rows.sketch
        match = hit & (stored[safe, cols] == sketch[cols]) & (stored[safe, cols + 1] == sketch[cols + 1])
        return np.unique(found[match])

    def insert(self, sketch: np.ndarray, row: int, rows: _Rows) -> None:
        """Add ``row`` (already appended to ``rows``): a rehash picks it up with the rest."""
        if self.used + fp.BANDS > 0.85 * self.slots.size:
            self._resize(rows)
            return
        first, second = self._buckets(fp.band_keys(sketch))
        free_a = (self.slots[first] < 0).sum(axis=1)
        free_b = (self.slots[second] < 0).sum(axis=1)
        bucket = np.where(free_a >= free_b, first, second)
        free = np.maximum(free_a, free_b)
        if len(np.unique(bucket)) == fp.BANDS and free.min() > 0:
            self.slots[bucket, self.WIDTH - free] = row  # the common case: one vector write
        else:
            for a, b in zip(first.tolist(), second.tolist()):
                if not self._place(a, b, row):
                    self.overflow.setdefault(a, []).append(row)
        self.used += fp.BANDS

    def _place(self, a: int, b: int, row: int) -> bool:
        free_a = int(np.count_nonzero(self.slots[a] < 0))
        free_b = int(np.count_nonzero(self.slots[b] < 0))
        bucket = a if free_a >= free_b else b
        free = max(free_a, free_b)
        if free == 0:
            return False
        self.slots[bucket, self.WIDTH - free] = row
        return True

    def _resize(self, rows: _Rows) -> None:
        """Rehash every row at once (vectorised): first choices, then overflow to second."""
        sketches = rows.sketch[: rows.n].astype(np.uint32).reshape(rows.n, fp.BANDS, fp.BAND_ROWS)
        keys = ((sketches[:, :, 0] << np.uint32(16)) | sketches[:, :, 1]).astype(np.uint64)
        with np.errstate(over="ignore"):
            hashed = fp._mix(keys | (np.arange(fp.BANDS, dtype=np.uint64) << np.uint64(32))).ravel()
        owners = np.repeat(np.arange(rows.n, dtype=np.int32), fp.BANDS)
        # Sized for a load of ~0.6 after the rehash: the next one comes at 0.85.
        size = max(1024, int(len(owners) / (0.6 * self.WIDTH)))
        slots = np.full((size, self.WIDTH), -1, np.int32)
        fill = np.zeros(size, np.int64)
        first = (hashed % np.uint64(size)).astype(np.intp)
        second = ((hashed >> np.uint64(32)) % np.uint64(size)).astype(np.intp)
        left = _fill(slots, fill, first, owners)
        overflow: dict[int, list[int]] = {}
        if left.any():
            still = _fill(slots, fill, second[left], owners[left])
            for bucket, row in zip(first[left][still].tolist(), owners[left][still].tolist()):
                overflow.setdefault(bucket, []).append(row)
        self.slots, self.used, self.overflow = slots, len(owners), overflow

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


class _StoryWindow:
    """Story terms of the last few days: term → rows, one dict per day, old days dropped."""

    def __init__(self) -> None:
        self.days: dict[int, dict[int, list[int]]] = {}
        self.counts: dict[int, int] = defaultdict(int)
        self.terms: dict[int, np.ndarray] = {}

    def add(self, row: int, day: int, terms: np.ndarray) -> None:
        postings = self.days.setdefault(day, {})
        for term in terms.tolist():
            postings.setdefault(term >> 1, []).append(row)  # the word, whatever its name flag
        self.counts[day] += 1
        self.terms[row] = terms
        newest = max(self.days)
        for old in [d for d in self.days if d < newest - _WINDOW_DAYS]:  # beyond any new match
            for rows in self.days.pop(old).values():
                for r in rows:
                    self.terms.pop(r, None)
            self.counts.pop(old, None)

    def best(self, day: int, terms: np.ndarray, exclude: int | None = None) -> int | None:
        """The earliest row in the window that shares enough specific terms."""
        near = [self.days[d] for d in range(day - _WINDOW_DAYS, day + _WINDOW_DAYS + 1) if d in self.days]
        if not near:
            return None
        total = sum(self.counts[d] for d in range(day - _WINDOW_DAYS, day + _WINDOW_DAYS + 1))
        limit = max(5, _COMMON_SHARE * total)
        specific, candidates = [], defaultdict(int)
        for term in terms.tolist():
            word = term >> 1
            lists = [postings[word] for postings in near if word in postings]
            if sum(map(len, lists)) > limit:
                continue  # names the region ("Armenia", "Baku"), not a story
            specific.append(term)
            for r in {r for rows in lists for r in rows}:
                candidates[r] += 1
        chosen = np.array(specific, np.uint32)
        for row in sorted(r for r, shared in candidates.items() if shared >= fp.STORY_MIN_SHARED and r != exclude):
            other = self.terms.get(row)
            if other is not None and fp.terms_match(chosen, other):
                return row
        return None

    def nbytes(self) -> int:
        postings = sum(len(rows) for day in self.days.values() for rows in day.values())
        return 64 * postings + 100 * len(self.terms)


def _encode(docs: list[_Doc]) -> bytes:
    header = {"v": 1, "n": len(docs), "bins": fp.BINS, "ids": [d.id for d in docs], "clusters": [d.cluster for d in docs]}
    parts = [json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"]
    parts.append(np.array([d.sketch for d in docs], "<u2").reshape(len(docs), fp.BINS).tobytes())
    parts.append(np.array([d.chash for d in docs], "<u4").tobytes())
    parts.append(np.array([d.day for d in docs], "<u2").tobytes())
    parts.append(np.array([len(d.terms) for d in docs], "<u1").tobytes())
    parts.append(np.concatenate([d.terms for d in docs] + [np.zeros(0, np.uint32)]).astype("<u4").tobytes())
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
                    for doc in docs:
                        if doc.id not in self._resolve:
                            self._resolve[doc.id] = self._insert(doc, self._resolve.get(doc.cluster))
                    self.loaded.append(name)
            finally:
                self._resolve = None

    # Queries ---------------------------------------------------------------------------

    def decide(self, article_id: str, text: str, *, title: str, when: datetime) -> DedupDecision:
        chash, sketch, terms = self._features(text, title)
        with self._lock:
            decision, root, own = self._decide(article_id, chash, sketch, terms, _day(when))
            self._decided[article_id] = (sketch, terms, root, self._rows.n if own is None else -1)
            return decision

    def _features(self, text: str, title: str) -> tuple[str, np.ndarray, np.ndarray]:
        print_ = fp.fingerprint(text)
        return print_.content_hash, print_.sketch, fp.term_hashes(fp.story_terms(title, text))

    def _find(self, article_id: str, sketch: np.ndarray) -> int | None:
        """The row of ``article_id`` if it is indexed (same id, same sketch), else None."""
        for row in self._bands.query(sketch, self._rows).tolist():
            if self._rows.id(row) == article_id:
                return row
        return None

    def _decide(self, article_id: str, chash: str, sketch: np.ndarray, terms: np.ndarray, day: int):
        rows = self._rows
        candidates = self._bands.query(sketch, rows)
        own = next((r for r in candidates.tolist() if rows.id(r) == article_id), None)
        if own is not None:
            candidates = candidates[candidates != own]
        duplicate, similarity, exact, story = None, 0.0, False, None
        if len(candidates):
            equal = np.count_nonzero(rows.sketch[candidates] == sketch, axis=1)
            prefix = int(chash[:8], 16)
            same_hash = (rows.chash[candidates] == prefix) & (equal == fp.BINS)
            if same_hash.any():
                duplicate, exact, similarity = int(candidates[same_hash].min()), True, 1.0
            elif (equal >= fp.DUPLICATE_BINS).any():
                duplicate = int(candidates[equal >= fp.DUPLICATE_BINS].min())  # the first stored copy
                similarity = float(equal[candidates == duplicate][0]) / fp.BINS
            close = np.abs(rows.day[candidates].astype(np.int32) - day) <= _WINDOW_DAYS
            related = candidates[close & (equal >= round(fp.STORY_SIMILARITY * fp.BINS) + 1)]
            story = int(related.min()) if len(related) else None
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
        root = int(rows.cluster[member]) if member is not None else None
        return decision, root, own

    # Additions -------------------------------------------------------------------------

    def add(self, article_id: str, decision: DedupDecision, *, text: str, title: str, when: datetime) -> None:
        """Index a stored document now (later decisions see it) and buffer it for ``flush``."""
        with self._lock:
            cached = self._decided.pop(article_id, None)
        if cached is None:
            _, sketch, terms = self._features(text, title)
            root, seen_rows = None, -1
        else:
            sketch, terms, root, seen_rows = cached
        doc = _Doc(article_id, decision.cluster, sketch, int(decision.content_hash[:8], 16), _day(when), terms)
        shard = SEEDS_SHARD if article_id.startswith("seed-") else layout.as_utc(when).strftime("%Y-%m")
        with self._lock:
            # decide() saw every row then; only a look-up can tell about rows added since.
            if seen_rows != self._rows.n and self._find(article_id, sketch) is not None:
                return  # idempotent: already indexed (loaded, or added earlier in this run)
            if root is None and decision.cluster != article_id:
                root = self._find_cluster(decision.cluster)
            self._insert(doc, root)
            self._pending[shard].append(doc)

    def _find_cluster(self, cluster: str) -> int | None:
        """Row of a cluster root given by id (rare path: add() without decide())."""
        for row in range(self._rows.n - 1, max(-1, self._rows.n - 50_000), -1):  # recent rows only
            if self._rows.id(row) == cluster:
                return int(self._rows.cluster[row]) if self._rows.cluster[row] >= 0 else row
        return None

    def _insert(self, doc: _Doc, root: int | None) -> int:
        """Append a document; ``root`` is its cluster's root row when known."""
        rows = self._rows
        if root is None and doc.cluster != doc.id:
            rows.external.append(doc.cluster)
            root = -len(rows.external)
        row = rows.append(doc.id, doc.sketch, doc.chash, doc.day, rows.n if root is None else root)
        self._bands.insert(doc.sketch, row, rows)
        self._window.add(row, doc.day, doc.terms)
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
