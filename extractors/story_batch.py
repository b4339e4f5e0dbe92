"""Story terms of many documents in one compiled pass: bit-identical to ``story.story_terms``.

``term_ids(story_terms(title, text))`` costs ~17 µs per document in plain Python, a third of the
dedup index's per-document budget. Here one numba kernel walks each title and the first
``_LEAD_CHARS`` code points of each text, with the Python semantics rebuilt from per-code-point
tables computed once *by the very str methods the reference calls*: ``str.isspace`` (what
``split()`` splits on), ``casefold`` (per character, no context), ``isupper``, ``isdigit``,
membership in ``_PUNCT`` and ``_SENTENCE_END``. A casefold of several characters (ß → ss,
İ → i̇) is expanded in the kernel, so it needs no fallback. Stems are at most six BMP code points, packed
exactly into two int64 keys (17 bits per character, 0 = absent), so sorting keys is sorting
strings and set membership (``_CALENDAR``, ``_region_names()``) is an exact binary search.

Exactness before speed: a document the kernel cannot do exactly is flagged and recomputed by
the reference. That is any astral character or lone surrogate in the title or lead (the tables
cover the BMP; ``str.encode`` of a surrogate stem raises in the reference, and must raise the
same way), and any kept non-ASCII stem whose gazetteer ``fold`` (casefold → NFKD → drop
combining marks → NFC → ``_CHAR_MAP``) is not a concatenation of per-character folds: that
holds for every character except those NFC could compose with a neighbour (see ``_fold_table``):
Hangul, and a few dozen Indic, Tibetan and Balinese letters. All of Latin, Greek, Cyrillic,
Armenian, Georgian and Arabic stay compiled.
"""

from __future__ import annotations

from functools import lru_cache

import numba
import numpy as np

from extractors import story
from extractors.fingerprint_batch import code_points
from extractors.story import _LEAD_CHARS, STORY_TERMS
from extractors.story_tables import (
    _BAD, _BITS, _BMP, _DIGIT, _END, _MAX_EXPANSION, _PUNCT_BIT, _SPACE, _UPPER, _slot, _tables,
)

_MAX_IDS = STORY_TERMS * 2
_MASK = (1 << _BITS) - 1
# Documents per kernel call (each at most its title and _LEAD_CHARS): scratch stays in cache.
_BATCH_DOCS = 128


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
def _title_words(codes, t0, t1, cls, cf, cf_len, folded, cand_hi, cand_lo, cand_flag):
    """Title words as candidates (flag 0); their count, or -1 if the document needs the reference.

    ``title.casefold().split()``, each ``strip(_PUNCT)``-ed, kept at ≥ 4 characters and not all
    digits: classes are those of the casefolded characters, since the reference splits, strips
    and tests the casefolded title."""
    m = 0
    for i in range(t0, t1):
        c = codes[i]
        if c >= _BMP or cls[c] & _BAD:
            return -1
        if cf_len[c] == 1:  # nearly always
            folded[m] = cf[c, 0]
            m += 1
        else:
            for k in range(cf_len[c]):
                folded[m] = cf[c, k]
                m += 1
    nc = 0
    start = -1  # of the current word
    for i in range(m + 1):
        if i < m and not cls[folded[i]] & _SPACE:
            if start < 0:
                start = i
            continue
        if start < 0:
            continue
        a, b = start, i
        start = -1
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
        cand_hi[nc], cand_lo[nc] = _pack(folded[a:], min(b - a, 6))
        cand_flag[nc] = 0
        nc += 1
    return nc


