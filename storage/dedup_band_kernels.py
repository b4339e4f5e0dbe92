"""Compiled kernels of the LSH band table (``storage.dedup_tables._BandTable``).

A slot holds ``row << 3 | band``; buckets of ``_WIDTH`` slots fill from the left. Helpers that
take an array are called only on rare paths (a cuckoo step): in numba, a call with array
arguments costs ~80 ns of reference counting, more than a placement, so the hot loops have
their bucket scans written inline.
"""

from __future__ import annotations

import numba
import numpy as np

from extractors import fingerprint as fp

# Compiled insertion. Placement is sequential by nature (each entry sees the ones before), so
# per-entry Python cost dominated the index once buckets filled up. A look-up finds every row
# sharing a band whatever the layout, so the layout (which bucket, which slot) may change
# between versions without changing a decision; tests/test_dedup_tables.py checks look-ups
# against brute force.

_WIDTH = 4  # slots per bucket (``_BandTable.WIDTH``)
_U_MIX1 = fp._MIX[1]


@numba.njit(cache=True, nogil=True)
def _band_hash(lo, hi, band):
    """The hash of a band (its two bins ``lo``, ``hi``) as ``_band_hashes`` and
    ``_BandTable.buckets`` compute it; buckets are ``h % size`` and ``(h >> 32) % size``.
    Scalars only: a call with array arguments would cost more than the hash."""
    h = (np.uint64(lo) << np.uint64(16)) | np.uint64(hi) | (np.uint64(band) << np.uint64(32))
    h = (h ^ (h >> np.uint64(29))) * _U_MIX1
    return h ^ (h >> np.uint64(32))


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
        h = _band_hash(bins[at], bins[at + 1], band)
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
        # Free slots counted inline: a call with an array argument costs ~80 ns (reference
        # counts), more than the placement itself; a rehash places every entry through here.
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


@numba.njit(cache=True, nogil=True)
def _insert_distinct(found, start, at, row):
    """Insert ``row`` into the sorted, distinct rows ``found[start:at]`` (a handful); the new end."""
    i = at
    while i > start and found[i - 1] > row:
        i -= 1
    if i > start and found[i - 1] == row:
        return at
    for j in range(at, i, -1):
        found[j] = found[j - 1]
    found[i] = row
    return at + 1


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
            h = _band_hash(lo, hi, band)
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
                    at = _insert_distinct(found, bounds[d], at, row)
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
def _rehash_kernel(slots, bins, rows, first, overflowed):
    """Every band of ``rows`` (ascending; the rows no static table holds) into ``slots`` (empty)
    through ``_place_kernel``, in order; ``first[k]`` is entry k's first bucket (for the overflow),
    k = i * BANDS + band for the row ``rows[i]``."""
    size = np.uint64(len(slots) // _WIDTH)
    second = np.empty(len(first), np.int64)
    entries = np.empty(len(first), np.int32)
    for i in range(len(rows)):
        row = rows[i]
        for band in range(fp.BANDS):
            k = i * fp.BANDS + band
            h = _band_hash(bins[row * fp.BINS + 2 * band], bins[row * fp.BINS + 2 * band + 1], band)
            first[k], second[k] = np.int64(h % size), np.int64((h >> np.uint64(32)) % size)
            entries[k] = np.int32((row << 3) | band)
    _place_kernel(slots, bins, entries, first, second, overflowed)
