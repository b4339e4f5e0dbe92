"""langdetect's Detector, computing the same probabilities with far fewer Python steps.

langdetect is pure Python and walks the text one character at a time, several times: collapsing
spaces (``append``), counting Latin letters (``cleaning_text``), and building the 1-3-gram list
through an ``NGram`` object, with a method call and a Unicode-block binary search per character
(``_extract_ngrams``). On an article that walk cost more than the rest of the language decision.

This subclass produces the *identical* n-gram list, in the identical order, so the seeded random
trials that follow pick the identical n-grams and give bit-identical probabilities (checked
against the original class by tests/test_language_fast.py, and on 5,785 texts from the benchmark
pages with every profile set: 0 differ):

- characters are normalised with one ``str.translate`` through a table filled lazily by
  langdetect's own ``NGram.normalize``;
- the n-gram state resets at every (normalised) space, so a word's n-grams depend on the word
  alone (and on whether a space follows it): they are computed once per distinct word, by
  ``NGram.add_char``'s steps written out, and reused;
- the trial loop is langdetect's, with its two helper calls and ``random.choice`` inlined (same
  draws, same float operations in the same order), each drawn n-gram's row read from the profile
  map once (the map may be the memory-mapped table of ``profile_table``) and kept as a tuple; the
  first two trials' weights are the same for every text, so their weight + row lists are kept too.
"""

from __future__ import annotations

import re
from itertools import repeat
from operator import mul, truediv

from langdetect.detector import Detector
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram

from extractors.profile_table import ProfileRows

_SPACES = re.compile(" {2,}")
_LATIN = re.compile("[A-z]")  # langdetect's 'A' <= ch <= 'z' (the six signs between the cases too)
# langdetect counts as non-Latin every character from U+0300 on: its check against the block
# "Latin Extended Additional" compares a block number with a name and never excludes anything.
_NON_LATIN = re.compile("[\u0300-\U0010ffff]")
_WORD_CACHE_LIMIT = 100_000
_ROW_CACHE_LIMIT = 20_000


class _NormaliseTable(dict):
    """A ``str.translate`` table that asks ``NGram.normalize`` about each new character once."""

    def __missing__(self, code: int) -> str:
        value = self[code] = NGram.normalize(chr(code))
        return value


_NORMALISE = _NormaliseTable()


class _LatinOrNotTable(dict):
    """A ``str.translate`` table: "a" for ``_LATIN``, "n" for ``_NON_LATIN``, other characters dropped."""

    def __missing__(self, code: int) -> str:
        if len(self) > 65_536:  # a text of every code point must not keep a million entries
            self.clear()
        value = self[code] = "a" if _LATIN.match(chr(code)) else "n" if _NON_LATIN.match(chr(code)) else ""
        return value


_LATIN_OR_NOT = _LatinOrNotTable()


def _word_ngrams(word: str, spaced: bool, known) -> tuple[str, ...]:
    """The n-grams langdetect's ``_extract_ngrams`` emits for ``word`` (normalised, no spaces)
    starting from its reset state, plus those of the following space when ``spaced``.

    ``NGram.add_char`` written out over a local buffer (its normalisation is the translate, its
    state ``grams`` and ``capital``): a new word costs a third of the method calls' time, and new
    words are most of the work on the first pages a process sees. ``known`` supports ``in``."""
    grams, capital = " ", False
    out = []
    for ch in ((word + " ") if spaced else word).translate(_NORMALISE):
        last = grams[-1]
        if last == " ":
            grams, capital = " ", False
            if ch == " ":
                continue  # nothing is emitted for a buffer holding a lone space
        elif len(grams) >= 3:
            grams = grams[1:]
        grams += ch
        if ch.isupper():
            if last.isupper():
                capital = True
        else:
            capital = False
        if capital:
            continue
        if ch != " " and ch in known:
            out.append(ch)
        if len(grams) >= 2:
            if grams[-2:] in known:
                out.append(grams[-2:])
            if len(grams) >= 3 and grams in known:
                out.append(grams)
    return tuple(out)


