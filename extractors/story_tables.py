"""The tables behind ``extractors.story_batch``: per-code-point classes, casefolds and
gazetteer folds (Basic Multilingual Plane), the calendar and region-name filters as exact
packed keys, and the CRC-32 table. Built once per process (~0.6 s, with the gazetteer), from
the very str methods and ``gazetteer.fold`` the Python reference uses: see story_batch.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numba
import numpy as np

from extractors import story
from extractors.story import _CALENDAR, _PUNCT, _SENTENCE_END

# Character classes (bits of ``_tables().cls``).
_SPACE, _PUNCT_BIT, _DIGIT, _UPPER, _END, _BAD = 1, 2, 4, 8, 16, 32
_BITS = 17  # per packed character: code point + 1 (BMP only), 0 = end of the stem
_BMP = 0x10000
_MAX_EXPANSION = 3  # characters a casefold or a per-character fold may produce (casefold: ≤ 3)
_BITMAP = 1 << 14  # slots of the filters' bitmap (a few hundred keys set)


@numba.njit(cache=True, nogil=True)
def _slot(hi, lo):
    """A bit of the filters' bitmap for a key (multiplications wrap in int64: any bits do)."""
    return ((hi * 0x9E3779B97F4A7C1 + lo * 0x2545F4914F6CDD1D) >> 40) & (_BITMAP - 1)


@numba.njit(cache=True, nogil=True)
def _fill_bitmap(keys_hi, keys_lo, bitmap):
    for i in range(len(keys_hi)):
        bitmap[_slot(keys_hi[i], keys_lo[i])] = 1


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
        # One byte per slot: most stems are in neither set and skip both binary searches.
        self.bitmap = np.zeros(_BITMAP, np.uint8)
        _fill_bitmap(*self.calendar, self.bitmap)
        _fill_bitmap(*self.generic, self.bitmap)


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
