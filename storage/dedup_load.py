"""Loading the dedup index from the store: bases as compaction built them, the rest rebuilt.

The parts of a load (seeds, then each month oldest first: legacy shard, base, segments) become
consecutive rows in that order, the order in which their documents were stored. For each part:

* the first copy of each id is kept (two overlapping runs may both store a document): each
  part's ids are sorted (a base stores them sorted), and a part is checked against every part
  before it by one merge of sorted arrays (``_find_sorted``), not by a hash table of every id;
* a base whose ids all survive keeps what compaction stored: its LSH band table (a
  ``StaticTable`` at the base's row offset), its cluster roots by row, its window postings;
  any other part (segments, a legacy shard, a v2 base, a base with a repeated id) is indexed
  as before: its rows go to the growable band table and its terms through the story window;
* cluster roots not known by row (in an older month, or in a part without stored roots) are
  found by id in every part; roots loaded nowhere are kept by id (``_Rows.external``).

The decisions are those of the index that wrote the parts: a look-up finds every row sharing
a band whichever table holds it, and the story window holds the same documents' terms.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

from storage import dedup_base, dedup_shards as shards, segments
from storage.dedup_static import StaticTable
from storage.dedup_tables import _WINDOW_DAYS, _BandTable, _Rows
from storage.dedup_window import _StoryWindow


class _Keys(NamedTuple):
    """A part's ids sorted by (high, low), and the row of each: ``offset + order[i]``."""

    high: np.ndarray
    low: np.ndarray
    order: np.ndarray
    offset: int


@numba.njit(cache=True, nogil=True)
def _find_sorted(a_high, a_low, q_high, q_low, q_at, a_at):
    """For queries sorted by (high, low): the pairs (query index, index in ``a``) of equal keys, in
    ``q_at``/``a_at``; returns how many. ``a`` is sorted the same way. Galloping from the last
    position: linear for two parts of a size, logarithmic per query for a few. Matches are rare,
    so the outputs (``np.empty``) are barely touched: no page of them is faulted in for nothing."""
    n = len(a_high)
    pos = 0
    count = 0
    for i in range(len(q_high)):
        h, lo = q_high[i], q_low[i]
        if pos < n and (a_high[pos] < h or (a_high[pos] == h and a_low[pos] < lo)):
            prev, step = pos, 1
            cur = pos + 1
            while cur < n and (a_high[cur] < h or (a_high[cur] == h and a_low[cur] < lo)):
                prev = cur
                step *= 2
                cur = prev + step
            left, right = prev + 1, min(cur, n)
            while left < right:
                mid = (left + right) >> 1
                if a_high[mid] < h or (a_high[mid] == h and a_low[mid] < lo):
                    left = mid + 1
                else:
                    right = mid
            pos = left
        if pos < n and a_high[pos] == h and a_low[pos] == lo:
            q_at[count], a_at[count] = i, pos
            count += 1
    return count


