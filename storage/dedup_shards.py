"""The dedup index in the store: write-once segments and compacted bases, as packed columns.

    state/dedup/<yyyy-mm>/seg-<batch>-<n>.bin   one committed batch's new documents
    state/dedup/<yyyy-mm>/base-<gen>.bin        a month's segments merged (``compact``)
    state/dedup/seeds/…                         the seed corpus (ids ``seed-…``), always loaded
    state/dedup/<yyyy-mm>.bin                   the earlier whole-month shard (read, folded in)

Format (v2, segments): a JSON header line ``{"v":2,"n":…,"bins":…,"other":{row: id},
"other_clusters":{row: id}}`` then, little-endian: ids u1[n×10] (20-hex ids packed; ids of
another form are in ``other``), cluster ids u1[n×10], sketches u2[n×bins], content-hash
prefix u4[n], day u2[n], term counts u1[n], terms u4[sum]. Decoding is ``np.frombuffer``
per column: no Python object per document, and a month of a million documents loads into
the index's arrays in one step. A document stored twice (two overlapping runs) is loaded
once: ``_first_ids`` keeps the first copy of each id and finds each cluster's row, in one
compiled pass over a hash table of the ids.

A base (v3) is the same columns followed by what compaction computed from them once, so that
a load rebuilds nothing: cluster roots by row, the ids sorted, the base's LSH band table and
the story-term postings of its last days (``storage.dedup_base``).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import NamedTuple

import numba
import numpy as np

from extractors import fingerprint as fp
from extractors.errors import NotFound
from storage import dedup_base, segments
from storage.base import ObjectStore

KIND = "dedup"
SEEDS = "seeds"
_HEX_IDS = re.compile(r"(?:[0-9a-f]{20})+")


class Columns(NamedTuple):
    """Documents as packed columns (row i of each array is document i)."""

    ids: np.ndarray  # u1[n, 10]: a 20-hex id packed (zeros when the id is in ``other``)
    other: dict[int, str]
    clusters: np.ndarray  # u1[n, 10], as ids
    other_clusters: dict[int, str]
    sketches: np.ndarray  # u2[n, BINS]
    chash: np.ndarray  # u4[n]
    day: np.ndarray  # u2[n]
    counts: np.ndarray  # u1[n]: story terms per document
    terms: np.ndarray  # u4[sum(counts)]

    def __len__(self) -> int:
        return len(self.chash)


def pack_ids(ids: list[str]) -> tuple[np.ndarray, dict[int, str]]:
    """20-hex ids as u1[n, 10]; any other id (seeds) in a side map by position."""
    if ids and all(len(i) == 20 for i in ids) and _HEX_IDS.fullmatch("".join(ids)):
        return np.frombuffer(bytes.fromhex("".join(ids)), np.uint8).reshape(-1, 10).copy(), {}
    packed, other = np.zeros((len(ids), 10), np.uint8), {}
    for i, doc_id in enumerate(ids):
        if len(doc_id) == 20 and _HEX_IDS.fullmatch(doc_id):
            packed[i] = np.frombuffer(bytes.fromhex(doc_id), np.uint8)
        else:
            other[i] = doc_id
    return packed, other


def columns(ids: list[str], clusters: list[str], sketches, chash, day, terms: list) -> Columns:
    """Columns of a few documents (a batch being flushed)."""
    packed, other = pack_ids(ids)
    packed_clusters, other_clusters = pack_ids(clusters)
    counts = np.array([len(t) for t in terms], np.uint8)
    flat = np.concatenate([np.asarray(t, np.uint32) for t in terms] + [np.zeros(0, np.uint32)])
    return Columns(packed, other, packed_clusters, other_clusters,
                   np.asarray(sketches, np.uint16).reshape(len(ids), fp.BINS), np.asarray(chash, np.uint32),
                   np.asarray(day, np.uint16), counts, flat)


def encode(cols: Columns) -> tuple[dict, bytes]:
    header = {"v": 2, "n": len(cols), "bins": fp.BINS, "other": {str(k): v for k, v in cols.other.items()},
              "other_clusters": {str(k): v for k, v in cols.other_clusters.items()}}
    body = b"".join((cols.ids.tobytes(), cols.clusters.tobytes(), cols.sketches.astype("<u2").tobytes(),
                     cols.chash.astype("<u4").tobytes(), cols.day.astype("<u2").tobytes(),
                     cols.counts.astype("u1").tobytes(), cols.terms.astype("<u4").tobytes()))
    return header, body


def encode_base(cols: Columns) -> tuple[dict, bytes]:
    """A base (v3): the documents (first copy of each id only) and their extras (``dedup_base``)."""
    high, low = id_keys(cols.ids, cols.other)
    cluster_high, cluster_low = id_keys(cols.clusters, cols.other_clusters)
    keep, cluster_at = np.zeros(len(cols), np.bool_), np.empty(len(cols), np.int64)
    _first_ids(high, low, cluster_high, cluster_low, keep, cluster_at)
    if not keep.all():
        raise ValueError("dedup base: an id occurs twice")
    extras = dedup_base.build(cols, high, low, cluster_at)
    header, body = encode(cols)
    return {**header, "v": 3, "extras": dedup_base.header_fields(extras)}, body + dedup_base.encode(extras)


def decode(header: dict, body: bytes) -> Columns:
    return decode_part(header, body)[0]


def decode_part(header: dict, body: bytes) -> tuple[Columns, dedup_base.Extras | None]:
    """The documents of a segment or base, and a v3 base's extras (None otherwise)."""
    if header.get("v") not in (2, 3) or header.get("bins") != fp.BINS:
        raise ValueError(f"dedup object: unknown version {header.get('v')} or bins {header.get('bins')}")
    n, offset = int(header["n"]), 0

    def take(dtype: str, count: int) -> np.ndarray:
        nonlocal offset
        array = np.frombuffer(body, dtype, count, offset)
        offset += array.nbytes
        return array

    ids, clusters = take("u1", n * 10).reshape(n, 10), take("u1", n * 10).reshape(n, 10)
    sketches = take("<u2", n * fp.BINS).reshape(n, fp.BINS)
    chash, day, counts = take("<u4", n), take("<u2", n), take("u1", n)
    terms = take("<u4", int(counts.sum(dtype=np.int64)))
    extras = None
    if header["v"] == 3:
        extras, offset = dedup_base.decode(header["extras"], n, body, offset)
    if offset != len(body):
        raise ValueError(f"dedup object: {len(body) - offset} bytes left over")
    other = {int(k): v for k, v in header.get("other", {}).items()}
    other_clusters = {int(k): v for k, v in header.get("other_clusters", {}).items()}
    return Columns(ids, other, clusters, other_clusters, sketches, chash, day, counts, terms), extras


