"""The story window: story terms of the last few days, packed, for the cluster decision.

A follow-up joins a story only within ``fp.STORY_WINDOW`` (4 days), so terms older than that
are dropped; the window costs a few bytes per document of the corpus (see benchmarks/dedup.py).
"""

from __future__ import annotations

import sys

import numpy as np

from extractors import fingerprint as fp
from storage.dedup_tables import _COMMON_SHARE, _WINDOW_DAYS

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
