"""Story terms of many documents in one compiled pass: bit-identical to ``story.story_terms``.

``term_ids(story_terms(title, text))`` costs ~17 µs per document in plain Python, a third of the
dedup index's per-document budget. Here one numba kernel walks each title and the first
``_LEAD_CHARS`` code points of each text, with the Python semantics rebuilt from per-code-point
tables computed once *by the very str methods the reference calls*: ``str.isspace`` (what
``split()`` splits on), ``casefold`` (per character, no context), ``isupper``, ``isdigit``,
membership in ``_PUNCT`` and ``_SENTENCE_END``. Stems are at most six BMP code points, packed
exactly into two int64 keys (17 bits per character, 0 = absent), so sorting keys is sorting
strings and set membership (``_CALENDAR``, ``_region_names()``) is an exact binary search.

Exactness before speed: a document the kernel cannot do exactly is flagged and recomputed by
the reference. That is any astral character or lone surrogate in the title or lead (the tables
cover the BMP; ``str.encode`` of a surrogate stem raises in the reference, and must raise the
same way), and any kept non-ASCII stem whose gazetteer ``fold`` (casefold → NFKD → drop
combining marks → NFC → ``_CHAR_MAP``) is not a concatenation of per-character folds: that
holds for every character except those NFC could compose with a neighbour (see ``_fold_table``).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numba
import numpy as np

from extractors import story
from extractors.story import _CALENDAR, _LEAD_CHARS, _PUNCT, _SENTENCE_END, STORY_TERMS

# Character classes (bits of ``_tables().cls``).
_SPACE, _PUNCT_BIT, _DIGIT, _UPPER, _END, _BAD = 1, 2, 4, 8, 16, 32
_MAX_IDS = STORY_TERMS * 2
_BITS = 17  # per packed character: code point + 1 (BMP only), 0 = end of the stem
_MASK = (1 << _BITS) - 1
_BMP = 0x10000
_MAX_EXPANSION = 3  # characters a casefold or a per-character fold may produce (casefold: ≤ 3)
# Code points per kernel call: a call's scratch stays small and in cache (~110 documents).
_BATCH_CHARS = 1 << 16


@numba.njit(cache=True, nogil=True)
def _pack(chars, n):
    """The exact key of the string ``chars[:n]`` (n ≤ 6, BMP): (hi, lo) sort like the strings."""
    hi, lo = 0, 0
    for k in range(3):
        hi <<= _BITS
        if k < n:
            hi |= chars[k] + 1
    for k in range(3, 6):
        lo <<= _BITS
        if k < n:
            lo |= chars[k] + 1
    return hi, lo


@numba.njit(cache=True, nogil=True)
def _unpack(hi, lo, chars):
    """Inverse of ``_pack``: the characters into ``chars``, their count returned."""
    n = 0
    for k in range(6):
        v = (hi >> (_BITS * (2 - k))) & _MASK if k < 3 else (lo >> (_BITS * (5 - k))) & _MASK
        if v == 0:
            break
        chars[n] = v - 1
        n += 1
    return n


@numba.njit(cache=True, nogil=True)
def _member(keys_hi, keys_lo, hi, lo):
    """``(hi, lo)`` in the keys, sorted lexicographically by (hi, lo)."""
    a, b = 0, len(keys_hi)
    while a < b:
        m = (a + b) >> 1
        if keys_hi[m] < hi or (keys_hi[m] == hi and keys_lo[m] < lo):
            a = m + 1
        else:
            b = m
    return a < len(keys_hi) and keys_hi[a] == hi and keys_lo[a] == lo


@numba.njit(cache=True, nogil=True)
def _crc32(chars, n, table):
    """``zlib.crc32`` of the UTF-8 encoding of ``chars[:n]`` (BMP, no surrogates)."""
    crc = 0xFFFFFFFF
    for k in range(n):
        c = chars[k]
        if c < 0x80:
            crc = table[(crc ^ c) & 0xFF] ^ (crc >> 8)
        elif c < 0x800:
            crc = table[(crc ^ (0xC0 | (c >> 6))) & 0xFF] ^ (crc >> 8)
            crc = table[(crc ^ (0x80 | (c & 0x3F))) & 0xFF] ^ (crc >> 8)
        else:
            crc = table[(crc ^ (0xE0 | (c >> 12))) & 0xFF] ^ (crc >> 8)
            crc = table[(crc ^ (0x80 | ((c >> 6) & 0x3F))) & 0xFF] ^ (crc >> 8)
            crc = table[(crc ^ (0x80 | (c & 0x3F))) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


@numba.njit(cache=True, nogil=True)
def _kernel(codes, offsets, cls, cf, cf_len, fold, fold_len, cal_hi, cal_lo, gen_hi, gen_lo, crc_table,
            out, counts, fallback):
    """Document ``d``: title ``codes[offsets[2d]:offsets[2d+1]]``, lead up to ``offsets[2d+2]``.

    Its term ids into ``out[d, :counts[d]]``, or ``fallback[d]`` when it needs the reference.
    Follows ``story.story_terms`` and ``story.term_ids`` step for step."""
    longest = 1
    for d in range(len(offsets) - 1):
        longest = max(longest, offsets[d + 1] - offsets[d])
    folded = np.empty(_MAX_EXPANSION * longest, np.int64)  # the casefolded title
    cand_hi = np.empty(2 * longest, np.int64)
    cand_lo = np.empty(2 * longest, np.int64)
    cand_flag = np.empty(2 * longest, np.int64)
    stem = np.empty(6 + _MAX_EXPANSION, np.int64)
    fstem = np.empty(6, np.int64)
    ids = np.empty(_MAX_IDS, np.int64)
    for d in range((len(offsets) - 1) // 2):
        t0, t1, l1 = offsets[2 * d], offsets[2 * d + 1], offsets[2 * d + 2]
        counts[d] = 0
        fallback[d] = False
        for i in range(t0, l1):
            if codes[i] >= _BMP or cls[codes[i]] & _BAD:
                fallback[d] = True
                break
        if fallback[d]:
            continue
        # Title: casefold the whole of it, split on whitespace, strip, ≥ 4 chars, not all digits.
        m = 0
        for i in range(t0, t1):
            c = codes[i]
            for k in range(cf_len[c]):
                folded[m] = cf[c, k]
                m += 1
        nc = 0
        i = 0
        while i < m:
            if cls[folded[i]] & _SPACE:
                i += 1
                continue
            a = i
            while i < m and not cls[folded[i]] & _SPACE:
                i += 1
            b = i
            while a < b and cls[folded[a]] & _PUNCT_BIT:
                a += 1
            while b > a and cls[folded[b - 1]] & _PUNCT_BIT:
                b -= 1
            if b - a < 4:
                continue
            digits = True
            for k in range(a, b):
                if not cls[folded[k]] & _DIGIT:
                    digits = False
                    break
            if digits:
                continue
            hi, lo = _pack(folded[a:], min(b - a, 6))
            cand_hi[nc], cand_lo[nc], cand_flag[nc] = hi, lo, 0
            nc += 1
        # Lead: capitalised raw tokens of ≥ 4 chars not opening a sentence; strip, casefold, stem.
        previous_ends = True  # the reference pairs the first token with "."
        i = t1
        while i < l1:
            if cls[codes[i]] & _SPACE:
                i += 1
                continue
            a = i
            while i < l1 and not cls[codes[i]] & _SPACE:
                i += 1
            b = i
            if cls[codes[a]] & _UPPER and b - a >= 4 and not previous_ends:
                a2, b2 = a, b
                while a2 < b2 and cls[codes[a2]] & _PUNCT_BIT:
                    a2 += 1
                while b2 > a2 and cls[codes[b2 - 1]] & _PUNCT_BIT:
                    b2 -= 1
                s = 0
                for k in range(a2, b2):
                    c = codes[k]
                    for j in range(cf_len[c]):
                        stem[s] = cf[c, j]
                        s += 1
                    if s >= 6:
                        break
                hi, lo = _pack(stem, min(s, 6))
                cand_hi[nc], cand_lo[nc], cand_flag[nc] = hi, lo, 1
                nc += 1
            previous_ends = (cls[codes[b - 1]] & _END) != 0
        # Sorted like the strings (insertion sort: a few dozen candidates).
        for k in range(1, nc):
            h, lw, f = cand_hi[k], cand_lo[k], cand_flag[k]
            j = k - 1
            while j >= 0 and (cand_hi[j] > h or (cand_hi[j] == h and cand_lo[j] > lw)):
                cand_hi[j + 1], cand_lo[j + 1], cand_flag[j + 1] = cand_hi[j], cand_lo[j], cand_flag[j]
                j -= 1
            cand_hi[j + 1], cand_lo[j + 1], cand_flag[j + 1] = h, lw, f
        # words | names (a name flag wins), filtered, the first _MAX_IDS in string order.
        kept = 0
        k = 0
        while k < nc and kept < _MAX_IDS:
            hi, lo, flag = cand_hi[k], cand_lo[k], cand_flag[k]
            k += 1
            while k < nc and cand_hi[k] == hi and cand_lo[k] == lo:
                flag |= cand_flag[k]
                k += 1
            if _member(cal_hi, cal_lo, hi, lo) or _member(gen_hi, gen_lo, hi, lo):
                continue
            n = _unpack(hi, lo, stem)
            ascii_only = True
            for j in range(n):
                ascii_only &= stem[j] < 0x80
            if not ascii_only:  # _fold_stem: fold(stem)[:6], from per-character folds
                s = 0
                for j in range(n):
                    c = stem[j]
                    if fold_len[c] < 0:
                        fallback[d] = True
                        break
                    for e in range(fold_len[c]):
                        if s < 6:
                            fstem[s] = fold[c, e]
                            s += 1
                if fallback[d]:
                    break
                fh, fl = _pack(fstem, s)
                if _member(gen_hi, gen_lo, fh, fl):
                    continue
            ids[kept] = (_crc32(stem, n, crc_table) & 0xFFFFFFFE) | flag
            kept += 1
        if fallback[d]:
            continue
        for a in range(1, kept):  # term_ids sorts the ids
            v = ids[a]
            j = a - 1
            while j >= 0 and ids[j] > v:
                ids[j + 1] = ids[j]
                j -= 1
            ids[j + 1] = v
        out[d, :kept] = ids[:kept]
        counts[d] = kept


def story_term_ids_many(titles: list[str], texts: list[str]) -> list[list[int]]:
    """``[term_ids(story_terms(title, text)) for each pair]``, bit for bit."""
    if len(titles) != len(texts):
        raise ValueError(f"{len(titles)} titles for {len(texts)} texts")
    out: list[list[int]] = []
    start, size = 0, 0
    for end, (title, text) in enumerate(zip(titles, texts)):
        if end > start and size > _BATCH_CHARS:
            out += _run(titles[start:end], texts[start:end])
            start, size = end, 0
        size += len(title) + min(len(text), _LEAD_CHARS)
    if start < len(titles):
        out += _run(titles[start:], texts[start:])
    return out


def _compiled(titles: list[str], texts: list[str]) -> tuple[list[list[int]], np.ndarray]:
    """The kernel's answers and which documents it left to the reference (tests use it)."""
    parts: list[str] = []
    for title, text in zip(titles, texts):
        parts.append(title)
        parts.append(text[:_LEAD_CHARS])  # never the whole text: the kernel reads the lead only
    # surrogatepass: a lone surrogate is one code unit (and sends its document to the reference).
    codes = np.frombuffer("".join(parts).encode("utf-32-le", "surrogatepass"), np.uint32)
    offsets = np.zeros(len(parts) + 1, np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    n = len(titles)
    ids = np.empty((n, _MAX_IDS), np.int64)
    counts = np.empty(n, np.int64)
    fallback = np.empty(n, np.bool_)
    t = _tables()
    _kernel(codes, offsets, t.cls, t.cf, t.cf_len, t.fold, t.fold_len, *t.calendar, *t.generic, t.crc,
            ids, counts, fallback)
    rows = ids.tolist()
    return [row[:count] for row, count in zip(rows, counts.tolist())], fallback


def _run(titles: list[str], texts: list[str]) -> list[list[int]]:
    result, fallback = _compiled(titles, texts)
    for d in np.flatnonzero(fallback).tolist():
        result[d] = story.term_ids(story.story_terms(titles[d], texts[d]))
    return result


class _Tables:
    """Per-code-point tables (BMP) and the filter sets as sorted exact keys."""

    def __init__(self) -> None:
        self.cls = np.zeros(_BMP, np.uint8)
        self.cf = np.zeros((_BMP, _MAX_EXPANSION), np.int64)
        self.cf_len = np.zeros(_BMP, np.int64)
        assert all(len(e) == 1 for e in _SENTENCE_END)  # endswith(tuple) = last char in the set
        for c in range(_BMP):
            ch = chr(c)
            folded = ch.casefold()
            bits = (_SPACE * ch.isspace() | _PUNCT_BIT * (ch in _PUNCT) | _DIGIT * ch.isdigit()
                    | _UPPER * ch.isupper() | _END * (ch in _SENTENCE_END))
            if 0xD800 <= c <= 0xDFFF or len(folded) > _MAX_EXPANSION or max(map(ord, folded)) >= _BMP:
                bits |= _BAD
            else:
                self.cf_len[c] = len(folded)
                self.cf[c, : len(folded)] = [ord(x) for x in folded]
            self.cls[c] = bits
        self.fold, self.fold_len = _fold_table()
        self.calendar = _keys(_CALENDAR)
        self.generic = _keys(story._region_names())
        self.crc = _crc_table()


def _fold_table() -> tuple[np.ndarray, np.ndarray]:
    """Per character: its part of the gazetteer ``fold`` of a string, length -1 if it has none.

    ``fold(s)`` = NFC(drop combining(NFKD(casefold(s)))).translate(_CHAR_MAP). casefold is per
    character; NFKD is too, except that it reorders runs of combining marks, which are all
    dropped; so the string before NFC is the concatenation of each character's starters. NFC
    of starters changes only adjacent pairs that compose (Hangul jamo, and canonical pairs
    whose second part has combining class 0: Indic two-part vowels, Tibetan, Balinese): a
    character whose starters include one of those has no per-character fold."""
    from extractors.gazetteer import _CHAR_MAP

    composing = set(range(0x1100, 0x1200))  # Hangul jamo compose algorithmically
    for cp in range(0x110000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<") and not unicodedata.combining(chr(int(parts[1], 16))):
            composing.update(int(p, 16) for p in parts)
    fold = np.zeros((_BMP, _MAX_EXPANSION), np.int64)
    fold_len = np.full(_BMP, -1, np.int64)
    for c in range(_BMP):
        if 0xD800 <= c <= 0xDFFF:
            continue
        starters = [x for x in unicodedata.normalize("NFKD", chr(c).casefold()) if not unicodedata.combining(x)]
        if any(ord(x) in composing or unicodedata.normalize("NFC", x) != x for x in starters):
            continue
        mapped = "".join(starters).translate(_CHAR_MAP)
        if len(mapped) > _MAX_EXPANSION or any(ord(x) >= _BMP or 0xD800 <= ord(x) <= 0xDFFF for x in mapped):
            continue
        fold_len[c] = len(mapped)
        fold[c, : len(mapped)] = [ord(x) for x in mapped]
    return fold, fold_len


def _key(text: str) -> tuple[int, int] | None:
    """``_pack`` in Python; None for a string no stem can equal (too long, astral)."""
    if len(text) > 6 or any(ord(x) >= _BMP for x in text):
        return None
    codes = [ord(x) + 1 for x in text] + [0] * (6 - len(text))
    hi = (codes[0] << 2 * _BITS) | (codes[1] << _BITS) | codes[2]
    lo = (codes[3] << 2 * _BITS) | (codes[4] << _BITS) | codes[5]
    return hi, lo


def _keys(strings) -> tuple[np.ndarray, np.ndarray]:
    pairs = sorted({k for k in map(_key, strings) if k is not None})
    return np.array([p[0] for p in pairs], np.int64), np.array([p[1] for p in pairs], np.int64)


def _crc_table() -> np.ndarray:
    table = np.zeros(256, np.int64)
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table[n] = c
    return table


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    return _Tables()


@lru_cache(maxsize=1)
def warm_up() -> None:
    """Build the tables (and the region names) and load (or compile) the kernel."""
    story_term_ids_many(["Warm up the kernel"], ["Warm up: the Kernel, Ünïcode Straße"])