@numba.njit(cache=True, nogil=True)
def _lead_names(codes, l0, l1, cls, cf, cf_len, stem, cand_hi, cand_lo, cand_flag, nc):
    """Names of the lead appended to the candidates (flag 1); the new count, or -1.

    A raw token (``split()``) whose first character is upper case, of ≥ 4 characters, not
    after a token ending a sentence (the first token counts as one that does); its stem is
    the first six characters of ``raw.strip(_PUNCT).casefold()``. One pass, one class
    look-up per character."""
    previous_ends = True  # the reference pairs the first token with "."
    start = -1  # of the current token
    last = 0  # class of the previous character
    for i in range(l0, l1 + 1):
        if i < l1:
            c = codes[i]
            if c >= _BMP:
                return -1
            kind = cls[c]
            if not kind & (_SPACE | _BAD):  # the common case: one test per character
                if start < 0:
                    start = i
                last = kind
                continue
            if kind & _BAD:
                return -1
        if start < 0:
            continue
        a, b = start, i
        start = -1
        if cls[codes[a]] & _UPPER and b - a >= 4 and not previous_ends:
            while a < b and cls[codes[a]] & _PUNCT_BIT:
                a += 1
            while b > a and cls[codes[b - 1]] & _PUNCT_BIT:
                b -= 1
            s = 0
            for k in range(a, b):
                c = codes[k]
                for j in range(cf_len[c]):
                    stem[s] = cf[c, j]
                    s += 1
                if s >= 6:
                    break
            cand_hi[nc], cand_lo[nc] = _pack(stem, min(s, 6))
            cand_flag[nc] = 1
            nc += 1
        previous_ends = (last & _END) != 0
    return nc


@numba.njit(cache=True, nogil=True)
def _select(nc, cand_hi, cand_lo, cand_flag, fold, fold_len, cal_hi, cal_lo, gen_hi, gen_lo, bitmap, crc_table,
            stem, fstem, ids):
    """``words | names`` filtered, the first ``_MAX_IDS`` in string order, as sorted term ids
    into ``ids``; their count, or -1 if a stem's gazetteer fold has no per-character form."""
    for k in range(1, nc):  # string order (insertion sort: a few dozen candidates)
        h, lw, f = cand_hi[k], cand_lo[k], cand_flag[k]
        j = k - 1
        while j >= 0 and (cand_hi[j] > h or (cand_hi[j] == h and cand_lo[j] > lw)):
            cand_hi[j + 1], cand_lo[j + 1], cand_flag[j + 1] = cand_hi[j], cand_lo[j], cand_flag[j]
            j -= 1
        cand_hi[j + 1], cand_lo[j + 1], cand_flag[j + 1] = h, lw, f
    kept = 0
    k = 0
    while k < nc and kept < _MAX_IDS:
        hi, lo, flag = cand_hi[k], cand_lo[k], cand_flag[k]
        k += 1
        while k < nc and cand_hi[k] == hi and cand_lo[k] == lo:  # a set: one term, a name if either is
            flag |= cand_flag[k]
            k += 1
        if bitmap[_slot(hi, lo)] and (_member(cal_hi, cal_lo, hi, lo) or _member(gen_hi, gen_lo, hi, lo)):
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
                    return -1
                for e in range(fold_len[c]):
                    if s < 6:
                        fstem[s] = fold[c, e]
                        s += 1
            fh, fl = _pack(fstem, s)
            if bitmap[_slot(fh, fl)] and _member(gen_hi, gen_lo, fh, fl):
                continue
        ids[kept] = (_crc32(stem, n, crc_table) & 0xFFFFFFFE) | flag
        kept += 1
    for a in range(1, kept):  # term_ids sorts the ids
        v = ids[a]
        j = a - 1
        while j >= 0 and ids[j] > v:
            ids[j + 1] = ids[j]
            j -= 1
        ids[j + 1] = v
    return kept


