"""What compaction stores in a dedup base besides the documents, so that a load rebuilds nothing.

A base (``state/dedup/<month>/base-<gen>.bin``, format v3) is the v2 columns of its documents
(``storage.dedup_shards``) followed by arrays compaction computed from them once:

    roots       i4[n]   row (in the base) of each document's cluster root; -1: an older root, found by id at load
    id_high     u8[n]   the ids' first 64 bits, sorted  } a load checks another part's ids against the
    id_low      u2[n]   their last 16 bits, same order  } base by ``searchsorted``, not a hash table
    id_order    u4[n]   the row of each sorted id       } of every id (~0.6 s at 3 million)
    slots       i4[S]   the base's LSH band table (``storage.dedup_static``), rows relative to the base
    spill       i8[K] + i4[K]  its overflow (first bucket, entry), empty in practice
    window      the story-term postings of the base's last days (``fp.STORY_WINDOW``), grouped by
                word as the story window holds them: words u4[W], word_start i4[W+1],
                post_row i4[P] (relative), post_day u2[P]; from ``window_from`` (a day) on

Together they replace what a load of a million-document month spent most of its time on: the
LSH rehash, the id pass and sorting the window's postings. The header names the counts, so a
v3 reader knows every offset; a v2 base (no extras) still loads, through the rebuilding path.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from storage import dedup_static
from storage.dedup_tables import _WINDOW_DAYS


class Extras(NamedTuple):
    roots: np.ndarray
    id_high: np.ndarray
    id_low: np.ndarray
    id_order: np.ndarray
    slots: np.ndarray
    spill_bucket: np.ndarray
    spill_entry: np.ndarray
    window_from: int
    words: np.ndarray
    word_start: np.ndarray
    post_row: np.ndarray
    post_day: np.ndarray


def sorted_ids(high: np.ndarray, low: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Id keys sorted by (high, low): (high, low, order)."""
    order = np.argsort(high, kind="stable")  # lexsort of both costs 10 times more; 64 bits all but never tie
    sorted_high = high[order]
    if len(order) > 1 and (sorted_high[1:] == sorted_high[:-1]).any():
        order = np.lexsort((low, high))
        sorted_high = high[order]
    return sorted_high, low[order].astype(np.uint16), order.astype(np.uint32)


def window_postings(day: np.ndarray, counts: np.ndarray, terms: np.ndarray):
    """The postings of the documents of the last ``_WINDOW_DAYS`` + 1 days (by ``day``), grouped by
    word ascending, rows ascending within a word: (window_from, words, word_start, post_row, post_day)."""
    if not len(day):
        return 0, np.zeros(0, np.uint32), np.zeros(1, np.int32), np.zeros(0, np.int32), np.zeros(0, np.uint16)
    window_from = int(day.max()) - _WINDOW_DAYS
    recent = day.astype(np.int64) >= window_from
    counts = counts.astype(np.int64)
    words = terms[np.repeat(recent, counts)].astype(np.uint32) >> np.uint32(1)
    rows = np.repeat(np.flatnonzero(recent).astype(np.int32), counts[recent])
    # By word, then by position (rows ascending within a word): one sort of unique 64-bit keys.
    order = np.sort((words.astype(np.uint64) << np.uint64(32)) | np.arange(len(words), dtype=np.uint64))
    order = (order & np.uint64(0xFFFFFFFF)).astype(np.int64)
    words, rows = words[order], rows[order]
    starts = np.flatnonzero(np.concatenate(([True], words[1:] != words[:-1]))) if len(words) else np.zeros(0, np.int64)
    word_start = np.append(starts, len(words)).astype(np.int32)
    return window_from, words[starts].astype(np.uint32), word_start, rows, day[rows].astype(np.uint16)


def build(cols, high: np.ndarray, low: np.ndarray, roots: np.ndarray) -> Extras:
    """The extras of a base holding ``cols`` (first copy of each id only; ``high``/``low``: its id
    keys, ``roots``: each document's cluster root row in the base, -1 when elsewhere)."""
    id_high, id_low, id_order = sorted_ids(high, low)
    slots, spill_bucket, spill_entry = dedup_static.build(cols.sketches)
    window_from, words, word_start, post_row, post_day = window_postings(cols.day, cols.counts, cols.terms)
    return Extras(roots.astype(np.int32), id_high, id_low, id_order, slots, spill_bucket, spill_entry,
                  window_from, words, word_start, post_row, post_day)


def header_fields(extras: Extras) -> dict:
    return {"slots": len(extras.slots), "spill": len(extras.spill_bucket), "words": len(extras.words),
            "postings": len(extras.post_row), "window_from": extras.window_from}


def encode(extras: Extras) -> bytes:
    e = extras
    return b"".join((e.roots.astype("<i4").tobytes(), e.id_high.astype("<u8").tobytes(),
                     e.id_low.astype("<u2").tobytes(), e.id_order.astype("<u4").tobytes(),
                     e.slots.astype("<i4").tobytes(), e.spill_bucket.astype("<i8").tobytes(),
                     e.spill_entry.astype("<i4").tobytes(), e.words.astype("<u4").tobytes(),
                     e.word_start.astype("<i4").tobytes(), e.post_row.astype("<i4").tobytes(),
                     e.post_day.astype("<u2").tobytes()))


def decode(fields: dict, n: int, body, offset: int) -> tuple[Extras, int]:
    """The extras at ``offset`` of ``body`` (a view of the object: nothing is copied here)."""

    def take(dtype: str, count: int) -> np.ndarray:
        nonlocal offset
        array = np.frombuffer(body, dtype, count, offset)
        offset += array.nbytes
        return array

    slots, spill, words, postings = (int(fields[k]) for k in ("slots", "spill", "words", "postings"))
    roots, id_high, id_low, id_order = take("<i4", n), take("<u8", n), take("<u2", n), take("<u4", n)
    table = take("<i4", slots), take("<i8", spill), take("<i4", spill)
    window = take("<u4", words), take("<i4", words + 1), take("<i4", postings), take("<u2", postings)
    return Extras(roots, id_high, id_low, id_order, *table, int(fields["window_from"]), *window), offset


def postings_from(extras: Extras, cutoff: int, offset: int):
    """The stored postings of days ``cutoff`` onwards, rows made absolute (``offset`` + relative):
    (words per posting, rows, days), grouped by word as ``_merge_postings`` takes them."""
    keep = extras.post_day >= cutoff
    words = np.repeat(extras.words, np.diff(extras.word_start))[keep]
    return words, extras.post_row[keep] + np.int32(offset), extras.post_day[keep]
