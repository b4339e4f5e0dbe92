"""Story terms: what follow-ups and independent reports of one event share.

Stems of headline words and of capitalised names in the lead; a name is flagged (``NAME``)
because two reports of one event share a person, a place or an institution, while two
stories of one region may share only words like "border talks". Country names, demonyms,
world actors (from the gazetteer, in all its languages) and calendar words are dropped.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

STORY_TERMS = 12  # at most this many story terms per document
STORY_MIN_SHARED = 3  # story terms two articles must share to be one story ...
STORY_MIN_SHARE = 0.3  # ... making up at least this share of the smaller set


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


_GENERIC_KINDS = ("country", "demonym", "context", "outlet")


def _fold(text: str) -> str:
    from extractors.gazetteer import fold

    return fold(text)


@lru_cache(maxsize=1)
def _region_names() -> frozenset[str]:
    """Stems of country names, demonyms and world actors, in every language of the gazetteer.

    Every story of the region names Armenia or Azerbaijan; two articles sharing only such
    names are two stories. Person, place and institution names stay: they identify one.
    """
    from extractors.compiled_cache import cached
    from extractors.gazetteer import gazetteer_files

    # Across processes: a `newswatch compare` then never loads the whole gazetteer (~40 ms).
    return cached("region-names", "", [*gazetteer_files(), Path(__file__)], _build_region_names)


def _build_region_names() -> frozenset[str]:
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
