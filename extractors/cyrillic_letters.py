"""Cyrillic letters that tell one language from another (extractors.language): the letters a
single language owns (Ossetian ӕ, Ukrainian ї/є, Belarusian ў, Abkhaz ҧ…), the palochka of the
North Caucasus's languages, and the keyboard look-alikes these are often typed with.

langdetect has Cyrillic profiles for Russian, Ukrainian, Bulgarian and Macedonian only, so any
other Cyrillic text would come out as one of them with high confidence; its own letters settle it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.records import LanguageGuess

# Letters of the North Caucasus's Cyrillic alphabets as keyboards type them: Ossetian ӕ as Latin æ,
# the palochka Ӏ (Chechen, Ingush, Avar, Lak, Dargin, Kabardian...) as Latin I or l, or the digit 1,
# inside or at the end of a Cyrillic word ("МахIачхъала", "Г1ала"). Russian never writes them there.
_CYRILLIC = "а-яёА-ЯЁӀӏӕӔ"
_PALOCHKA_LOOKALIKE = re.compile(rf"(?<=[{_CYRILLIC}])[Il1](?=[{_CYRILLIC}])|(?<=[кгхтпчцКГХТПЧЦ])[Il1](?![\w])")
_AE_LOOKALIKE = re.compile(rf"(?<=[{_CYRILLIC}])[æÆ]|[æÆ](?=[{_CYRILLIC}])")


def cyrillic_lookalikes(sample: str) -> str:
    """The detection sample with Latin æ and the palochka's stand-ins written as the Cyrillic letters."""
    if "æ" in sample or "Æ" in sample:
        sample = _AE_LOOKALIKE.sub(lambda m: "ӕ" if m.group() == "æ" else "Ӕ", sample)
    if "I" in sample or "l" in sample or "1" in sample:
        sample = _PALOCHKA_LOOKALIKE.sub("Ӏ", sample)
    return sample


# --- Cyrillic: letters that one language owns ------------------------------------------------------

@dataclass(frozen=True)
class _Marker:
    code: str
    letters: str  # at least min_rate of the Cyrillic letters are among these
    min_rate: float
    needs: str = ""  # ... and at least min_rate are among these
    excludes: str = ""  # ... and fewer than 0.2% among these
    alphabet: str = ""  # the language's letters beyond Russian's а-я, ё: fewer than 0.2% may be others


_CYRILLIC_MARKERS = (
    _Marker("az", "јҹҝ", 0.003, needs="ә", alphabet="әғҹҝјөүһ"),  # ј alone is Serbian/Macedonian; with ә, Azerbaijani
    _Marker("ab", "ҧҭҵҩҿҽ", 0.003, alphabet="ҧҭҵҩҿҽҟҕқҷӡџәҳ"),  # Abkhaz
    _Marker("os", "ӕ", 0.003, alphabet="ӕ"),  # Ossetian
    _Marker("tg", "ҷӣӯ", 0.003, alphabet="ғӣқӯҳҷ"),
    _Marker("kk", "ұқ", 0.003, needs="әіңғ", alphabet="әғқңөұүһі"),
    _Marker("tt", "җ", 0.003, needs="әң", alphabet="әөүҗңһ"),
    _Marker("ba", "ҙҫҡ", 0.003, alphabet="әөүғҡңҙҫһ"),
    _Marker("ky", "ң", 0.003, needs="өү", excludes="әқғ", alphabet="ңөү"),
    _Marker("mn", "өү", 0.01, excludes="ңәқ", alphabet="өү"),
    _Marker("be", "ў", 0.003, alphabet="іў"),  # Uzbek writes ў too, beside қ, ғ, ҳ
    _Marker("be", "і", 0.015, needs="ыэ", excludes="и", alphabet="іў"),  # Belarusian writes і where Russian has и
    _Marker("sr", "ђћ", 0.003, alphabet="ђћјљњџ"),
    _Marker("mk", "ѓќѕ", 0.003, alphabet="ѓќѕјљњџ"),
    _Marker("uk", "іїєґ", 0.015, excludes="ыэъё", alphabet="іїєґ"),  # і is ~5% of Ukrainian; ы/э/ъ/ё never occur
)