def decode_legacy(data: bytes) -> Columns:
    """The earlier whole-month shard (v1: ids and clusters in the JSON header)."""
    line, _, body = data.partition(b"\n")
    header = json.loads(line)
    n, bins = header["n"], header["bins"]
    if header.get("v") != 1 or bins != fp.BINS or len(header["ids"]) != n:
        raise ValueError("dedup shard: not a v1 shard")
    sketches = np.frombuffer(body, "<u2", n * bins, 0).reshape(n, bins)
    at = sketches.nbytes
    chash, day, counts = (np.frombuffer(body, "<u4", n, at), np.frombuffer(body, "<u2", n, at + 4 * n),
                          np.frombuffer(body, "u1", n, at + 6 * n))
    terms = np.frombuffer(body, "<u4", int(counts.sum(dtype=np.int64)), at + 7 * n)
    ids, other = pack_ids(header["ids"])
    clusters, other_clusters = pack_ids(header["clusters"])
    return Columns(ids, other, clusters, other_clusters, sketches, chash, day, counts, terms)


def concat(parts: list[Columns]) -> Columns:
    if len(parts) == 1:
        return parts[0]
    other, other_clusters, at = {}, {}, 0
    for part in parts:
        other.update({at + k: v for k, v in part.other.items()})
        other_clusters.update({at + k: v for k, v in part.other_clusters.items()})
        at += len(part)
    joined = [np.concatenate([getattr(p, name) for p in parts])
              for name in ("ids", "clusters", "sketches", "chash", "day", "counts", "terms")]
    ids, clusters, sketches, chash, day, counts, terms = joined
    return Columns(ids, other, clusters, other_clusters, sketches, chash, day, counts, terms)


def take_rows(cols: Columns, keep: np.ndarray) -> Columns:
    """The documents where ``keep`` (bool[n]) is true, in order."""
    if keep.all():
        return cols
    rank = np.cumsum(keep) - 1
    pick = lambda side: {int(rank[k]): v for k, v in side.items() if keep[k]}  # noqa: E731
    return Columns(cols.ids[keep], pick(cols.other), cols.clusters[keep], pick(cols.other_clusters),
                   cols.sketches[keep], cols.chash[keep], cols.day[keep], cols.counts[keep],
                   cols.terms[np.repeat(keep, cols.counts.astype(np.int64))])


