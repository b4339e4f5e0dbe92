"""Text fingerprints: normalisation, exact hash, shingle sketches, similarity, story terms.

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
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np

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
STORY_TERMS = 12  # at most this many story terms per document
STORY_CONTAINMENT = 0.6  # share of a short text's shingles inside a longer one: an excerpt
STORY_MIN_SHARED = 3  # story terms two articles must share to be one story ...
STORY_MIN_SHARE = 0.3  # ... making up at least this share of the smaller set

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
    """Per BMP code point: folded code point (low 24 bits) | token class << 24. Built once."""
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
    """P**i and P**-i modulo 2**64 for the polynomial token hash."""
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
    padded = np.zeros(n + 2, dtype=np.int8)
    word = padded[1:-1].view(bool)
    np.bitwise_and(cls, 1, out=padded[1:-1], casting="unsafe")
    # Edges alternate +1 (a run starts) and -1 (it ends), since both pads are separators.
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, ends = edges[0::2], edges[1::2]
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


def band_keys(sig: np.ndarray) -> np.ndarray:
    """One 32-bit key per band: BAND_ROWS adjacent 16-bit bins side by side."""
    pairs = sig.astype(np.uint32).reshape(BANDS, BAND_ROWS)
    return (pairs[:, 0] << np.uint32(16)) | pairs[:, 1]


def estimate_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of equal bins: an unbiased estimate of the Jaccard similarity."""
    return float(np.count_nonzero(a == b)) / len(a)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    sa, sb = np.unique(a), np.unique(b)
    if len(sa) == 0 and len(sb) == 0:
        return 1.0
    common = len(np.intersect1d(sa, sb, assume_unique=True))
    return common / (len(sa) + len(sb) - common)


def containment(a: np.ndarray, b: np.ndarray, min_size: int = 15) -> float:
    """Share of the smaller text's shingles found in the larger (0 when it is too short to say)."""
    sa, sb = np.unique(a), np.unique(b)
    smaller = min(len(sa), len(sb))
    if smaller < min_size:
        return 0.0
    return len(np.intersect1d(sa, sb, assume_unique=True)) / smaller


# Story terms: what follow-ups and independent reports of one event share -----------------

_SENTENCE_END = (".", "!", "?", "…", ":", "»", "\"", "”")
_LEAD_CHARS = 500  # names of a story are in its first sentences
_PUNCT = "\"'“”«»()[],.;:!?‘’—–-"


def _stem(word: str) -> str:
    # A fixed prefix is a crude stemmer that works for inflected languages (Russian,
    # Armenian, Georgian, Azerbaijani) as well as English: Карабаха/Карабахе, Armenian/Armenia.
    return word[:6]


# Days and months are capitalised in leads ("on Friday") but never name a story.
_CALENDAR = frozenset(_stem_word[:6] for _stem_word in (
    "monday tuesday wednesday thursday friday saturday sunday january february march april june july "
    "august september october november december "
    "понедельник вторник среда среду четверг пятница пятницу суббота субботу воскресенье января февраля "
    "марта апреля мая июня июля августа сентября октября ноября декабря "
    "lundi mardi mercredi jeudi vendredi samedi dimanche janvier février avril juillet août septembre "
    "octobre novembre décembre montag dienstag mittwoch donnerstag freitag samstag sonntag januar februar "
    "märz dezember pazartesi salı çarşamba perşembe cuma cumartesi pazar ocak şubat nisan mayıs haziran "
    "temmuz ağustos eylül ekim kasım aralık bazar ertəsi çərşənbə axşamı cümə şənbə yanvar fevral mart "
    "aprel iyun iyul avqust sentyabr oktyabr noyabr dekabr").split())


NAME = "name:"  # marks a story term that is a proper name in the lead


