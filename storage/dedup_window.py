"""The story window: story terms of the last few days, packed, for the cluster decision.

A follow-up joins a story only within ``fp.STORY_WINDOW`` (4 days), so terms older than that
are dropped; the window costs a few bytes per document of the corpus (see benchmarks/dedup.py).

Its state is numpy arrays only, and the look-ups and additions of a whole batch run in one
numba call (``_window_kernel``), in order: an item sees the items of its batch before it,
exactly as one call per document would. Per-document Python (dict look-ups, list building)
was the window's whole cost; the arrays are also what a merge needs.
"""

from __future__ import annotations

import numpy as np

from storage.dedup_tables import _COMMON_SHARE, _WINDOW_DAYS
from storage.dedup_window_kernels import (
    _DAY_COUNT, _DAY_TAG, _FAR, _NEWEST, _NONE, _RECENT_DOCS, _RECENT_SPAN, _RECENT_TERMS, _RING, _SPAN, _STATE_SIZE,
    _merge_postings, _window_kernel,
)


class _StoryWindow:
    """Story terms of the last few days: term → rows, and row → terms.

    Merged part: the distinct words sorted with offsets into their postings (row and day),
    and each row's term ids, ascending by row. Recent part: a fixed-capacity buffer of the
    documents added since the last merge, their term ids, and their postings chained by
    word from a small hash table; it is folded into the merged arrays in one vectorised
    step when full or when a new day pushes one out of the window.
    """

    MERGE_EVERY = 1024  # documents in the recent buffer
    RECENT_TERMS = MERGE_EVERY * 14  # term slots in the buffer (documents average under 12)
    HEADS = 1 << 13  # hash chains of the recent postings (a power of two)

    def __init__(self) -> None:
        self.state = np.zeros(_STATE_SIZE, np.int64)
        self.state[_NEWEST] = _NONE
        self.state[_SPAN : _SPAN + 2] = self.state[_RECENT_SPAN : _RECENT_SPAN + 2] = (_FAR, -1)
        self.state[_DAY_TAG : _DAY_TAG + _RING] = -1
        self._words = np.zeros(0, np.uint32)  # distinct words (term >> 1), ascending
        self._word_start = np.zeros(1, np.int32)  # postings of _words[i]: [_word_start[i], _word_start[i + 1])
        self._post_row = np.zeros(0, np.int32)
        self._post_day = np.zeros(0, np.uint16)
        self._term_row = np.zeros(0, np.int32)  # rows, ascending
        self._term_start = np.zeros(1, np.int32)  # (int32: offsets into a few days' terms)
        self._term_ids = np.zeros(0, np.uint32)
        self._term_day = np.zeros(0, np.uint16)
        self._rec_row = np.zeros(self.MERGE_EVERY, np.int32)
        self._rec_day = np.zeros(self.MERGE_EVERY, np.uint16)
        self._rec_start = np.zeros(self.MERGE_EVERY + 1, np.int32)
        self._rec_ids = np.zeros(self.RECENT_TERMS, np.uint32)
        self._rec_owner = np.zeros(self.RECENT_TERMS, np.uint16)  # document of each term slot
        self._rec_next = np.zeros(self.RECENT_TERMS, np.int32)  # next slot of the same chain, or -1
        self._rec_heads = np.full(self.HEADS, -1, np.int32)

    @property
    def newest(self) -> int | None:
        newest = int(self.state[_NEWEST])
        return None if newest == _NONE else newest

    def add(self, row: int, day: int, terms: list[int]) -> None:
        newest = self.newest
        if newest is not None and day < newest - _WINDOW_DAYS:
            return  # beyond any new match (most of a loaded shard): no kernel call
        self.run(np.array([day]), *_packed([terms]), np.array([row]), np.array([-1]), want_best=False)

    def best(self, day: int, terms: list[int], exclude: int | None = None) -> int | None:
        """The earliest row in the window that shares enough specific terms."""
        if self.newest is None:
            return None
        found = self.run(np.array([day]), *_packed([terms]), np.array([-1]), np.array([-1 if exclude is None else exclude]))
        return None if found[0] < 0 else int(found[0])

    def run(self, days: np.ndarray, starts: np.ndarray, ids: np.ndarray, rows: np.ndarray, exclude: np.ndarray,
            want_best: bool = True) -> np.ndarray:
        """For each item i in order (its term ids ``ids[starts[i]:starts[i + 1]]``): its best row
        (-1: none) if ``want_best``, then add it as ``rows[i]`` unless that is -1. Returns the
        best rows (int64[n])."""
        n = len(days)
        days, rows, exclude = days.astype(np.int64), rows.astype(np.int64), exclude.astype(np.int64)
        best = np.full(n, -1, np.int64)
        at = 0  # 2 × the item to resume at, + 1 when its look-up is already done
        while True:
            base, top = self._row_range(rows)
            at = _window_kernel(
                self.state, self._words, self._word_start, self._post_row, self._post_day,
                self._term_row, self._term_start, self._term_ids,
                self._rec_row, self._rec_day, self._rec_start, self._rec_ids, self._rec_owner, self._rec_next,
                self._rec_heads, days, starts, ids, rows, exclude, want_best, best, at,
                np.zeros(top - base, np.int32), np.zeros(top - base, np.int32), base, _COMMON_SHARE,
            )
            if at >= 2 * n:
                return best
            self._merge()  # the buffer is full or a day left the window: the kernel resumes at ``at``

    BULK_DOCS = (1 << 16) - 1  # a load's recent buffer: ``_rec_owner`` is uint16

    def bulk_add(self, days: np.ndarray, starts: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> None:
        """``run`` of many documents without look-ups (a load), through a recent buffer of up to
        ``BULK_DOCS`` documents: each merge costs the whole window, so a merge every
        ``MERGE_EVERY`` documents made a load of the last days of a busy month quadratic."""
        if self.state[_RECENT_DOCS]:
            self._merge()
        normal = (self._rec_row, self._rec_day, self._rec_start, self._rec_ids, self._rec_owner, self._rec_next,
                  self._rec_heads)
        docs = max(self.MERGE_EVERY, min(len(days), self.BULK_DOCS))
        terms = max(self.RECENT_TERMS, docs * 18)
        self._rec_row, self._rec_day = np.zeros(docs, np.int32), np.zeros(docs, np.uint16)
        self._rec_start = np.zeros(docs + 1, np.int32)
        self._rec_ids, self._rec_owner = np.zeros(terms, np.uint32), np.zeros(terms, np.uint16)
        self._rec_next, self._rec_heads = np.zeros(terms, np.int32), np.full(1 << 17, -1, np.int32)
        try:
            self.run(days, starts, ids, rows, np.full(len(days), -1), want_best=False)
            self._merge()
        finally:
            (self._rec_row, self._rec_day, self._rec_start, self._rec_ids, self._rec_owner, self._rec_next,
             self._rec_heads) = normal

    def advance(self, newest: int) -> None:
        """Make ``newest`` the newest day (a load knows it before adding anything): what the kernel
        does when a later day arrives — days before the window leave the day counts now, and the
        merged arrays at the next merge."""
        if self.newest is not None and newest <= self.newest:
            return
        self.state[_NEWEST] = newest
        for k in range(_RING):
            if 0 <= self.state[_DAY_TAG + k] < newest - _WINDOW_DAYS:
                self.state[_DAY_TAG + k], self.state[_DAY_COUNT + k] = -1, 0

    def add_postings(self, days: np.ndarray, starts: np.ndarray, ids: np.ndarray, rows: np.ndarray, postings) -> None:
        """``bulk_add`` of documents (rows above every row held, days within the window of the
        newest day) whose postings a base stored already grouped by word (``postings``: word,
        row and day of each): one linear merge, no sort."""
        if self.state[_RECENT_DOCS]:
            self._merge()
        if not len(self._term_row):  # the usual load: nothing held yet, the postings are the window
            self._term_row, self._term_ids = rows.astype(np.int32), ids.astype(np.uint32)
            self._term_day, self._term_start = days.astype(np.uint16), starts.astype(np.int32)
            words, post_row, post_day = postings
            if len(words):
                first = np.flatnonzero(np.concatenate(([True], words[1:] != words[:-1])))
                self._words, self._word_start = words[first], np.append(first, len(words)).astype(np.int32)
            self._post_row, self._post_day = post_row, post_day
            self._count_days(days)
            return
        oldest = (self.newest or 0) - _WINDOW_DAYS
        keep = self._term_day >= oldest
        lengths = np.concatenate((np.diff(self._term_start)[keep], np.diff(starts)))
        self._term_row = np.concatenate((self._term_row[keep], rows)).astype(np.int32)
        self._term_ids = np.concatenate((self._term_ids[np.repeat(keep, np.diff(self._term_start))], ids)).astype(np.uint32)
        self._term_day = np.concatenate((self._term_day[keep], days)).astype(np.uint16)
        self._term_start = np.concatenate(([0], np.cumsum(lengths))).astype(np.int32)
        self._words, self._word_start, self._post_row, self._post_day = _merge_postings(
            self._words, self._word_start, self._post_row, self._post_day, oldest, *postings)
        self._count_days(days)

    def _count_days(self, days: np.ndarray) -> None:
        """Documents of ``days`` added: the day counts as the kernel keeps them, and the span held."""
        for day, count in zip(*np.unique(days, return_counts=True)):
            slot = int(day) % _RING
            self.state[_DAY_TAG + slot] = day
            self.state[_DAY_COUNT + slot] += count
        days_held = self._term_day
        self.state[_SPAN : _SPAN + 2] = (int(days_held.min()), int(days_held.max())) if len(days_held) else (_FAR, -1)

    def _row_range(self, rows: np.ndarray) -> tuple[int, int]:
        """Bounds of the rows the window may hold during a call (for the kernel's scratch counts)."""
        m = int(self.state[_RECENT_DOCS])
        new = rows[rows >= 0]
        values = [int(new.min()), int(new.max())] if len(new) else []
        if len(self._term_row):
            values += [int(self._term_row[0]), int(self._term_row[-1])]  # ascending
        if m:
            values += [int(self._rec_row[0]), int(self._rec_row[m - 1])]
        return (min(values), max(values) + 1) if values else (0, 1)

    def _merge(self) -> None:
        """Fold the recent documents into the arrays and drop days that left the window."""
        newest = self.newest
        oldest = (newest or 0) - _WINDOW_DAYS
        m, t = int(self.state[_RECENT_DOCS]), int(self.state[_RECENT_TERMS])
        recent_rows = self._rec_row[:m]
        counts = np.diff(self._rec_start[: m + 1]).astype(np.int64)
        # Term lists: old rows still in the window, then the recent ones (rows stay ascending).
        keep = self._term_day >= oldest
        lengths = np.diff(self._term_start)
        rows = np.concatenate((self._term_row[keep], recent_rows))
        ids = np.concatenate((self._term_ids[np.repeat(keep, lengths)], self._rec_ids[:t]))
        days = np.concatenate((self._term_day[keep], self._rec_day[:m]))
        lengths = np.concatenate((lengths[keep], counts))
        starts = np.concatenate(([0], np.cumsum(lengths)))
        # Postings: the merged ones still in the window and the recent ones, grouped by word.
        # Both parts are sorted by word, so one linear merge (``_merge_postings``) does instead
        # of sorting the whole window again: merges were most of the window's cost.
        recent_words = self._rec_ids[:t] >> np.uint32(1)
        order = np.argsort(recent_words, kind="stable")
        owner = self._rec_owner[:t][order]
        self._words, self._word_start, self._post_row, self._post_day = _merge_postings(
            self._words, self._word_start, self._post_row, self._post_day, oldest,
            recent_words[order], self._rec_row[owner], self._rec_day[owner],
        )
        self._term_row, self._term_start, self._term_ids, self._term_day = rows, starts.astype(np.int32), ids, days
        self.state[_SPAN : _SPAN + 2] = (int(days.min()), int(days.max())) if len(days) else (_FAR, -1)
        self.state[_RECENT_SPAN : _RECENT_SPAN + 2] = (_FAR, -1)
        self.state[_RECENT_DOCS] = self.state[_RECENT_TERMS] = 0
        self._rec_heads.fill(-1)

    def nbytes(self) -> int:
        arrays = (self._words, self._word_start, self._post_row, self._post_day,
                  self._term_row, self._term_start, self._term_ids, self._term_day,
                  self._rec_row, self._rec_day, self._rec_start, self._rec_ids, self._rec_owner,
                  self._rec_next, self._rec_heads, self.state)
        return sum(a.nbytes for a in arrays)


def _packed(terms: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Term id lists as ``run`` takes them: (starts, ids)."""
    starts = np.zeros(len(terms) + 1, np.int64)
    np.cumsum([len(t) for t in terms], out=starts[1:])
    return starts, np.fromiter((t for ts in terms for t in ts), np.uint32, int(starts[-1]))
