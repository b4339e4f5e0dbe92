"""Compiled kernels of the story window (``storage.dedup_window._StoryWindow``): the look-ups and
additions of a batch in one call (``_window_kernel``), and the linear merge of postings grouped by
word (``_merge_postings``). The window's state is an int64 array shared with Python; its slots
are named here.
"""

from __future__ import annotations

import numba
import numpy as np

from extractors import fingerprint as fp
from storage.dedup_tables import _WINDOW_DAYS

_RING = 16  # day slots of the document counts: the window spans _WINDOW_DAYS + 1 days
assert _WINDOW_DAYS < _RING
_NONE = -(1 << 40)  # "no day yet"
_FAR = 1 << 16  # (first, last) = (_FAR, -1): the span of an empty part

# Slots of the int64 ``state`` array shared by Python and the kernel.
_NEWEST, _SPAN, _RECENT_SPAN, _RECENT_DOCS, _RECENT_TERMS, _DAY_TAG, _DAY_COUNT = 0, 1, 3, 5, 6, 8, 8 + _RING
_STATE_SIZE = 8 + 2 * _RING
# What the kernel returns: the whole batch is done, or a merge is due before item ``stop``.
DONE, MERGE = 0, 1

@numba.njit(cache=True, nogil=True)
def _window_kernel(state, words, word_start, post_row, post_day, term_row, term_start, term_ids,
                   rec_row, rec_day, rec_start, rec_ids, rec_owner, rec_next, heads,
                   days, starts, ids, rows, exclude, want_best, best, at, cnt, stamp, base, common_share):
    """Look up then add each item from ``at // 2`` on. Returns 2 × n when done, or 2 × i (+1
    when item i's look-up is done) when the recent buffer must be merged before adding item i."""
    n = len(days)
    longest = 1
    for i in range(n):
        longest = max(longest, starts[i + 1] - starts[i])
    specific = np.empty(longest, np.int64)
    touched = np.empty(len(cnt), np.int64)
    cands = np.empty(len(cnt), np.int64)
    hits = np.empty(len(cnt) + 8, np.int64)  # one term's rows: at most max(5, share of the window's documents)
    tick = np.zeros(1, np.int64)
    first, skip = at // 2, at % 2 == 1
    for i in range(first, n):
        day, t0, t1 = days[i], starts[i], starts[i + 1]
        if want_best and not (skip and i == first) and state[_NEWEST] != _NONE:
            best[i] = _best(state, words, word_start, post_row, post_day, term_row, term_start, term_ids,
                            rec_row, rec_day, rec_start, rec_ids, rec_owner, rec_next, heads,
                            day, ids, t0, t1, exclude[i], specific, touched, cands, hits, cnt, stamp, tick,
                            base, common_share)
        if rows[i] < 0:
            continue
        if state[_NEWEST] == _NONE or day > state[_NEWEST]:
            state[_NEWEST] = day
            cutoff = day - _WINDOW_DAYS
            for k in range(_RING):
                if 0 <= state[_DAY_TAG + k] < cutoff:
                    state[_DAY_TAG + k], state[_DAY_COUNT + k] = -1, 0
            if min(state[_SPAN], state[_RECENT_SPAN]) < cutoff:
                return 2 * i + 1  # a new day: drop the one that left the window
        if day < state[_NEWEST] - _WINDOW_DAYS:
            continue  # beyond any new match
        m, t = state[_RECENT_DOCS], state[_RECENT_TERMS]
        if m == len(rec_row) or t + t1 - t0 > len(rec_ids):
            return 2 * i + 1
        slot = day % _RING
        state[_DAY_TAG + slot] = day
        state[_DAY_COUNT + slot] += 1
        rec_row[m], rec_day[m], rec_start[m] = rows[i], day, t
        for j in range(t0, t1):
            term = np.int64(ids[j])
            rec_ids[t], rec_owner[t] = term, m
            h = _chain(term >> 1, len(heads))
            rec_next[t], heads[h] = heads[h], t
            t += 1
        rec_start[m + 1] = t
        state[_RECENT_DOCS], state[_RECENT_TERMS] = m + 1, t
        state[_RECENT_SPAN] = min(state[_RECENT_SPAN], day)
        state[_RECENT_SPAN + 1] = max(state[_RECENT_SPAN + 1], day)
    return 2 * n


@numba.njit(cache=True, nogil=True, inline="always")
def _chain(word, size):
    return ((word * 2654435761) >> 13) & (size - 1)


@numba.njit(cache=True, nogil=True)
def _find(sorted_values, count, value):
    """Index of ``value`` in ``sorted_values[:count]`` (ascending), else -1."""
    lo, hi = 0, count
    while lo < hi:
        mid = (lo + hi) >> 1
        if np.int64(sorted_values[mid]) < value:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < count and np.int64(sorted_values[lo]) == value else -1


