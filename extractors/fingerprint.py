"""Text fingerprints: normalisation, exact hash, shingle sketches, similarity, comparison.

Story terms live in ``extractors.story``; the batch path (many texts in one compiled
numba pass, bit-identical to this module, which stays numba-free for the CLI) in
``extractors.fingerprint_batch``.

Pure and vectorised. A text is turned into an array of code points once (numpy); case
folding, punctuation and word boundaries come from one lookup table over the Basic
Multilingual Plane, so a 500-word article costs tens of microseconds instead of the
hundreds a regex tokenizer would (the dedup index must keep up with corpus-scale
imports; see benchmarks/dedup.py).

* Words are runs of letters, digits and combining marks in any script. Apostrophes are
  dropped inside words ("don’t" = "dont"); every other mark separates. Han, kana and
  Thai characters are one token each, since those scripts do not put spaces between words.
* Shingles are ``SHINGLE`` consecutive tokens. Lines shorter than ``MIN_LINE_TOKENS``
  (headlines, bylines, "Photo: …", share prompts) are left out of the shingles, which
  makes a copy with another site's title and byline look like the original.
* The sketch is a one-permutation MinHash (one 64-bit hash per shingle, ``BINS`` bins,
  minimum per bin, empty bins filled from a neighbour), kept as ``BINS`` 16-bit values.
  The fraction of equal bins estimates the Jaccard similarity of the shingle sets; two
  adjacent bins form a 32-bit band key for LSH look-ups.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from extractors.figures import figures, figures_disagree, leads_disagree, places_disagree  # noqa: F401 - part of this module's API
from extractors.story import (  # noqa: F401 - part of this module's API (fp.story_terms ...)
    NAME, STORY_MIN_SHARE, STORY_MIN_SHARED, STORY_TERMS, story_terms, term_hashes, term_ids, terms_match,
)

SHINGLE = 4  # tokens per shingle: long enough that shared stock phrases rarely match
MIN_LINE_TOKENS = 10  # shorter lines are headlines, bylines and widgets, not body text
BINS = 16  # one-permutation MinHash bins, 16 bits each (32 bytes per document)
BAND_ROWS = 2  # bins per LSH band: 32-bit keys, P(candidate) = 1 - (1 - J^2)^bands
BANDS = BINS // BAND_ROWS
DUPLICATE_SIMILARITY = 0.5  # Jaccard of shingles at or above which a copy is a duplicate
# The index only has the sketch: 7 of 16 equal bins. A true copy (J >= 0.75) falls below
# with p < 0.1 %, another article on the same event (J <= 0.1) reaches it with p < 0.05 %.
DUPLICATE_BINS = 7
STORY_SIMILARITY = 0.1  # shared wording that marks a rewrite of the same report
STORY_WINDOW = timedelta(days=4)  # follow-ups further apart are a new story
STORY_CONTAINMENT = 0.6  # share of a short text's shingles inside a longer one: an excerpt

# Token classes in the lookup table; bit 0 set means "part of a word".
_SEP, _WORD, _JOIN, _SINGLE, _NEWLINE = 0, 1, 2, 3, 4
_APOSTROPHES = "'`´ʹʻʼʽ‘’‛′"
_P = np.uint64(0x100000001B3)  # odd multiplier of the per-token polynomial hash
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
_CODE_BITS = np.uint32(0xFFFFFF)


def _char_class(ch: str) -> int:
    if ch == "\n":
        return _NEWLINE
    if ch in _APOSTROPHES:
        return _JOIN
    if unicodedata.category(ch)[0] not in "LNM":
        return _SEP
    cp = ord(ch)
    # Scripts written without spaces (kana, Han, Thai, Lao, Myanmar): a character is a token.
    if 0x3040 <= cp <= 0x30FF or 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF:
        return _SINGLE
    if 0x0E00 <= cp <= 0x0EFF or 0x1000 <= cp <= 0x109F:
        return _SINGLE
    return _WORD


@lru_cache(maxsize=1)
def _table() -> np.ndarray:
    """Per BMP code point: folded code point (low 24 bits) | token class << 24.

    Built once per install (~0.1 s of Unicode look-ups), then unpickled from the compiled-data
    cache: `newswatch compare` pays milliseconds, not the build.
    """
    from extractors.compiled_cache import cached

    return cached("fold-table", unicodedata.unidata_version, [Path(__file__)], _build_table)


def _build_table() -> np.ndarray:
    table = np.zeros(0x10000, dtype=np.uint32)
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        folded = unicodedata.normalize("NFKC", ch).casefold()
        if len(folded) == 1:  # multi-letter folds (ß → ss) are left alone: rare, and stable
            ch = folded
        table[cp] = ord(ch) | (_char_class(ch) << 24)
    return table


@lru_cache(maxsize=1)
def _powers(size: int = 1 << 16) -> tuple[np.ndarray, np.ndarray]:
    """P**i and P**-i modulo 2**64 for the polynomial token hash (the default size from the cache)."""
    if size != 1 << 16:
        return _build_powers(size)
    from extractors.compiled_cache import cached

    return cached("hash-powers", str(size), [Path(__file__)], lambda: _build_powers(size))


def _build_powers(size: int) -> tuple[np.ndarray, np.ndarray]:
    inverse = pow(int(_P), -1, 1 << 64)
    pw, inv, a, b = [], [], 1, 1
    for _ in range(size + 1):
        pw.append(a)
        inv.append(b)
        a, b = a * int(_P) & (1 << 64) - 1, b * inverse & (1 << 64) - 1
    return np.array(pw, dtype=np.uint64), np.array(inv, dtype=np.uint64)


@dataclass(frozen=True)
class Tokens:
    """A text after normalisation: its canonical string and one 64-bit hash per token."""

    normalised: str
    hashes: np.ndarray  # uint64, every token
    body: np.ndarray  # uint64, tokens of lines long enough to be body text


_EMPTY = np.zeros(0, np.uint64)


def word_runs(cls: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which characters are word characters, and where each run of them starts and ends."""
    padded = np.zeros(len(cls) + 2, dtype=np.int8)
    word = padded[1:-1].view(bool)
    np.bitwise_and(cls, 1, out=padded[1:-1], casting="unsafe")
    # Edges alternate +1 (a run starts) and -1 (it ends), since both pads are separators.
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return word, edges[0::2], edges[1::2]