def id_keys(packed: np.ndarray, other: dict[int, str]) -> tuple[np.ndarray, np.ndarray]:
    """Each id as (high 64 bits, low 16 bits) of its 10 bytes; other ids by their SHA-256."""
    if other:
        packed = packed.copy()
        for i, doc_id in other.items():
            packed[i] = np.frombuffer(hashlib.sha256(doc_id.encode("utf-8")).digest()[:10], np.uint8)
    packed = np.ascontiguousarray(packed)
    high = packed[:, :8].copy().view(">u8").ravel().astype(np.uint64)
    low = packed[:, 8:].copy().view(">u2").ravel().astype(np.uint64)
    return high, low


@numba.njit(cache=True, nogil=True)
def _first_ids(high, low, cluster_high, cluster_low, keep, cluster_at):
    """``keep[i]``: document i is the first with its id; ``cluster_at[i]``: the index of the first
    document whose id is i's cluster id, or -1. One open-addressing table over every id."""
    n = len(high)
    size = 1
    while size < 2 * n + 2:
        size *= 2
    table = np.full(size, -1, np.int64)
    mask = np.uint64(size - 1)
    for i in range(n):
        slot = (high[i] ^ (high[i] >> np.uint64(29))) & mask
        while True:
            j = table[slot]
            if j < 0:
                table[slot] = i
                keep[i] = True
                break
            if high[j] == high[i] and low[j] == low[i]:
                keep[i] = False
                break
            slot = (slot + np.uint64(1)) & mask
    for i in range(n):
        cluster_at[i] = -1
        slot = (cluster_high[i] ^ (cluster_high[i] >> np.uint64(29))) & mask
        while True:
            j = table[slot]
            if j < 0:
                break
            if high[j] == cluster_high[i] and low[j] == cluster_low[i]:
                cluster_at[i] = j
                break
            slot = (slot + np.uint64(1)) & mask


def first_ids(known: tuple[np.ndarray, np.ndarray], cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    """For ``cols`` after documents already indexed (``known``: their id keys): which of them to
    keep (first copy of an id not indexed yet) and each one's cluster index in known + cols (-1:
    not there)."""
    high, low = id_keys(cols.ids, cols.other)
    cluster_high, cluster_low = id_keys(cols.clusters, cols.other_clusters)
    all_high, all_low = np.concatenate((known[0], high)), np.concatenate((known[1], low))
    none = np.zeros(len(known[0]), np.uint64)
    keep = np.zeros(len(all_high), np.bool_)
    cluster_at = np.empty(len(all_high), np.int64)
    _first_ids(all_high, all_low, np.concatenate((none, cluster_high)), np.concatenate((none, cluster_low)),
               keep, cluster_at)
    return keep[len(none):], cluster_at[len(none):]


def month_parts(state: segments.MonthState) -> list[tuple[Columns, dedup_base.Extras | None]]:
    parts = [(decode_legacy(state.legacy[1]), None)] if state.legacy is not None else []
    if state.base is not None:
        parts.append(decode_part(state.base[1], state.base[2]))
    return parts + [(decode(header, body), None) for _key, header, body in state.segments]


def read(store: ObjectStore, name: str, quarantine) -> list[tuple[Columns, dedup_base.Extras | None]]:
    """A month's (or the seeds') documents: legacy shard, base (with its extras), then segments in order."""
    for _attempt in range(3):
        state = segments.read_month(store, KIND, name, lambda key, exc: quarantine(store, key, exc), base_view=True)
        try:
            return month_parts(state)
        except (ValueError, KeyError, IndexError, TypeError) as exc:  # damaged: aside, not in every poll's way
            if state.base is not None and store.drop_view(state.base[0]):
                continue  # a damaged local copy of the base (storage/base_cache.py): read the store's
            legacy = [(state.legacy[0], True)] if state.legacy else []
            base = [(state.base[0], False)] if state.base else []
            for key, is_legacy in legacy + base + [(key, False) for key, _h, _b in state.segments]:
                try:
                    data = store.get(key)
                    decode_legacy(data) if is_legacy else decode(*segments.unpack(data))
                except NotFound:
                    continue
                except (ValueError, KeyError, IndexError, TypeError):
                    quarantine(store, key, exc)
                    break
    return []


def write_batch(store: ObjectStore, name: str, label: str, cols: Columns) -> str:
    return segments.write_segment(store, KIND, name, label, *encode(cols))


def compact(store: ObjectStore, name: str, quarantine) -> segments.Compaction:
    """Merge a month's dedup segments into a new base (first copy of each id kept)."""

    def merge(state: segments.MonthState) -> tuple[dict, bytes]:
        cols = concat([part for part, _extras in month_parts(state)])
        keep, _clusters = first_ids((np.zeros(0, np.uint64), np.zeros(0, np.uint64)), cols)
        return encode_base(take_rows(cols, keep))

    return segments.compact_month(store, KIND, name, merge, lambda key, exc: quarantine(store, key, exc), base_view=True)
