"""Fingerprints of many texts in one compiled pass: bit-identical to ``fingerprint`` per text.

The dedup index fingerprints every new article; at corpus scale (imports of hundreds of
thousands of articles) the numpy path of ``extractors.fingerprint`` costs 30–70 µs per
500-word article, mostly numpy call overhead on small arrays. Here one numba kernel walks
each text's code points once, in a single pass: case folding and character classes from
the same lookup table, the normalised text written straight out as UTF-8 (the bytes
``fingerprint._sha`` hashes), token hashes, body lines, shingles and the MinHash sketch.
Python is left with one encode of the whole batch and one hashlib call per text.

numba is imported by this module only: the dedup path loads it, while ``extract``,
``articles`` and ``compare`` (which use ``extractors.fingerprint``) do not pay its start-up.
The numpy implementation stays the reference: tests/test_near_duplicates.py checks the
kernel against it and against golden outputs recorded before the kernel existed.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache

import numba
import numpy as np

from extractors.fingerprint import (  # the single-text pieces the batch path shares
    BINS, Fingerprint, MIN_LINE_TOKENS, SHINGLE, _JOIN, _MIX, _NEWLINE, _P, _SINGLE, _table,
)

# Code points per kernel call at most. The scratch and output buffers are kept per thread
# and reused, so a call's cost is its work (no allocation, no page faults after the first
# batch); the cap bounds what a huge batch leaves allocated behind it.
_BATCH_CHARS = 1 << 18

# Constants as numba sees them: uint64 throughout, since mixing uint64 with a signed
# integer makes numba (like numpy) compute in float64 and lose the low bits.
_U_P, _U_MIX0, _U_MIX1 = np.uint64(_P), _MIX[0], _MIX[1]
_VALUE_BITS = 64 - (BINS.bit_length() - 1) - 16  # shift leaving a shingle's bin and 16 value bits


@numba.njit(cache=True, nogil=True, inline="always")
def _mix64(value):
    value = (value ^ (value >> np.uint64(29))) * _U_MIX1
    return value ^ (value >> np.uint64(32))


@numba.njit(cache=True, nogil=True, inline="always")
def _put_utf8(out, at, code):
    """``chr(code).encode("utf-8")`` into ``out[at:]``; returns the position after it.

    The table never folds to a surrogate (surrogates are separators), so strict UTF-8,
    which ``_sha`` uses, has a valid encoding for every code point written here."""
    if code < 0x80:
        out[at] = code
        return at + 1
    if code < 0x800:
        out[at] = 0xC0 | (code >> 6)
        out[at + 1] = 0x80 | (code & 0x3F)
        return at + 2
    if code < 0x10000:
        out[at] = 0xE0 | (code >> 12)
        out[at + 1] = 0x80 | ((code >> 6) & 0x3F)
        out[at + 2] = 0x80 | (code & 0x3F)
        return at + 3
    out[at] = 0xF0 | (code >> 18)
    out[at + 1] = 0x80 | ((code >> 12) & 0x3F)
    out[at + 2] = 0x80 | ((code >> 6) & 0x3F)
    out[at + 3] = 0x80 | (code & 0x3F)
    return at + 4


@numba.njit(cache=True, nogil=True)
def _fingerprint_kernel(
    codes, offsets, table, utf8, utf8_bounds, tokens, body, keep_shingles, shingled, shingle_bounds, sketches
):
    """Per text ``d`` (``codes[offsets[d]:offsets[d + 1]]``): its normalised text as UTF-8
    into ``utf8`` (bounds per text), its sketch and, if ``keep_shingles``, its shingle
    hashes into ``shingled`` (bounds per text). ``tokens`` and ``body`` are scratch space
    of at least the longest text's length.

    Follows ``fingerprint.tokenize``, ``shingles`` and ``sketch`` step for step; see there
    for the reasons behind each rule. One pass per text: a character closes the token before
    it, so no look-ahead (and no folded copy of the text) is needed."""
    mins = np.empty(BINS, np.uint32)
    out, out_shingle = 0, 0
    for d in range(len(offsets) - 1):
        utf8_bounds[d] = out
        shingle_bounds[d] = out_shingle
        # Tokens and the normalised text: word runs, single-character tokens for _SINGLE;
        # apostrophes (_JOIN) vanish, joining the word around them.
        count, n, line_start = 0, 0, 0
        started, in_word, previous_single = False, False, False
        h, power = np.uint64(0), np.uint64(1)
        for i in range(offsets[d], offsets[d + 1]):
            code = np.uint32(codes[i])
            packed = table[code] if code < 0x10000 else code | np.uint32(1 << 24)  # astral: a word character
            kind = packed >> 24
            if kind & 1:
                single = kind == _SINGLE
                if in_word:
                    if single or previous_single:  # a token boundary inside a word run
                        tokens[count] = h
                        count += 1
                        h, power = np.uint64(0), np.uint64(1)
                else:
                    if started:
                        utf8[out] = 32
                        out += 1
                    started, in_word = True, True
                    h, power = np.uint64(0), np.uint64(1)
                folded = packed & 0xFFFFFF
                out = _put_utf8(utf8, out, folded)
                h += np.uint64(folded) * power
                power *= _U_P
                previous_single = single
            elif kind != _JOIN:
                if in_word:
                    tokens[count] = h
                    count += 1
                    in_word = False
                if kind == _NEWLINE:
                    # Body: tokens of lines of MIN_LINE_TOKENS or more (a line's tokens are contiguous).
                    if count - line_start >= MIN_LINE_TOKENS:
                        for t in range(line_start, count):
                            body[n] = tokens[t]
                            n += 1
                    line_start = count
        if in_word:
            tokens[count] = h
            count += 1
        if count - line_start >= MIN_LINE_TOKENS:
            for t in range(line_start, count):
                body[n] = tokens[t]
                n += 1
        source = body
        if n < 3 * SHINGLE:  # unless that leaves too few
            source, n = tokens, count
        sketches[d, :] = 0
        if n == 0:
            continue
        # Shingles: SHINGLE tokens folded by multiply-add (the whole text when shorter), mixed.
        width = n - SHINGLE + 1 if n >= SHINGLE else 1
        span = min(n, SHINGLE)
        for i in range(BINS):
            mins[i] = 0xFFFFFFFF
        if span == 4 and SHINGLE == 4:  # the usual case, unrolled (as the general loop below)
            for i in range(width):
                combined = ((source[i] * _U_MIX0 + source[i + 1]) * _U_MIX0 + source[i + 2]) * _U_MIX0
                value = _mix64(combined + source[i + 3])
                if keep_shingles:
                    shingled[out_shingle] = value
                    out_shingle += 1
                key = np.uint32(value >> np.uint64(_VALUE_BITS))  # bin (4 bits) and value (16 bits)
                b = key >> 16
                mins[b] = min(mins[b], key)  # branch-free: early on, most shingles lower their bin
        else:
            combined = np.uint64(0)
            for j in range(span):
                combined = combined * _U_MIX0 + source[j]
            value = _mix64(combined)
            if keep_shingles:
                shingled[out_shingle] = value
                out_shingle += 1
            key = np.uint32(value >> np.uint64(_VALUE_BITS))
            mins[key >> 16] = key
        # One-permutation MinHash; an empty bin borrows the next filled one's value (rotating).
        for b in range(BINS):
            if mins[b] != 0xFFFFFFFF:
                sketches[d, b] = mins[b] & 0xFFFF
                continue
            donor = b
            for step in range(1, BINS):
                if mins[(b + step) % BINS] != 0xFFFFFFFF:
                    donor = (b + step) % BINS
                    break
            sketches[d, b] = ((mins[donor] & 0xFFFF) + 0x9E37 * ((donor - b + BINS) % BINS)) & 0xFFFF
    utf8_bounds[len(offsets) - 1] = out
    shingle_bounds[len(offsets) - 1] = out_shingle


class _Buffers(threading.local):
    """Scratch and output arrays of one thread, grown on demand and reused across calls.

    Per thread because the dedup index fingerprints batches outside its lock, and the
    kernel releases the GIL."""

    def __init__(self) -> None:
        self.utf8 = np.empty(0, np.uint8)
        self.tokens = np.empty(0, np.uint64)
        self.body = np.empty(0, np.uint64)
        self.shingled = np.empty(0, np.uint64)

    def ensure(self, chars: int, longest: int, keep_shingles: bool) -> None:
        # A normalised text has at most one code point per input code point, each at most
        # 4 bytes of UTF-8; at most one token and one shingle per code point.
        if len(self.utf8) < 4 * chars:
            self.utf8 = np.empty(2 * 4 * chars, np.uint8)
        if len(self.tokens) < longest:
            self.tokens = np.empty(2 * longest, np.uint64)
            self.body = np.empty(2 * longest, np.uint64)
        if keep_shingles and len(self.shingled) < chars:
            self.shingled = np.empty(2 * chars, np.uint64)


_buffers = _Buffers()
_NO_SHINGLES = np.empty(0, np.uint64)


def fingerprint_many(texts: list[str]) -> list[Fingerprint]:
    """``[fingerprint(t) for t in texts]``, bit for bit, in one compiled pass per chunk."""
    out: list[Fingerprint] = []
    for hashes, shingled, bounds, sketches in _chunks(texts, keep_shingles=True):
        out += [Fingerprint(h, shingled[bounds[d] : bounds[d + 1]], sketches[d]) for d, h in enumerate(hashes)]
    return out


def sketch_many(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Content hashes and sketches (uint16[len(texts), BINS]) only: what the dedup index keeps."""
    if sum(map(len, texts)) <= _BATCH_CHARS:  # the usual case: one kernel call, no copies
        hashes, _, _, sketches = _run(texts, keep_shingles=False)
        return hashes, sketches
    hashes: list[str] = []
    chunks = []
    for chunk_hashes, _, _, chunk_sketches in _chunks(texts, keep_shingles=False):
        hashes += chunk_hashes
        chunks.append(chunk_sketches)
    return hashes, np.concatenate(chunks)