def tokenize(text: str) -> Tokens:
    # Every numpy call costs about a microsecond on top of its work, so on a 3,000-character
    # article the number of calls matters as much as the passes: this is kept to ~25.
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if len(codes) == 0:
        return Tokens("", _EMPTY, _EMPTY)
    table = _table()
    if text.isascii() or codes.max() < 0x10000:
        packed = table[codes]
    else:  # astral planes (historic scripts, emoji): kept as word characters
        bmp = codes < 0x10000
        packed = np.where(bmp, table[np.where(bmp, codes, 0)], codes | np.uint32(_WORD << 24))
    cls = (packed >> np.uint32(24)).astype(np.uint8)
    present = np.bincount(cls, minlength=5)  # one pass tells which special cases arise
    if present[_JOIN]:
        keep = cls != _JOIN
        packed, cls = packed[keep], cls[keep]
    if not (present[_WORD] or present[_SINGLE]):
        return Tokens("", _EMPTY, _EMPTY)
    codes = packed & _CODE_BITS
    n = len(codes)
    # Token boundaries from the edges of word runs; CJK-like characters stand alone.
    word, starts, ends = word_runs(cls)
    # Canonical string: the words with one space where any run of separators stood.
    first, last = int(starts[0]), int(ends[-1])
    inner = word[first:last]
    keep = inner.copy()
    keep[:-1] |= inner[1:]
    keep[-1] = True
    pieces = np.where(inner, codes[first:last], np.uint32(32))[keep]
    normalised = pieces.tobytes().decode("utf-32-le", "surrogatepass")
    if present[_SINGLE]:
        single = cls == _SINGLE
        prev_word = np.concatenate(([False], word[:-1]))
        prev_single = np.concatenate(([False], single[:-1]))
        next_word = np.append(word[1:], False)
        next_single = np.append(single[1:], False)
        starts = np.flatnonzero(word & (~prev_word | single | prev_single))
        ends = np.flatnonzero(word & (~next_word | single | next_single)) + 1
    pw, inv = _powers()
    if n >= len(pw):  # very long texts: hash in windows that reuse the table
        pw, inv = _powers.__wrapped__(n + 1)
    # uint64 array arithmetic wraps silently (only numpy scalars warn): no errstate needed.
    prefix = np.empty(n + 1, np.uint64)
    prefix[0] = 0
    np.multiply(codes, pw[:n], out=prefix[1:], dtype=np.uint64)
    np.cumsum(prefix[1:], out=prefix[1:])
    hashes = prefix[ends]
    hashes -= prefix[starts]
    hashes *= inv[starts]
    if present[_NEWLINE]:
        newlines = np.flatnonzero(cls == _NEWLINE)
        lines = newlines.searchsorted(starts)
        body_mask = np.bincount(lines)[lines] >= MIN_LINE_TOKENS
        body = hashes[body_mask]
        if len(body) < 3 * SHINGLE:
            body = hashes
    else:
        body = hashes
    return Tokens(normalised, hashes, body)