class FastDetector(Detector):
    """Drop-in for ``factory.create()``: ``FastDetector(factory)``, then ``append`` and
    ``get_probabilities`` as with langdetect's Detector."""

    # per profile map: (the map, word → n-grams, n-gram → row, weight → n-gram → weight + row);
    # the map is held so that its id cannot be reused by another map while its entry exists
    _caches: dict[int, tuple[object, dict, dict, dict]] = {}

    def _cache(self) -> tuple[dict, dict, dict]:
        known = self.word_lang_prob_map
        entry = self._caches.get(id(known))
        if entry is None or entry[0] is not known:
            entry = self._caches[id(known)] = (known, {}, {}, {})
        return entry[1], entry[2], entry[3]

    def append(self, text: str) -> None:
        text = self.URL_RE.sub(" ", text)
        if "@" in text:  # in every match
            text = self.MAIL_RE.sub(" ", text)
        if any(mark in text for mark in NGram.DMARK_CLASS):  # the combining marks it rewrites
            text = NGram.normalize_vi(text)
        # a space that follows a space is dropped (within one call: langdetect's loop restarts)
        self.text += _SPACES.sub(" ", text[:self.max_text_length])

    def cleaning_text(self) -> None:
        if self.text.isascii():
            return  # no character from U+0300 on: never mostly non-Latin
        coded = self.text.translate(_LATIN_OR_NOT)
        if 2 * coded.count("a") < coded.count("n"):
            self.text = _LATIN.sub("", self.text)

    def _extract_ngrams(self) -> list[str]:
        known = self.word_lang_prob_map
        if isinstance(known, ProfileRows):
            known = known.index  # a dict: ``in`` without a Python-level __contains__ call
        cache = self._cache()[0]
        if len(cache) > _WORD_CACHE_LIMIT:
            cache.clear()
        words = self.text.translate(_NORMALISE).split(" ")
        last = len(words) - 1
        result: list[str] = []
        for i, word in enumerate(words):
            if not word:
                continue
            key = (word, i < last)
            grams = cache.get(key)
            if grams is None:
                grams = cache[key] = _word_ngrams(word, i < last, known)
            result.extend(grams)
        return result

    def _detect_block(self) -> None:
        self.cleaning_text()
        ngrams = self._extract_ngrams()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        n_langs = len(self.langlist)
        self.langprob = [0.0] * n_langs
        # rows as tuples, read from the map (perhaps a memory-mapped table) once per n-gram drawn
        _, rows, weighted = self._cache()
        if len(rows) > _ROW_CACHE_LIMIT:
            rows.clear()
        table = self.word_lang_prob_map
        # random.choice(ngrams) is ngrams[_randbelow(len(ngrams))]: getrandbits of the length's bit
        # count, drawn again while out of range; inlined, it is the same draws at a third of the cost
        count = len(ngrams)
        bits = count.bit_length()
        getrandbits = self.random.getrandbits
        self.random.seed(self.seed)
        for trial in range(self.n_trial):
            prob = self._init_probability()
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            # The first two trials take the two values of the gauss pair drawn right after seeding:
            # their weights are the same for every text, so their (weight + row) lists are kept, and
            # an update is one C-level map over them (the same sums and products, in C).
            sums = _weighted_rows(weighted, weight) if trial < 2 else None
            i = 0
            while True:
                # _update_lang_prob (every n-gram in the list is in the map)
                r = getrandbits(bits)
                while r >= count:
                    r = getrandbits(bits)
                ngram = ngrams[r]
                if sums is not None:
                    summed = sums.get(ngram)
                    if summed is None:
                        summed = sums[ngram] = [weight + q for q in _row(rows, table, ngram)]
                    prob = list(map(mul, prob, summed))
                else:
                    row = rows.get(ngram)
                    if row is None:
                        row = _row(rows, table, ngram)
                    prob = [p * (weight + q) for p, q in zip(prob, row)]
                if i % 5 == 0:
                    # _normalize_prob
                    total = sum(prob)
                    prob = list(map(truediv, prob, repeat(total, n_langs)))
                    if max(prob) > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                        break
                i += 1
            for j in range(n_langs):
                self.langprob[j] += prob[j] / self.n_trial


def _row(rows: dict, table, ngram: str) -> tuple[float, ...]:
    row = rows.get(ngram)
    if row is None:
        row = rows[ngram] = tuple(table[ngram])
    return row


def _weighted_rows(weighted: dict, weight: float) -> dict:
    """n-gram → [weight + each language's value], kept per weight (a few weights at most)."""
    sums = weighted.get(weight)
    if sums is None or len(sums) > _ROW_CACHE_LIMIT:
        if len(weighted) >= 4:
            weighted.clear()
        sums = weighted[weight] = {}
    return sums