def _matches(known: list[_Keys], high: np.ndarray, low: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ids sorted by (high, low): the indices of those some ``known`` part has, and their rows."""
    found_at, found_rows = [], []
    for keys in known:
        if not len(keys.high) or not len(high):
            continue
        # At most one match per query (a part's ids are distinct; queries may repeat: cluster ids).
        q_at, a_at = np.empty(len(high), np.int64), np.empty(len(high), np.int64)
        count = _find_sorted(keys.high, keys.low, high, low, q_at, a_at)
        found_at.append(q_at[:count].copy())
        found_rows.append(keys.order[a_at[:count]].astype(np.int64) + keys.offset)
    if not found_at:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(found_at), np.concatenate(found_rows)


def _lookup(known: list[_Keys], high: np.ndarray, low: np.ndarray) -> np.ndarray:
    """The row of each (high, low) id among the ``known`` parts, -1 where none has it."""
    order = np.lexsort((low, high))
    at, rows = _matches(known, np.ascontiguousarray(high[order]), np.ascontiguousarray(low[order]))
    found = np.full(len(high), -1, np.int64)
    found[order[at]] = rows
    return found


def _part_keys(cols: shards.Columns, extras) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if extras is not None:  # as stored (a view of a mapped base: nothing copied)
        return extras.id_high, extras.id_low, extras.id_order
    high, low = shards.id_keys(cols.ids, cols.other)
    h, lo, order = dedup_base.sorted_ids(high, low)
    return np.ascontiguousarray(h), np.ascontiguousarray(lo, dtype=np.uint16), order


class _Planned(NamedTuple):
    cols: shards.Columns
    extras: object  # dedup_base.Extras of a base used as stored, else None
    offset: int
    roots: np.ndarray  # int32: the root row of each document, -1: to be found by id


def load_parts(rows: _Rows, bands: _BandTable, window: _StoryWindow, parts: list) -> None:
    """Append ``parts`` ([(Columns, Extras | None)], in stored order) to an index's rows, band
    tables and story window."""
    parts = [(cols, extras) for cols, extras in parts if len(cols)]
    if not parts:
        return
    known: list[_Keys] = []
    if rows.n:
        high, low = shards.id_keys(rows.packed[: rows.n], rows.other_ids)
        h, lo, order = dedup_base.sorted_ids(high, low)
        known.append(_Keys(np.ascontiguousarray(h), np.ascontiguousarray(lo), order, 0))
    planned, offset = [], rows.n
    for cols, extras in parts:
        high, low, order = _part_keys(cols, extras)
        repeated = np.zeros(len(cols), np.bool_)
        same = (high[1:] == high[:-1]) & (low[1:] == low[:-1])  # sorted: a repeat follows its first copy
        repeated[order[1:][same]] = True
        if known:
            repeated[order[_matches(known, high, low)[0]]] = True
        if repeated.any():  # rare (overlapping runs): this part is indexed the rebuilding way
            cols, extras = shards.take_rows(cols, ~repeated), None
            if not len(cols):
                continue
            high, low, order = _part_keys(cols, None)
        if extras is not None:
            roots = extras.roots.astype(np.int32)
            roots[roots >= 0] += np.int32(offset)
        else:
            roots = np.full(len(cols), -1, np.int32)
        known.append(_Keys(high, low, order, offset))
        planned.append(_Planned(cols, extras, offset, roots))
        offset += len(cols)
    if not planned:
        return
    _resolve_roots(rows, planned, known)
    # Room for the run's additions too (an eighth, as ``_Rows`` grows): else the first batch copies
    # every row into new arrays (~1 s at 3 million). Untouched, the room is not resident.
    rows.reserve(offset + max(1024, offset // 8))
    for part in planned:
        c = part.cols
        rows.extend(c.ids, c.other, c.sketches, c.chash, c.day, part.roots)
    # Band tables: a stored one per base, every other row in the growable table.
    # A mapped base's table is used where it lies (its pages are read as look-ups touch them);
    # one read into memory (S3) is copied out, so that the rest of the object can go.
    bands.statics += [StaticTable(p.offset, len(p.cols), _kept(p.extras.slots), p.extras.spill_bucket.copy(),
                                  p.extras.spill_entry.copy()) for p in planned if p.extras is not None]
    bands.add_ranges([(p.offset, p.offset + len(p.cols)) for p in planned if p.extras is None], rows)
    _load_window(window, planned)
    segments.unmap_pages([p.extras.slots for p in planned if p.extras is not None])


def _resolve_roots(rows: _Rows, planned: list[_Planned], known: list[_Keys]) -> None:
    """Roots not known by row: found by the cluster id among every part; else kept by id."""
    for part in planned:
        todo = np.flatnonzero(part.roots < 0)
        if not len(todo):
            continue
        c = part.cols
        other = {k: c.other_clusters[i] for k, i in enumerate(todo.tolist()) if i in c.other_clusters}
        high, low = shards.id_keys(c.clusters[todo], other)
        found = _lookup(known, high, low.astype(np.uint16))
        part.roots[todo] = found
        missing = todo[found < 0]
        if len(missing):  # cluster roots older than the months loaded: kept by id
            names = [c.other_clusters.get(int(i)) or c.clusters[i].tobytes().hex() for i in missing]
            distinct = sorted(set(names))
            at = {name: len(rows.external) + k for k, name in enumerate(distinct)}
            rows.external += distinct
            part.roots[missing] = [-1 - at[name] for name in names]


def _load_window(window: _StoryWindow, planned: list[_Planned]) -> None:
    """The story terms of the documents of the last days, in row order: a base's stored postings
    where they cover the days needed, the documents' terms otherwise."""
    newest = max(int(p.cols.day.max()) for p in planned)
    if window.newest is not None:
        newest = max(newest, window.newest)
    window.advance(newest)
    cutoff = newest - _WINDOW_DAYS
    pending: list[tuple] = []  # consecutive parts without stored postings: one bulk_add (each call merges the window)
    for part in planned:
        c = part.cols
        recent = c.day >= cutoff
        if not recent.any():
            continue
        counts = c.counts.astype(np.int64)
        at = np.flatnonzero(recent)
        if at[-1] - at[0] + 1 == len(at):  # the usual case: the last days are the last rows, their terms the tail
            terms = np.array(c.terms[int(counts[: at[0]].sum()) : int(counts[: at[-1] + 1].sum())], np.uint32)
        else:
            terms = c.terms[np.repeat(recent, counts)].astype(np.uint32)
        docs = (c.day[recent].astype(np.int64), counts[recent], terms, at + part.offset)
        if part.extras is not None and part.extras.window_from <= cutoff:
            _bulk_add(window, pending)
            days, lengths, terms, new_rows = docs
            starts = np.concatenate(([0], np.cumsum(lengths)))
            window.add_postings(days, starts, terms, new_rows, dedup_base.postings_from(part.extras, cutoff, part.offset))
        else:
            pending.append(docs)
    _bulk_add(window, pending)


def _kept(array: np.ndarray) -> np.ndarray:
    return array if segments.is_mapped(array) else array.copy()


def _bulk_add(window: _StoryWindow, pending: list[tuple]) -> None:
    if pending:
        days, lengths, terms, new_rows = (np.concatenate(column) for column in zip(*pending))
        window.bulk_add(days, np.concatenate(([0], np.cumsum(lengths))), terms, new_rows)
        pending.clear()

def release_freed_memory() -> None:
    """Hand the heap's free pages back to the system after a load (glibc's ``malloc_trim``).

    A load decodes and sorts hundreds of megabytes it then frees; glibc keeps freed chunks of
    its heap resident for reuse, which a poll that loads once never makes. Elsewhere: nothing.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
