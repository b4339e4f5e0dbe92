"""Fingerprints of many texts in one compiled pass: bit-identical to ``fingerprint`` per text.

The dedup index fingerprints every new article; at corpus scale (imports of hundreds of
thousands of articles) the numpy path of ``extractors.fingerprint`` costs 30–70 µs per
500-word article, mostly numpy call overhead on small arrays. Here one numba kernel walks
each text's code points once: case folding and character classes from the same lookup
table, token hashes, body lines, shingles and the MinHash sketch, with no temporary
arrays. Only the SHA-256 of the normalised text stays in Python (hashlib).

numba is imported by this module only: the dedup path loads it, while ``extract``,
``articles`` and ``compare`` (which use ``extractors.fingerprint``) do not pay its start-up.
The numpy implementation stays the reference: tests/test_near_duplicates.py checks the
kernel against it and against golden outputs recorded before the kernel existed.
"""

from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np

from extractors.fingerprint import (  # the single-text pieces the batch path shares
    BINS, Fingerprint, MIN_LINE_TOKENS, SHINGLE, _JOIN, _MIX, _NEWLINE, _P, _SINGLE, _sha, _table,
)

# Code points per kernel call. Small on purpose: a call's arrays (~200 KB) stay in the CPU
# cache and below malloc's mmap threshold, so they are reused instead of being mapped and
# page-faulted afresh for every batch (that doubled the cost at 1 << 18); a call costs ~1 µs.
_BATCH_CHARS = 1 << 14

# Constants as numba sees them: uint64 throughout, since mixing uint64 with a signed
# integer makes numba (like numpy) compute in float64 and lose the low bits.
_U_P, _U_MIX0, _U_MIX1 = np.uint64(_P), _MIX[0], _MIX[1]
_VALUE_BITS = 64 - (BINS.bit_length() - 1) - 16  # shift leaving a shingle's bin and 16 value bits


@numba.njit(cache=True, nogil=True)
def _mix64(value):
    value = (value ^ (value >> np.uint64(29))) * _U_MIX1
    return value ^ (value >> np.uint64(32))


@numba.njit(cache=True, nogil=True)
def _fingerprint_kernel(codes, offsets, table, norm, norm_bounds, shingled, shingle_bounds, sketches):
    """Per text ``d`` (``codes[offsets[d]:offsets[d + 1]]``): its normalised code points into
    ``norm``, its shingle hashes into ``shingled`` (bounds per text) and its sketch.

    Follows ``fingerprint.tokenize``, ``shingles`` and ``sketch`` step for step; see there
    for the reasons behind each rule."""
    longest = 0
    for d in range(len(offsets) - 1):
        longest = max(longest, offsets[d + 1] - offsets[d])
    folded = np.empty(longest, np.uint32)
    classes = np.empty(longest, np.uint8)
    tokens = np.empty(longest, np.uint64)
    token_line = np.empty(longest, np.int64)
    line_tokens = np.empty(longest + 1, np.int64)
    body = np.empty(longest, np.uint64)
    mins = np.empty(BINS, np.uint32)
    out_norm, out_shingle = 0, 0
    for d in range(len(offsets) - 1):
        # Fold and classify; apostrophes (_JOIN) vanish, joining the word around them.
        m, any_word = 0, False
        for i in range(offsets[d], offsets[d + 1]):
            code = codes[i]
            packed = table[code] if code < 0x10000 else code | np.uint32(1 << 24)  # astral: a word character
            kind = packed >> 24
            if kind == _JOIN:
                continue
            folded[m] = packed & 0xFFFFFF
            classes[m] = kind
            any_word |= (kind & 1) == 1
            m += 1
        norm_bounds[d] = out_norm
        shingle_bounds[d] = out_shingle
        sketches[d, :] = 0
        if not any_word:
            continue
        # Tokens and the normalised text: word runs, single-character tokens for _SINGLE.
        count, line, started, previous_word = 0, 0, False, False
        line_tokens[0] = 0
        h, power = np.uint64(0), np.uint64(1)
        for i in range(m):
            kind = classes[i]
            is_word = (kind & 1) == 1
            if is_word:
                if started and not previous_word:
                    norm[out_norm] = 32
                    out_norm += 1
                norm[out_norm] = folded[i]
                out_norm += 1
                started = True
                single = kind == _SINGLE
                if not previous_word or single or (i > 0 and classes[i - 1] == _SINGLE):
                    h, power = np.uint64(0), np.uint64(1)
                h += np.uint64(folded[i]) * power
                power *= _U_P
                next_word = i + 1 < m and (classes[i + 1] & 1) == 1
                if not next_word or single or classes[i + 1] == _SINGLE:
                    tokens[count] = h
                    token_line[count] = line
                    line_tokens[line] += 1
                    count += 1
            elif kind == _NEWLINE:
                line += 1
                line_tokens[line] = 0
            previous_word = is_word
        # Body: tokens of lines of MIN_LINE_TOKENS or more, unless that leaves too few.
        n = 0
        for t in range(count):
            if line_tokens[token_line[t]] >= MIN_LINE_TOKENS:
                body[n] = tokens[t]
                n += 1
        source = body
        if n < 3 * SHINGLE:
            source, n = tokens, count
        # Shingles: SHINGLE tokens folded by multiply-add (the whole text when shorter), mixed.
        width = n - SHINGLE + 1 if n >= SHINGLE else (1 if n > 0 else 0)
        span = min(n, SHINGLE)
        for i in range(BINS):
            mins[i] = 0xFFFFFFFF
        for i in range(width):
            combined = np.uint64(0)
            for j in range(span):
                combined = combined * _U_MIX0 + source[i + j]
            value = _mix64(combined)
            shingled[out_shingle] = value
            out_shingle += 1
            key = np.uint32(value >> np.uint64(_VALUE_BITS))  # bin (4 bits) and value (16 bits)
            b = key >> 16
            if key < mins[b]:
                mins[b] = key
        if width == 0:
            continue
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
    norm_bounds[len(offsets) - 1] = out_norm
    shingle_bounds[len(offsets) - 1] = out_shingle