@numba.njit(cache=True, nogil=True)
def _best(state, words, word_start, post_row, post_day, term_row, term_start, term_ids,
          rec_row, rec_day, rec_start, rec_ids, rec_owner, rec_next, heads,
          day, ids, t0, t1, exclude, specific, touched, cands, hits, cnt, stamp, tick, base, common_share):
    """The earliest row in the window that shares enough specific terms with ids[t0:t1], or -1."""
    lo, hi = max(day, state[_NEWEST]) - _WINDOW_DAYS, day + _WINDOW_DAYS
    total = 0
    for k in range(_RING):
        if state[_DAY_TAG + k] >= 0 and lo <= state[_DAY_TAG + k] <= hi:
            total += state[_DAY_COUNT + k]
    if total == 0:
        return -1
    limit = max(5.0, common_share * total)
    # In the usual case (a document of the newest day) every day held is near: no filter.
    whole = lo <= state[_SPAN] and state[_SPAN + 1] <= hi
    whole_recent = lo <= state[_RECENT_SPAN] and state[_RECENT_SPAN + 1] <= hi
    ns, nt, nc = 0, 0, 0
    for j in range(t0, t1):
        term = np.int64(ids[j])
        word = term >> 1
        at = _find(words, len(words), word)
        s, e, held = 0, 0, 0
        if at >= 0:
            s, e = word_start[at], word_start[at + 1]
            if whole:
                if e - s > limit:
                    continue  # names the region ("Armenia", "Baku"), not a story
                held = e - s
            else:
                for p in range(s, e):
                    held += lo <= post_day[p] <= hi
        p = heads[_chain(word, len(heads))]
        while p >= 0:
            if np.int64(rec_ids[p]) >> 1 == word and (whole_recent or lo <= rec_day[rec_owner[p]] <= hi):
                held += 1
            p = rec_next[p]
        if held > limit:
            continue
        if held > len(hits):  # cannot happen (held ≤ limit ≤ the window's rows < len(hits)); numba has no bounds checks
            continue
        specific[ns] = term
        ns += 1
        tick[0] += 1  # a row counts once per term (stamps persist across look-ups)
        tk = tick[0]
        # The term's rows (held of them, at most ``limit``), merged part then recent buffer,
        # gathered first so that one inline loop tallies them: a call to a compiled function
        # with array arguments costs ~80 ns (reference counts), 40 times a tally.
        nh = 0
        for p in range(s, e):
            if whole or lo <= post_day[p] <= hi:
                hits[nh] = post_row[p]
                nh += 1
        p = heads[_chain(word, len(heads))]
        while p >= 0:
            if np.int64(rec_ids[p]) >> 1 == word and (whole_recent or lo <= rec_day[rec_owner[p]] <= hi):
                hits[nh] = rec_row[rec_owner[p]]
                nh += 1
            p = rec_next[p]
        for q in range(nh):
            row = hits[q]
            k = row - base
            if stamp[k] != tk:
                stamp[k] = tk
                if cnt[k] == 0:
                    touched[nt] = k
                    nt += 1
                cnt[k] += 1
                if cnt[k] == fp.STORY_MIN_SHARED:
                    cands[nc] = row
                    nc += 1
    for k in range(nt):
        cnt[touched[k]] = 0
    found = np.sort(cands[:nc])
    m = state[_RECENT_DOCS]
    for row in found:
        if row == exclude:
            continue
        k = _find(rec_row, m, row)
        if k >= 0:
            matched = _terms_match(specific, ns, rec_ids, rec_start[k], rec_start[k + 1])
        else:
            k = _find(term_row, len(term_row), row)
            matched = _terms_match(specific, ns, term_ids, term_start[k], term_start[k + 1])
        if matched:
            return row
    return -1


@numba.njit(cache=True, nogil=True)
def _terms_match(a, na, b, b0, b1):
    """``fp.terms_match(a[:na], b[b0:b1])`` on arrays: a dozen ids each, so plain loops."""
    words_a, words_b, shared = 0, 0, 0
    for x in range(na):
        if not _seen(a, 0, x, a[x] >> 1):
            words_a += 1
            shared += _seen(b, b0, b1, a[x] >> 1)
    for y in range(b0, b1):
        words_b += not _seen(b, b0, y, np.int64(b[y]) >> 1)
    if shared < fp.STORY_MIN_SHARED or shared < fp.STORY_MIN_SHARE * min(words_a, words_b):
        return False
    for x in range(na):
        if a[x] & 1 and _seen(b, b0, b1, a[x] >> 1):
            return True
    for y in range(b0, b1):
        if np.int64(b[y]) & 1 and _seen(a, 0, na, np.int64(b[y]) >> 1):
            return True
    return False


@numba.njit(cache=True, nogil=True, inline="always")
def _seen(ids, start, end, word):
    """Whether some id in ids[start:end] has this word."""
    for k in range(start, end):
        if np.int64(ids[k]) >> 1 == word:
            return True
    return False


@numba.njit(cache=True, nogil=True)
def _merge_postings(words, word_start, post_row, post_day, oldest, new_words, new_rows, new_days):
    """Postings of ``words`` (dropping days before ``oldest``) merged with new ones sorted by
    word: within a word the old postings come first, as a stable sort of both would give."""
    out_words = np.empty(len(words) + len(new_words), np.uint32)
    out_start = np.empty(len(words) + len(new_words) + 1, np.int32)
    out_row = np.empty(len(post_row) + len(new_rows), np.int32)
    out_day = np.empty(len(post_row) + len(new_rows), np.uint16)
    i, j, k, p = 0, 0, 0, 0
    while i < len(words) or j < len(new_words):
        word = words[i] if j >= len(new_words) or (i < len(words) and words[i] < new_words[j]) else new_words[j]
        start = p
        if i < len(words) and words[i] == word:
            for q in range(word_start[i], word_start[i + 1]):
                if post_day[q] >= oldest:
                    out_row[p], out_day[p] = post_row[q], post_day[q]
                    p += 1
            i += 1
        while j < len(new_words) and new_words[j] == word:
            out_row[p], out_day[p] = new_rows[j], new_days[j]
            p += 1
            j += 1
        if p > start:  # a word whose postings all left the window is dropped
            out_words[k], out_start[k] = word, start
            k += 1
    out_start[k] = p
    # Copies: slices would keep the over-allocated buffers resident.
    return out_words[:k].copy(), out_start[: k + 1].copy(), out_row[:p].copy(), out_day[:p].copy()