def story_terms(title: str, text: str) -> frozenset[str]:
    """Title words of four letters or more, and capitalised names from the lead, as stems.

    Names carry the ``NAME`` prefix: two reports of one event share a person, a place or an
    institution, while two stories of one region may share only words like "border talks".
    """
    # Plain str methods: on a headline and one lead paragraph they beat the numpy path.
    words = {_stem(w) for w in (r.strip(_PUNCT) for r in title.casefold().split()) if len(w) >= 4 and not w.isdigit()}
    lead = text[:_LEAD_CHARS].split()
    # A capitalised word of four letters or more that does not open a sentence.
    names = {
        _stem(raw.strip(_PUNCT).casefold())
        for raw, previous in zip(lead, ["."] + lead)
        if raw[0].isupper() and len(raw) >= 4 and not previous.endswith(_SENTENCE_END)
    }
    generic = _region_names()
    keep = [t for t in words | names if t not in _CALENDAR and t not in generic and _fold_stem(t) not in generic]
    return frozenset(NAME + t if t in names else t for t in sorted(keep)[: STORY_TERMS * 2])


def _fold_stem(stem: str) -> str:
    """``fold(stem)[:6]``; ASCII stems are already folded (story terms are casefolded)."""
    if stem.isascii():
        return stem
    return _fold_cached(stem)


@lru_cache(maxsize=1 << 16)
def _fold_cached(stem: str) -> str:
    return _fold(stem)[:6]


_GENERIC_KINDS = ("country", "demonym", "context")


def _fold(text: str) -> str:
    from extractors.gazetteer import fold

    return fold(text)


@lru_cache(maxsize=1)
def _region_names() -> frozenset[str]:
    """Stems of country names, demonyms and world actors, in every language of the gazetteer.

    Every story of the region names Armenia or Azerbaijan; two articles sharing only such
    names are two stories. Person, place and institution names stay: they identify one.
    """
    from extractors.gazetteer import fold, load_gazetteer

    gazetteer = load_gazetteer()
    stems = set()
    for phrases in gazetteer._phrases.values():  # every term: its folded words and its entity
        for words, entity in phrases:
            if gazetteer.entities[entity].kind in _GENERIC_KINDS:
                stems.update(gazetteer._words[w].key[:6] for w in words)
    return frozenset(stems) | frozenset(fold(stem)[:6] for stem in stems)


def term_hashes(terms: frozenset[str]) -> np.ndarray:
    """Stable 32-bit ids of story terms (stored in the index; Python's hash() is salted).

    The low bit says whether the term is a name; ``term >> 1`` identifies the word.
    """
    return np.array(term_ids(terms), dtype=np.uint32)


def term_ids(terms: frozenset[str]) -> list[int]:
    """``term_hashes`` as a sorted list of Python ints (what the index works with)."""
    ids = sorted((zlib.crc32(t.removeprefix(NAME).encode()) & ~1) | t.startswith(NAME) for t in terms)
    return ids[: STORY_TERMS * 2]


def terms_match(a, b) -> bool:
    """Enough specific terms in common: at least 3, 30 % of the smaller set, and a name among them.

    ``a`` and ``b`` are term ids (arrays or lists). Country names are not story terms
    (``story_terms`` drops them): otherwise every delimitation story of a month would
    share "Armenia", "Azerbaijan", "border", "talks". Python sets: on a dozen ids they
    are several times faster than numpy's set routines.
    """
    a = a.tolist() if isinstance(a, np.ndarray) else a
    b = b.tolist() if isinstance(b, np.ndarray) else b
    words_a, words_b = {t >> 1 for t in a}, {t >> 1 for t in b}
    shared = words_a & words_b
    if len(shared) < STORY_MIN_SHARED or len(shared) < STORY_MIN_SHARE * min(len(words_a), len(words_b)):
        return False
    return any(t & 1 and t >> 1 in shared for t in a + b)


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
    duplicate = similarity >= DUPLICATE_SIMILARITY
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


# Batches: one numpy pass over many texts ------------------------------------------------

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
    padded = np.zeros(n + 2, dtype=np.int8)
    word = padded[1:-1].view(bool)
    np.bitwise_and(cls, 1, out=padded[1:-1], casting="unsafe")
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, ends = edges[0::2], edges[1::2]
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
