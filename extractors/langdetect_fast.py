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
  langdetect's own ``NGram.add_char``, and reused;
- the trial loop is langdetect's, with its two helper calls inlined (same float operations in
  the same order), each drawn n-gram's row read from the profile map once (the map may be the
  memory-mapped table of ``profile_table``) and kept as a tuple.
"""

from __future__ import annotations

import re

from langdetect.detector import Detector
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram

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


def _word_ngrams(word: str, spaced: bool, known: dict) -> tuple[str, ...]:
    """The n-grams langdetect's ``_extract_ngrams`` emits for ``word`` (normalised, no spaces)
    starting from its reset state, plus those of the following space when ``spaced``."""
    ngram = NGram()
    out = []
    for ch in (word + " ") if spaced else word:
        ngram.add_char(ch)
        if ngram.capitalword:
            continue
        grams = ngram.grams
        for n in (1, 2, 3):
            if len(grams) < n:
                break
            w = grams[-n:]
            if w != " " and w in known:
                out.append(w)
    return tuple(out)


class FastDetector(Detector):
    """Drop-in for ``factory.create()``: ``FastDetector(factory)``, then ``append`` and
    ``get_probabilities`` as with langdetect's Detector."""

    # per profile map: (the map, word → n-grams, n-gram → row); the map is held so that its id
    # cannot be reused by another map while its entry exists
    _caches: dict[int, tuple[object, dict, dict]] = {}

    def _cache(self) -> tuple[dict, dict]:
        known = self.word_lang_prob_map
        entry = self._caches.get(id(known))
        if entry is None or entry[0] is not known:
            entry = self._caches[id(known)] = (known, {}, {})
        return entry[1], entry[2]

    def append(self, text: str) -> None:
        text = self.URL_RE.sub(" ", text)
        text = self.MAIL_RE.sub(" ", text)
        # a space that follows a space is dropped (within one call: langdetect's loop restarts)
        self.text += _SPACES.sub(" ", NGram.normalize_vi(text)[:self.max_text_length])

    def cleaning_text(self) -> None:
        if 2 * len(_LATIN.findall(self.text)) < len(_NON_LATIN.findall(self.text)):
            self.text = _LATIN.sub("", self.text)

    def _extract_ngrams(self) -> list[str]:
        known = self.word_lang_prob_map
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
        rows = self._cache()[1]
        if len(rows) > _ROW_CACHE_LIMIT:
            rows.clear()
        table = self.word_lang_prob_map
        choice = self.random.choice
        self.random.seed(self.seed)
        for _ in range(self.n_trial):
            prob = self._init_probability()
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            i = 0
            while True:
                # _update_lang_prob (every n-gram in the list is in the map)
                ngram = choice(ngrams)
                row = rows.get(ngram)
                if row is None:
                    row = rows[ngram] = tuple(table[ngram])
                prob = [p * (weight + q) for p, q in zip(prob, row)]
                if i % 5 == 0:
                    # _normalize_prob
                    total = sum(prob)
                    prob = [p / total for p in prob]
                    if max(prob) > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                        break
                i += 1
            for j in range(n_langs):
                self.langprob[j] += prob[j] / self.n_trial