def fingerprint_many(texts: list[str]) -> list[Fingerprint]:
    """``[fingerprint(t) for t in texts]``, bit for bit, in one compiled pass per chunk."""
    out: list[Fingerprint] = []
    for hashes, shingled, bounds, sketches in _chunks(texts):
        out += [Fingerprint(h, shingled[bounds[d] : bounds[d + 1]], sketches[d]) for d, h in enumerate(hashes)]
    return out


def sketch_many(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Content hashes and sketches (uint16[len(texts), BINS]) only: what the dedup index keeps."""
    hashes: list[str] = []
    sketches = []
    for chunk_hashes, _, _, chunk_sketches in _chunks(texts):
        hashes += chunk_hashes
        sketches.append(chunk_sketches)
    return hashes, np.concatenate(sketches) if sketches else np.zeros((0, BINS), np.uint16)


def _chunks(texts: list[str]):
    """Groups of texts of about ``_BATCH_CHARS`` code points, each through the kernel."""
    group: list[str] = []
    size = 0
    for text in texts:
        if group and size + len(text) > _BATCH_CHARS:
            yield _run(group)
            group, size = [], 0
        group.append(text)
        size += len(text)
    if group:
        yield _run(group)


def _run(texts: list[str]) -> tuple[list[str], np.ndarray, list[int], np.ndarray]:
    joined = "".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum([len(t) for t in texts], out=offsets[1:])
    norm = np.empty(len(codes), np.uint32)  # a normalised text is never longer than its text
    norm_bounds = np.empty(len(texts) + 1, np.int64)
    shingled = np.empty(len(codes), np.uint64)  # at most one shingle per character
    shingle_bounds = np.empty(len(texts) + 1, np.int64)
    sketches = np.empty((len(texts), BINS), np.uint16)
    _fingerprint_kernel(codes, offsets, _table(), norm, norm_bounds, shingled, shingle_bounds, sketches)
    # One code point per character (surrogatepass keeps lone surrogates as one each).
    whole = str(memoryview(norm[: norm_bounds[-1]]), "utf-32-le", "surrogatepass")
    at = norm_bounds.tolist()
    hashes = [_sha(whole[at[d] : at[d + 1]]) for d in range(len(texts))]
    return hashes, shingled[: shingle_bounds[-1]].copy(), shingle_bounds.tolist(), sketches


@lru_cache(maxsize=1)
def warm_up() -> None:
    """Load (or compile, on the first run after a change) the kernel and build the table."""
    sketch_many(["warm up the kernel"])
