"""Fingerprints of many texts in one numpy pass: bit-identical to ``fingerprint`` per text.

The pipeline hands the dedup index one feed's new articles at a time; hashing them
together removes most of numpy's per-call overhead (about 31 µs instead of 67 µs per
500-word article on the build machine; see benchmarks/dedup.py).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from extractors.fingerprint import (  # the single-text pieces the batch path shares
    BINS, Fingerprint, MIN_LINE_TOKENS, SHINGLE, _CODE_BITS, _EMPTY, _JOIN, _MIX, _NEWLINE, _P, _SINGLE,
    _VALUE_SHIFT, _WORD, _sha, _table, fingerprint, shingles, sketch, word_runs,
)

_BATCH_CHARS = 1 << 18  # code points per numpy pass (sizes the hash power table: 4 MB)


@lru_cache(maxsize=1)
def _batch_powers() -> tuple[np.ndarray, np.ndarray]:
    """``_powers(_BATCH_CHARS)`` by doubling (the Python loop would take a second)."""
    pw, inv = np.ones(1, np.uint64), np.ones(1, np.uint64)
    step, step_inv = _P, np.uint64(pow(int(_P), -1, 1 << 64))
    while len(pw) <= _BATCH_CHARS:
        with np.errstate(over="ignore"):
            pw, inv = np.concatenate((pw, pw * step)), np.concatenate((inv, inv * step_inv))
            step, step_inv = step * step, step_inv * step_inv
    return pw, inv


@lru_cache(maxsize=1)
def _spaced_table() -> np.ndarray:
    """``_table`` with a space for every separator: word hashes only read word characters,
    and the normalised text has a space where separators stood."""
    table = _table().copy()
    separator = (table >> np.uint32(24)) & np.uint32(1) == 0
    table[separator] = (table[separator] & ~_CODE_BITS) | np.uint32(32)
    return table


def fingerprint_many(texts: list[str]) -> list[Fingerprint]:
    """``[fingerprint(t) for t in texts]``, bit for bit, with numpy calls shared by the batch.

    Per text, numpy call overhead (~25 calls of ~1 µs) costs as much as the work; here the
    texts are joined with newlines (a line break is a separator, so no token, line or
    shingle crosses from one text to the next) and every step runs once on the whole.
    """
    out: list[Fingerprint | None] = [None] * len(texts)
    group: list[int] = []
    size = 0
    for i, text in enumerate(texts):
        if len(text) >= _BATCH_CHARS // 2:
            out[i] = fingerprint(text)
            continue
        if size + len(text) + 1 > _BATCH_CHARS:
            _fingerprint_group(texts, group, out)
            group, size = [], 0
        group.append(i)
        size += len(text) + 1
    if group:
        _fingerprint_group(texts, group, out)
    return out  # type: ignore[return-value]


def _fingerprint_group(texts: list[str], group: list[int], out: list) -> None:
    docs = len(group)
    joined = "\n".join(texts[i] for i in group)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    offsets = np.zeros(docs + 1, np.int64)  # text d is codes[offsets[d] : offsets[d + 1] - 1]
    np.cumsum([len(texts[i]) + 1 for i in group], out=offsets[1:])
    table = _spaced_table()
    if joined.isascii() or codes.max() < 0x10000:
        packed = table[codes]
    else:
        bmp = codes < 0x10000
        packed = np.where(bmp, table[np.where(bmp, codes, 0)], codes | np.uint32(_WORD << 24))
    cls = (packed >> np.uint32(24)).astype(np.uint8)
    # Which classes occur, in one pass (bincount would first widen every byte to 64 bits).
    present = int(np.bitwise_or.reduce(np.left_shift(np.uint8(1), cls)))
    if present & 1 << _JOIN:
        joins = np.flatnonzero(cls == _JOIN)
        offsets -= joins.searchsorted(offsets)
        keep = cls != _JOIN
        packed, cls = packed[keep], cls[keep]
    codes = packed & _CODE_BITS
    n = len(codes)
    word, starts, ends = word_runs(cls)
    normalised = _normalised_many(codes, word, starts, ends, offsets)
    if present & 1 << _SINGLE:
        single = cls == _SINGLE
        prev_word = np.concatenate(([False], word[:-1]))
        prev_single = np.concatenate(([False], single[:-1]))
        next_word = np.append(word[1:], False)
        next_single = np.append(single[1:], False)
        starts = np.flatnonzero(word & (~prev_word | single | prev_single))
        ends = np.flatnonzero(word & (~next_word | single | next_single)) + 1
    pw, inv = _batch_powers()
    prefix = np.empty(n + 1, np.uint64)
    prefix[0] = 0
    np.multiply(codes, pw[:n], out=prefix[1:], dtype=np.uint64)
    np.cumsum(prefix[1:], out=prefix[1:])
    hashes = prefix[ends]
    hashes -= prefix[starts]
    hashes *= inv[starts]
    # Body lines: every text ends at a newline, so lines never span two texts.
    token_bounds = starts.searchsorted(offsets)  # tokens of text d: [token_bounds[d], token_bounds[d + 1])
    lines = np.flatnonzero(cls == _NEWLINE).searchsorted(starts)
    body_mask = np.bincount(lines)[lines] >= MIN_LINE_TOKENS
    body_counts = np.diff(np.concatenate(([0], np.cumsum(body_mask)))[token_bounds])
    short = body_counts < 3 * SHINGLE  # such a text shingles all its tokens
    if short.any():
        body_mask |= np.repeat(short, np.diff(token_bounds))
        body_counts = np.where(short, np.diff(token_bounds), body_counts)
    body = hashes[body_mask]
    body_bounds = np.concatenate(([0], np.cumsum(body_counts)))
    shingled, shingle_bounds = _shingles_many(body, body_bounds)
    sketches, filled = _sketch_many(shingled, shingle_bounds)
    bounds, body_at = shingle_bounds.tolist(), body_bounds.tolist()
    for d, i in enumerate(group):
        own = shingled[bounds[d] : bounds[d + 1]]
        if body_at[d + 1] - body_at[d] < SHINGLE:  # the whole text as one shingle
            own = shingles(body[body_at[d] : body_at[d + 1]])
            out[i] = Fingerprint(_sha(normalised[d]), own, sketch(own))
        else:
            out[i] = Fingerprint(_sha(normalised[d]), own, sketches[d] if filled[d] else sketch(own))


def _normalised_many(
    codes: np.ndarray, word: np.ndarray, starts: np.ndarray, ends: np.ndarray, offsets: np.ndarray
) -> list[str]:
    """``tokenize(text).normalised`` of each text: its word runs joined by single spaces.

    ``codes`` has a space at every separator (``_spaced_table``); ``starts``/``ends``
    delimit the word runs."""
    keep = word.copy()
    # The separator before each run is its space, except before a text's first run.
    runs = starts.searchsorted(offsets)  # runs of text d: [runs[d], runs[d + 1])
    inner = np.ones(len(starts), bool)
    inner[runs[:-1][runs[:-1] < len(starts)]] = False
    keep[starts[inner] - 1] = True
    whole = codes[keep].tobytes().decode("utf-32-le", "surrogatepass")
    # A text keeps its word characters and one space between two runs.
    letters = np.concatenate(([0], np.cumsum(ends - starts)))[runs]
    run_counts = np.diff(runs)
    lengths = np.diff(letters) + np.maximum(run_counts - 1, 0)
    at = [0] + np.cumsum(lengths).tolist()
    return [whole[at[d] : at[d + 1]] for d in range(len(offsets) - 1)]


def _shingles_many(body: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``shingles`` of each text's tokens (texts of SHINGLE tokens or more; others get none)."""
    counts = np.diff(bounds)
    per_text = np.where(counts >= SHINGLE, counts - (SHINGLE - 1), 0)
    shingle_bounds = np.concatenate(([0], np.cumsum(per_text)))
    width = len(body) - SHINGLE + 1
    if width <= 0 or shingle_bounds[-1] == 0:
        return _EMPTY, shingle_bounds
    combined = body[:width] * _MIX[0]
    for offset in range(1, SHINGLE):
        combined += body[offset : offset + width]
        if offset < SHINGLE - 1:
            combined *= _MIX[0]
    # Windows that start in one text and end in the next are dropped.
    step = np.zeros(len(body) + 1, np.int8)
    long_ = counts >= SHINGLE
    np.add.at(step, bounds[:-1][long_], 1)
    np.add.at(step, bounds[1:][long_] - (SHINGLE - 1), -1)
    combined = combined[np.cumsum(step[:width]).astype(bool)]
    mixed = combined >> np.uint64(29)
    combined ^= mixed
    combined *= _MIX[1]
    np.right_shift(combined, np.uint64(32), out=mixed)
    combined ^= mixed
    return combined, shingle_bounds


def _sketch_many(shingled: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sketch`` of each text's shingles, and whether every bin was filled (else: densify)."""
    docs = len(bounds) - 1
    sketches = np.zeros((docs, BINS), np.uint16)
    if len(shingled) == 0:
        return sketches, np.zeros(docs, bool)
    # Key: text, bin and the 16 value bits above the bin's: the minimum key of a (text, bin)
    # group holds that bin's sketch value (the 44 lower bits only break ties).
    owner = np.repeat(np.arange(docs, dtype=np.uint64), np.diff(bounds))
    keys = np.sort((owner << np.uint64(20)) | (shingled >> _VALUE_SHIFT))
    group = keys >> np.uint64(16)
    first = np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))
    lowest = keys[first]
    text = (lowest >> np.uint64(20)).astype(np.intp)
    sketches[text, ((lowest >> np.uint64(16)) & np.uint64(BINS - 1)).astype(np.intp)] = lowest
    filled = np.bincount(text, minlength=docs) == BINS
    return sketches, filled
