"""The near-duplicate and story-cluster index, kept in the store by month.

    state/dedup/<yyyy-mm>/…      documents first seen that month (segments + base: storage.dedup_shards)
    state/dedup/seeds/…          the seed corpus (ids ``seed-…``), always loaded

A poll loads the seeds and the last ``months`` months, never the corpus, straight into the
index's arrays. In memory a document costs about 90 bytes: its 16×16-bit sketch, a 32-bit
content-hash prefix, day, cluster row, packed id, and one 4-byte slot per LSH band in a
two-choice bucket table. Additions are buffered and ``flush`` writes them as one new
write-once segment per month (no read, no compare-and-swap): two overlapping runs each write
their own, and a document stored twice is loaded once. Story terms stay in the store and are
kept in memory only for the last few days, the window in which a follow-up joins a story.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import numpy as np

from extractors import fingerprint as fp
from extractors.fingerprint_batch import sketch_many
from extractors.story_batch import story_term_arrays_many, story_term_ids_many
from storage import layout
from storage import dedup_shards as shards
from storage.base import ObjectStore
from storage.dedup_tables import _EPOCH, _WINDOW_DAYS, _BandTable, _Rows
from storage.dedup_load import load_parts, release_freed_memory
from storage.dedup_window import _StoryWindow

SEEDS_SHARD = shards.SEEDS


def _day(when: datetime) -> int:
    return layout.as_utc(when).date().toordinal() - _EPOCH


def _shard_of(article_id: str, when: datetime) -> str:
    return SEEDS_SHARD if article_id.startswith("seed-") else f"{when.year:04d}-{when.month:02d}"


@dataclass(frozen=True)
class DedupDecision:
    content_hash: str
    duplicate_of: str | None  # id of the first stored copy (exact or near), else None
    exact: bool  # content hash matched
    similarity: float  # estimated similarity to duplicate_of (1.0 exact, 0.0 none)
    cluster: str  # story cluster id: the id of the cluster's first article
    duplicate_day: date | None = None  # the UTC day duplicate_of was first seen (its record's key)


class _Doc(NamedTuple):
    """One document as a shard stores it (a named tuple: one is built per new document, and a
    frozen dataclass costs several times more to build)."""

    id: str
    cluster: str
    sketch: np.ndarray  # uint16[BINS]
    chash: int
    day: int
    terms: np.ndarray | list[int]  # story term ids


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
        self._pending: dict[str, list[_Doc]] = defaultdict(list)
        self._lock = threading.RLock()
        self.loaded: list[str] = []

    # Loading ---------------------------------------------------------------------------

    def load_recent(self, now: datetime) -> None:
        """Load the seeds and the last ``months`` months (oldest first), base and segments."""
        from storage.state import quarantine, recent_months

        names = [SEEDS_SHARD] + list(reversed(recent_months(layout.as_utc(now), self.months)))
        parts = []
        # The months are read at once (on S3 a base is one large GET each), then loaded in order.
        with ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="dedup-load") as pool:
            for name, found in zip(names, pool.map(lambda name: shards.read(self.store, name, quarantine), names)):
                parts += found
                if found:
                    self.loaded.append(name)
        if parts:
            with self._lock:
                load_parts(self._rows, self._bands, self._window, parts)
        del parts
        release_freed_memory()

    # Queries ---------------------------------------------------------------------------

    def decide(self, article_id: str, text: str, *, title: str, when: datetime) -> DedupDecision:
        chash, sketch, terms = self._features(text, title)
        bins = sketch.tolist()
        with self._lock:
            starts = self._bands.buckets(bins)
            candidates = self._bands.query(bins, self._rows, starts)
            own = next((r for r in candidates if self._rows.id(r) == article_id), None)
            day = _day(when)
            decision, root = self._decide(
                article_id, chash, bins, day, candidates, own, lambda: self._window.best(day, terms, exclude=own)
            )
            # add() reuses the buckets while the table keeps its size.
            starts = (self._bands.size, starts)
            self._decided[article_id] = (sketch, bins, terms, root, self._rows.n if own is None else -1, starts)
            return decision

    def _features(self, text: str, title: str) -> tuple[str, np.ndarray, list[int]]:
        # The compiled kernels: bit-identical to fp.fingerprint and fp.term_ids(fp.story_terms(...)).
        hashes, sketches = sketch_many([text])
        return hashes[0], sketches[0], story_term_ids_many([title], [text])[0]

    def _find(self, article_id: str, bins: list[int]) -> int | None:
        """The row of ``article_id`` if it is indexed (same id, same sketch), else None."""
        for row in self._bands.query(bins, self._rows):
            if self._rows.id(row) == article_id:
                return row
        return None

    def _decide(self, article_id: str, chash: str, bins: list[int], day: int, candidates: list[int],
                own: int | None, story_row: Callable[[], int | None]):
        """The decision for a document given its LSH ``candidates`` (ascending rows), its own
        row if already indexed, and the story window's answer (asked only when needed)."""
        # Plain Python over the few LSH candidates: numpy calls on arrays of 1–3 rows cost
        # more in call overhead than the comparisons themselves.
        rows = self._rows
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
            member = story_row()
        decision = DedupDecision(
            content_hash=chash,
            duplicate_of=rows.id(duplicate) if duplicate is not None else None,
            exact=exact,
            similarity=round(similarity, 4),
            cluster=rows.cluster_id(member) if member is not None else article_id,
            duplicate_day=date.fromordinal(int(rows.days[duplicate]) + _EPOCH) if duplicate is not None else None,
        )
        root = rows.roots[member] if member is not None else None
        return decision, root

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
        batch at once (``sketch_many``, compiled), outside the lock; look-ups and insertions
        run under it, so no other call sees half a batch.
        """
        items = list(items)
        if not items:
            return []
        ids = [article_id for article_id, _, _, _ in items]
        chashes, sketches = sketch_many([text for _, text, _, _ in items])
        term_ids, term_starts = story_term_arrays_many([title for _, _, title, _ in items], [text for _, text, _, _ in items])
        prefixes = [int(chash[:8], 16) for chash in chashes]
        when_utc = [layout.as_utc(when) for _, _, _, when in items]
        days = [when.toordinal() - _EPOCH for when in when_utc]
        with self._lock:
            rows, first_new = self._rows, self._rows.n
            # The table is only read here and written once at the end: a look-up finds every
            # row that shares a band whatever the table's layout, so the batch's own rows
            # come from ``shared`` instead (earlier documents of the batch sharing a band).
            found, shared, hashed = self._bands.query_many(sketches, rows)
            candidates, owns, added = self._batch_rows(ids, found, shared, first_new)
            # Story-window look-ups and additions of the whole batch in one compiled call, in
            # order; a look-up only matters when no LSH candidate decided (cheap either way).
            best = self._window.run(
                np.array(days), term_starts, term_ids, np.array([-1 if r is None else r for r in added]),
                np.array([-1 if r is None else r for r in owns]),
            ).tolist()
            new = [i for i, r in enumerate(added) if r is not None]
            if new:  # rows first, cluster roots as decided: a later item's decision may read them
                rows.append_many([ids[i] for i in new], sketches[new], [prefixes[i] for i in new], [days[i] for i in new])
            # Most items have neither an LSH candidate nor a story: a cluster of their own, which
            # is what ``append_many`` gave their rows. Only the others are decided one by one,
            # in order, since a later item may join the cluster of an earlier one.
            decisions = [DedupDecision(chash, None, False, 0.0, article_id) for chash, article_id in zip(chashes, ids)]
            for i in [i for i in range(len(ids)) if candidates[i] or best[i] >= 0]:
                story = best[i]
                if candidates[i]:
                    decisions[i], root = self._decide(
                        ids[i], chashes[i], sketches[i].tolist(), days[i], candidates[i], owns[i],
                        lambda: None if story < 0 else story,
                    )
                else:  # no LSH candidate: ``_decide`` would take the story window's answer
                    decisions[i] = DedupDecision(chashes[i], None, False, 0.0, rows.cluster_id(story))
                    root = rows.roots[story]
                if root is not None and added[i] is not None:
                    rows.roots[added[i]] = root
            self._buffer(ids, decisions, sketches, prefixes, days, term_ids, term_starts.tolist(), when_utc, new)
            if new:
                self._bands.insert_many(first_new, hashed[new], rows)
        return decisions

    def _buffer(self, ids, decisions, sketches, prefixes, days, term_ids, at, when_utc, new) -> None:
        """The batch's new documents (indices ``new``) into the buffers of their shards."""
        docs = [_Doc(ids[i], decisions[i].cluster, sketches[i], prefixes[i], days[i], term_ids[at[i] : at[i + 1]])
                for i in new]
        months = {(when_utc[i].year, when_utc[i].month) for i in new}
        if len(months) == 1 and not any(ids[i].startswith("seed-") for i in new):  # the usual batch: one shard
            self._pending[_shard_of(ids[new[0]], when_utc[new[0]])] += docs
            return
        for i, doc in zip(new, docs):
            self._pending[_shard_of(ids[i], when_utc[i])].append(doc)

    def _batch_rows(self, ids: list[str], found: list[list[int]], shared: dict[int, list[int]], first_new: int):
        """Each item's LSH candidates (ascending), its own row if already indexed, and the row
        it will take if not (None): what ``_decide`` and the story window need in advance.

        Only items with a candidate can already be indexed; the others (most) take the next
        rows in order, so only the few with candidates are looked at one by one."""
        rows, n = self._rows, len(ids)
        candidates, owns = found, [None] * n
        added: list[int | None] = list(range(first_new, first_new + n))
        for i in sorted({i for i in range(n) if found[i]} | shared.keys()):
            found_i = found[i]
            if i in shared:  # earlier items of the batch sharing a band (their new rows are higher)
                found_i = candidates[i] = found_i + [added[j] for j in shared[i] if added[j] is not None]
            own = next((r for r in found_i if (rows.id(r) if r < first_new else ids[added.index(r)]) == ids[i]), None)
            if own is not None:  # already indexed: takes no row, the later items one fewer
                owns[i], added[i] = own, None
                for j in range(i + 1, n):
                    added[j] -= 1
        return candidates, owns, added

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

    def _append(self, doc: _Doc, root: int | None, window: bool = True) -> int:
        """Add a document's row and (unless the caller did) story terms, not yet its LSH slots."""
        rows = self._rows
        if root is None and doc.cluster != doc.id:
            rows.external.append(doc.cluster)
            root = -len(rows.external)
        row = rows.append(doc.id, doc.sketch, doc.chash, doc.day, rows.n if root is None else root)
        if window:
            self._window.add(row, doc.day, doc.terms.tolist() if isinstance(doc.terms, np.ndarray) else doc.terms)
        return row

    def flush(self, label: str = "") -> None:
        """Write buffered documents as one new segment per month (write-once: no read, no CAS)."""
        with self._lock:
            pending, self._pending = dict(self._pending), defaultdict(list)
        try:
            while pending:
                shard, docs = next(iter(pending.items()))
                cols = shards.columns([d.id for d in docs], [d.cluster for d in docs], [d.sketch for d in docs],
                                      [d.chash for d in docs], [d.day for d in docs], [d.terms for d in docs])
                shards.write_batch(self.store, shard, label, cols)
                del pending[shard]
        except BaseException:
            with self._lock:  # keep what was not written for the next flush
                for shard, docs in pending.items():
                    self._pending[shard][:0] = docs
            raise

    def nbytes(self) -> dict[str, int]:
        """Resident bytes of the index structures (for the benchmark): the per-document
        columns and LSH table grow with the corpus, the story window only with a few days."""
        return {"rows": self._rows.nbytes(), "bands": self._bands.nbytes(), "window": self._window.nbytes()}