# Cyrillic letters beyond Russian's а-я and ё (lower case: the sample is lower-cased), and those of
# them the Slavic languages langdetect has profiles for write (uk, bg, mk; sr and be by marker).
_BEYOND_RUSSIAN = re.compile("[\u0450\u0452-\u052f]")
_SLAVIC = frozenset("іїєґўђћѓќѕјљњџ")
UNSUPPORTED = "unsupported"


PALOCHKA_RATE = 0.003  # Chechen and Avar texts write Ӏ in 1-3% of their letters
_CHECHEN_DIGRAPHS = ("аь", "оь", "уь", "юь", "яь")  # a vowel softened by ь: Chechen and Ingush
_AVAR_DIGRAPH = "лъ"  # Avar's lateral (also Lak's, Dargin's); Chechen has no лъ
_CIRCASSIAN = ("щӏ", "шӏ", "фӏ")  # Kabardian's and Adyghe's ejectives: neither Avar nor Chechen writes them


def palochka_language(lower: str, letters: int, hint: str | None, lf: float) -> LanguageGuess:
    """A Cyrillic text with the palochka: a language of the North Caucasus, never Russian (which
    langdetect, with no profile for any of them, answers). Chechen and Avar (which have ISO 639-1
    codes) are told by their digraphs, or named by the page; the others (Ingush, Lak, Dargin,
    Kabardian... ISO 639-3 only) are "unsupported": no language rather than a wrong one."""
    if hint in ("ce", "av"):
        return LanguageGuess(hint, round(0.5 + 0.4 * lf, 3), "declared")
    chechen = sum(lower.count(d) for d in _CHECHEN_DIGRAPHS) / letters
    avar = lower.count(_AVAR_DIGRAPH) / letters
    if sum(lower.count(d) for d in _CIRCASSIAN) >= PALOCHKA_RATE * letters or lower.count("э") >= 0.02 * letters:
        # Kabardian and Adyghe: лъ too, but also щӏ/шӏ/фӏ and э in every other word
        return LanguageGuess(None, 0.0, "unsupported")
    chechen_own = sum(lower.count(d) for d in _CHECHEN_DIGRAPHS if d != "уь") / letters  # Lezgian writes уь
    if chechen >= 2 * PALOCHKA_RATE and chechen_own >= PALOCHKA_RATE and chechen > 2 * avar:
        return LanguageGuess("ce", round(0.5 + 0.4 * lf, 3), "letters")
    if avar >= PALOCHKA_RATE and avar > 2 * chechen:
        return LanguageGuess("av", round(0.5 + 0.4 * lf, 3), "letters")
    return LanguageGuess(None, 0.0, "unsupported")


def cyrillic_letters(lower: str, letters: int) -> str | None:
    """The language the letters name; ``UNSUPPORTED`` when they name none we know but rule out
    Russian and its Slavic neighbours (Kyrgyz without ң, Uzbek, Bashkir...): langdetect, with only
    those profiles, would answer one of them with confidence."""
    beyond = _BEYOND_RUSSIAN.findall(lower)
    if not beyond:
        return None  # every marker needs a letter Russian does not write

    def rate(chars: str) -> float:
        return sum(lower.count(ch) for ch in chars) / letters

    for m in _CYRILLIC_MARKERS:
        if rate(m.letters) < m.min_rate or (m.needs and rate(m.needs) < m.min_rate):
            continue
        if m.excludes and rate(m.excludes) >= 0.002:
            continue
        if sum(ch not in m.alphabet for ch in beyond) >= 0.002 * letters:
            continue  # letters the language does not write: another language sharing the marker
        return m.code
    if sum(ch not in _SLAVIC for ch in beyond) >= 0.005 * letters:  # not a name or two quoted in Russian
        return UNSUPPORTED
    return None