def normalise_text(text: str) -> str:
    """Casefolded words in any script, single-spaced; quotes, dashes and punctuation gone."""
    return tokenize(text).normalised


def content_hash(text: str) -> str:
    """SHA-256 (hex) of the normalised text: equal for copies that differ only in form."""
    return _sha(normalise_text(text))


def _sha(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _mix(values: np.ndarray) -> np.ndarray:
    """Spread every input bit over the high bits, which choose the bin and its value."""
    with np.errstate(over="ignore"):  # numpy scalars warn on wrap-around, arrays do not
        values = (values ^ (values >> np.uint64(29))) * _MIX[1]
        return values ^ (values >> np.uint64(32))


def mix_int(value: int) -> int:
    """``_mix`` of one value with Python ints (a numpy call per value costs more)."""
    value = ((value ^ (value >> 29)) * _MIX_1) & _MASK64
    return value ^ (value >> 32)


_MIX_0, _MIX_1, _MASK64 = int(_MIX[0]), int(_MIX[1]), (1 << 64) - 1


def shingles(tokens: np.ndarray) -> np.ndarray:
    """64-bit hashes of every run of SHINGLE tokens (the whole text when shorter)."""
    n = len(tokens)
    if n < SHINGLE:
        if n == 0:
            return np.zeros(0, np.uint64)
        combined = 0
        for value in tokens.tolist():
            combined = (combined * _MIX_0 + value) & _MASK64
        return np.array([mix_int(combined)], dtype=np.uint64)
    # In place: uint64 arrays wrap silently, and each temporary costs an allocation.
    width = n - SHINGLE + 1
    combined = tokens[:width] * _MIX[0]
    for offset in range(1, SHINGLE):
        combined += tokens[offset : offset + width]
        if offset < SHINGLE - 1:
            combined *= _MIX[0]
    mixed = combined >> np.uint64(29)
    combined ^= mixed
    combined *= _MIX[1]
    np.right_shift(combined, np.uint64(32), out=mixed)
    combined ^= mixed
    return combined


_BIN_SHIFT = np.uint64(64 - (BINS.bit_length() - 1))
_BIN_STARTS = (np.arange(BINS, dtype=np.uint64) << _BIN_SHIFT)
_VALUE_SHIFT = np.uint64(int(_BIN_SHIFT) - 16)


def sketch(shingle_hashes: np.ndarray) -> np.ndarray:
    """One-permutation MinHash: the minimum of each of BINS hash ranges, as uint16."""
    if len(shingle_hashes) == 0:
        return np.zeros(BINS, np.uint16)
    ordered = np.sort(shingle_hashes)
    first = ordered.searchsorted(_BIN_STARTS)
    # Bin b is filled when its first position comes before the next bin's (and the end).
    if first[-1] < len(ordered) and np.count_nonzero(first[1:] - first[:-1]) == BINS - 1:
        return (ordered[first] >> _VALUE_SHIFT).astype(np.uint16)  # the cast keeps the low 16 bits
    found = np.minimum(first, len(ordered) - 1)
    values = ordered[found]
    filled = (first < len(ordered)) & ((values >> _BIN_SHIFT) == np.arange(BINS, dtype=np.uint64))
    result = ((values >> _VALUE_SHIFT) & np.uint64(0xFFFF)).astype(np.uint16)
    if not filled.all():
        result = _densify(result, filled)
    return result


def _densify(values: np.ndarray, filled: np.ndarray) -> np.ndarray:
    """Empty bins borrow the next filled bin's value, salted by the distance (rotation)."""
    out = values.copy()
    donors = np.flatnonzero(filled)
    for empty in np.flatnonzero(~filled):
        later = donors[donors > empty]
        donor = int(later[0]) if len(later) else int(donors[0])
        distance = (donor - empty) % BINS
        out[empty] = (int(values[donor]) + 0x9E37 * distance) & 0xFFFF
    return out


def estimate_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of equal bins: an unbiased estimate of the Jaccard similarity."""
    return float(np.count_nonzero(a == b)) / len(a)


def _distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)``, which since numpy 2.3 imports numpy.ma (~15 ms of a `newswatch compare`)."""
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    sa, sb = _distinct(a), _distinct(b)
    if len(sa) == 0 and len(sb) == 0:
        return 1.0
    common = len(np.intersect1d(sa, sb, assume_unique=True))
    return common / (len(sa) + len(sb) - common)


def containment(a: np.ndarray, b: np.ndarray, min_size: int = 15) -> float:
    """Share of the smaller text's shingles found in the larger (0 when it is too short to say)."""
    sa, sb = _distinct(a), _distinct(b)
    smaller = min(len(sa), len(sb))
    if smaller < min_size:
        return 0.0
    return len(np.intersect1d(sa, sb, assume_unique=True)) / smaller


# Fingerprint and pairwise comparison -----------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    content_hash: str
    shingles: np.ndarray  # uint64 shingle hashes of the body lines
    sketch: np.ndarray  # uint16[BINS]


def fingerprint(text: str) -> Fingerprint:
    tokens = tokenize(text)
    hashed = shingles(tokens.body)
    return Fingerprint(_sha(tokens.normalised), hashed, sketch(hashed))


def copy_of(a_text: str, b_text: str) -> tuple[bool, float]:
    """Is one text a copy of the other, measured on the texts themselves (the index's sketch only
    estimates it: 16 bins on a 40-shingle wire item are noisy)? And their shingle Jaccard."""
    fa, fb = fingerprint(a_text), fingerprint(b_text)
    if fa.content_hash == fb.content_hash:
        return True, 1.0
    similarity = jaccard(fa.shingles, fb.shingles)
    return similarity >= DUPLICATE_SIMILARITY and not _facts_disagree(a_text, b_text), similarity


def _facts_disagree(a_text: str, b_text: str) -> bool:
    """Shared wording, other facts: a recurring template's figures or another incident's places,
    over the whole texts or in their leads."""
    return figures_disagree(a_text, b_text) or places_disagree(a_text, b_text) or leads_disagree(a_text, b_text)


@dataclass(frozen=True)
class Comparison:
    duplicate: bool
    similarity: float  # Jaccard similarity of the word shingles (1.0: same normalised text)
    same_story: bool


def within_window(a: datetime | None, b: datetime | None) -> bool:
    """Unknown dates do not keep two articles apart; known ones must be close."""
    return a is None or b is None or abs(a - b) <= STORY_WINDOW


def compare_texts(
    a_text: str,
    b_text: str,
    *,
    a_title: str = "",
    b_title: str = "",
    a_date: datetime | None = None,
    b_date: datetime | None = None,
) -> Comparison:
    """Are two texts copies of one article, and are they about one story?"""
    fa, fb = fingerprint(a_text), fingerprint(b_text)
    if fa.content_hash == fb.content_hash:
        return Comparison(True, 1.0, True)
    similarity = jaccard(fa.shingles, fb.shingles)
    duplicate = similarity >= DUPLICATE_SIMILARITY and not _facts_disagree(a_text, b_text)
    close = within_window(a_date, b_date)
    # An excerpt or a summary lifted from an article (most of its wording inside the other
    # text) is the same story though far too short to be a duplicate. The index, which keeps
    # only sketches, cannot measure containment: there such a pair must share story terms.
    same_story = duplicate or (
        close
        and (
            similarity >= STORY_SIMILARITY
            or containment(fa.shingles, fb.shingles) >= STORY_CONTAINMENT
            or terms_match(term_hashes(story_terms(a_title, a_text)), term_hashes(story_terms(b_title, b_text)))
        )
    )
    return Comparison(duplicate, round(similarity, 4), same_story)