def _chunks(texts: list[str], keep_shingles: bool):
    """Groups of texts of about ``_BATCH_CHARS`` code points, each through the kernel."""
    group: list[str] = []
    size = 0
    for text in texts:
        if group and size + len(text) > _BATCH_CHARS:
            yield _run(group, keep_shingles)
            group, size = [], 0
        group.append(text)
        size += len(text)
    if group:
        yield _run(group, keep_shingles)


def code_points(text: str) -> np.ndarray:
    """The code points of ``text`` for a kernel: uint8 if it is ASCII, else uint32.

    str.isascii() is O(1) in CPython; an ASCII batch goes through as one byte per code
    point (a copy, where UTF-32 widens it fourfold), and the kernels are compiled for both.
    surrogatepass keeps a lone surrogate as one code point."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _run(texts: list[str], keep_shingles: bool) -> tuple[list[str], np.ndarray, list[int], np.ndarray]:
    codes = code_points("".join(texts))
    lengths = [len(t) for t in texts]
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    buffers = _buffers
    buffers.ensure(len(codes), max(lengths, default=0), keep_shingles)
    utf8_bounds = np.empty(len(texts) + 1, np.int64)
    shingle_bounds = np.empty(len(texts) + 1, np.int64)
    sketches = np.empty((len(texts), BINS), np.uint16)
    shingled = buffers.shingled if keep_shingles else _NO_SHINGLES
    _fingerprint_kernel(
        codes, offsets, _table(), buffers.utf8, utf8_bounds, buffers.tokens, buffers.body,
        keep_shingles, shingled, shingle_bounds, sketches,
    )
    utf8 = memoryview(buffers.utf8)
    at = utf8_bounds.tolist()
    sha256 = hashlib.sha256
    hashes = [sha256(utf8[at[d] : at[d + 1]]).hexdigest() for d in range(len(texts))]
    shingle_copy = shingled[: shingle_bounds[-1]].copy() if keep_shingles else _NO_SHINGLES
    return hashes, shingle_copy, shingle_bounds.tolist(), sketches


@lru_cache(maxsize=1)
def warm_up() -> None:
    """Load (or compile, on the first run after a change) the kernel, for ASCII and UTF-32
    input, with and without shingles, and build the table."""
    fingerprint_many(["warm up the kernel", "und für Jahrzehnte"])
    sketch_many(["warm up the kernel"])
    sketch_many(["und für Jahrzehnte"])