@numba.njit(cache=True, nogil=True)
def _kernel(codes, offsets, cls, cf, cf_len, fold, fold_len, cal_hi, cal_lo, gen_hi, gen_lo, bitmap, crc_table,
            out, bounds):
    """Document ``d`` of ``n``: title ``codes[offsets[d]:offsets[d+1]]``, lead ``codes[offsets[n+d]:offsets[n+d+1]]``.

    Its term ids into ``out[bounds[d]:bounds[d + 1]]``; ``bounds[d + 1]`` is -1 (and the document
    has no ids) when it needs the reference.
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
    at = 0
    n = (len(offsets) - 1) // 2
    for d in range(n):
        nc = _title_words(codes, offsets[d], offsets[d + 1], cls, cf, cf_len, folded, cand_hi, cand_lo, cand_flag)
        if nc >= 0:
            nc = _lead_names(codes, offsets[n + d], offsets[n + d + 1], cls, cf, cf_len, stem, cand_hi, cand_lo,
                             cand_flag, nc)
        if nc >= 0:
            nc = _select(nc, cand_hi, cand_lo, cand_flag, fold, fold_len, cal_hi, cal_lo, gen_hi, gen_lo, bitmap,
                         crc_table, stem, fstem, out[at:])
        if nc >= 0:
            at += nc
        bounds[d + 1] = at if nc >= 0 else -1


def story_term_ids_many(titles: list[str], texts: list[str]) -> list[list[int]]:
    """``[term_ids(story_terms(title, text)) for each pair]``, bit for bit."""
    ids, starts = story_term_arrays_many(titles, texts)
    flat, at = ids.tolist(), starts.tolist()
    return [flat[at[d] : at[d + 1]] for d in range(len(titles))]


def story_term_arrays_many(titles: list[str], texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``story_term_ids_many`` packed: the ids of document d are ``ids[starts[d]:starts[d + 1]]``
    (uint32, int64[n + 1]); what the dedup index's story window takes, with no list per document."""
    if len(titles) != len(texts):
        raise ValueError(f"{len(titles)} titles for {len(texts)} texts")
    parts, counts = [], []
    for start in range(0, len(titles), _BATCH_DOCS):
        chunk_titles, chunk_texts = titles[start : start + _BATCH_DOCS], texts[start : start + _BATCH_DOCS]
        ids, bounds = _compiled(chunk_titles, chunk_texts)
        ends = bounds[1:]
        if (ends >= 0).all():
            parts.append(ids[: bounds[-1]])
            counts.append(np.diff(bounds))
            continue
        # Documents left to the reference: their ids spliced in between the kernel's.
        begin = 0
        for d, end in enumerate(ends.tolist()):
            if end < 0:
                found = story.term_ids(story.story_terms(chunk_titles[d], chunk_texts[d]))
                parts.append(np.array(found, np.int64))
                counts.append(np.array([len(found)]))
            else:
                parts.append(ids[begin:end])
                counts.append(np.array([end - begin]))
                begin = end
    starts = np.zeros(len(titles) + 1, np.int64)
    if counts:
        np.cumsum(np.concatenate(counts), out=starts[1:])
    ids = np.concatenate(parts).astype(np.uint32) if parts else np.zeros(0, np.uint32)
    return ids, starts


def _compiled(titles: list[str], texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The kernel's ids (int64) and bounds: document d's ids end at ``bounds[d + 1]``, or that
    bound is -1 if the document is left to the reference (the next one starts where the
    last kept one ended)."""
    leads = [text[:_LEAD_CHARS] for text in texts]  # never the whole text: the kernel reads the lead only
    # A lone surrogate is one code point (and sends its document to the reference).
    codes = code_points("".join(titles) + "".join(leads))
    offsets = np.zeros(2 * len(titles) + 1, np.int64)  # the titles, then the leads
    np.cumsum([*map(len, titles), *map(len, leads)], out=offsets[1:])
    ids = np.empty(len(titles) * _MAX_IDS, np.int64)
    bounds = np.zeros(len(titles) + 1, np.int64)
    t = _tables()
    _kernel(codes, offsets, t.cls, t.cf, t.cf_len, t.fold, t.fold_len, *t.calendar, *t.generic, t.bitmap, t.crc,
            ids, bounds)
    return ids, bounds


@lru_cache(maxsize=1)
def warm_up() -> None:
    """Build the tables (and the region names) and load (or compile) the kernel."""
    story_term_ids_many(["Warm up the kernel"], ["Warm up: the Kernel, Ünïcode Straße"])
    story_term_ids_many(["Warm up the kernel"], ["Warm up: the Kernel, in ASCII"])
