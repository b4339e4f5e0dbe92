"""Language of an article: writing system first, tell-tale letters next, langdetect last.

langdetect has no profile for Armenian, Georgian or Azerbaijani (it answers ``et`` for the first
two and ``tr`` for the third), and those are the region's own languages. So:

1. the script settles languages that own their script (Armenian, Georgian, Greek, Hebrew, ...);
2. within Latin and Cyrillic, letters that only one language uses settle it (``ə`` → Azerbaijani,
   ``ї``/``є`` → Ukrainian, ``ў`` → Belarusian, ``ј`` with ``ә`` → Azerbaijani Cyrillic, ...), and
   Azerbaijani written without ``ə`` is told from Turkish by ``q``/``x`` and verb endings;
3. langdetect, restricted to the languages that write in that script and seeded, does the rest.

The declared language (``<html lang>``, feed language) is only a hint: CMSes often declare the
site's default language for every page. It decides only when the text is too short to judge (and
its script agrees) or when langdetect hesitates between it and another.

When no script holds a clear majority the method is ``"mixed"`` and the code is the language of
the largest part (or the declared one, if it is one of the parts) with a confidence of 0.5 at most:
a bilingual page still gets a usable language, and the low confidence says it is a guess.

Pure and fast: at most ``SAMPLE_CHARS`` characters, taken from a few places across the text, are
analysed, so a long article costs about as much as a short one.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

from extractors.cyrillic_letters import PALOCHKA_RATE, UNSUPPORTED, cyrillic_letters, cyrillic_lookalikes, palochka_language
from extractors.langdetect_fast import FastDetector
from extractors.records import LanguageGuess

SAMPLE_CHARS = 1500  # analysed at most: 3000 gave the same language on 732 articles of 1,500+ characters, at 1.6x the time
SAMPLE_WINDOWS = 3  # start, middle, end: bylines and boilerplate cluster at the ends
MIN_LETTERS = 20  # below this, letter statistics and langdetect are coin tosses
MIN_LETTERS_OWN_SCRIPT = 6  # a script used by one language needs only a word to be sure
MAJORITY_SHARE = 0.6  # a script below this share of the letters means a mixed text
SEED = 0

# Letters by writing system. Only letters: digits, punctuation and spaces never vote.
_SCRIPTS: dict[str, re.Pattern[str]] = {
    "latin": re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0259\u1e00-\u1eff]"),
    "cyrillic": re.compile("[\u0400-\u0481\u048a-\u052f\u1c80-\u1c88\ua640-\ua66d]"),
    "armenian": re.compile("[\u0531-\u0556\u0560-\u0588\ufb13-\ufb17]"),
    "georgian": re.compile("[\u10a0-\u10fa\u10fc-\u10ff\u1c90-\u1cbf\u2d00-\u2d2f]"),
    "arabic": re.compile("[\u0620-\u064a\u066e-\u06d3\u06d5\u06ee-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]"),
    "greek": re.compile("[\u0370-\u03ff\u1f00-\u1fff]"),
    "hebrew": re.compile("[\u05d0-\u05ea\u05f0-\u05f2]"),
    "devanagari": re.compile("[\u0900-\u097f]"),
    "han": re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]"),  # with kana: Japanese mixes both
    "hangul": re.compile("[\u1100-\u11ff\uac00-\ud7af]"),
    "thai": re.compile("[\u0e00-\u0e7f]"),
}
_LETTER = re.compile(r"[^\W\d_]")


# For counting: each script's letters and other characters, and the letters of no script, as one code
# character each (the scripts' classes are disjoint).
_CODES = {name: (chr(0x41 + 2 * i), chr(0x42 + 2 * i)) for i, name in enumerate(_SCRIPTS)}
_OTHER_LETTER = "z"


class _ScriptTable(dict):
    """A ``str.translate`` table: character → its code (of ``_CODES``, ``_OTHER_LETTER`` or dropped),
    found by the patterns themselves once per character. One translate and a few ``str.count``
    then give the counts of a dozen findall over the sample, at a fifth of the time."""

    def __missing__(self, code: int) -> str:
        if len(self) > _TABLE_LIMIT:
            self.clear()
        ch = chr(code)
        letter = _LETTER.match(ch) is not None
        script = next((name for name, rx in _SCRIPTS.items() if rx.match(ch)), None)
        value = self[code] = _CODES[script][letter] if script else (_OTHER_LETTER if letter else "")
        return value


_TABLE_LIMIT = 65_536
_SCRIPT_TABLE = _ScriptTable()
# Azerbaijani sites short of a keyboard layout type the Cyrillic ә inside Latin words.
_CYRILLIC_SCHWA_IN_LATIN = re.compile(r"(?<=[a-zçğıöşü])[әӘ]|[әӘ](?=[a-zçğıöşü])", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")
_URL_OR_MAIL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+")

# Scripts that one language (of those we can name) owns.
_OWN_SCRIPT = {"armenian": "hy", "georgian": "ka", "greek": "el", "hebrew": "he",
               "hangul": "ko", "thai": "th", "han": "zh"}
_KANA = re.compile("[\u3040-\u30ff]")

# langdetect profiles worth asking, per script: a Latin text can't be Russian, whatever the n-grams.
_PROFILES = {
    "latin": "af ca cs cy da de en es et fi fr hr hu id it lt lv nl no pl pt ro sk sl so sq sv sw tl tr vi",
    "cyrillic": "bg mk ru uk",
    "arabic": "ar fa ur",
    "devanagari": "hi mr ne",
}

# Script of the languages that are not written in Latin letters, to check a declared language
# against the text before trusting it.
_SCRIPT_OF = {
    "hy": "armenian", "ka": "georgian", "el": "greek", "he": "hebrew", "yi": "hebrew",
    "ko": "hangul", "th": "thai", "ja": "han", "zh": "han",
    "ar": "arabic", "fa": "arabic", "ur": "arabic", "ps": "arabic", "ku": "latin",
    "hi": "devanagari", "mr": "devanagari", "ne": "devanagari",
    **{c: "cyrillic" for c in "ru uk be bg mk sr kk ky tg mn tt ba os ab ce av cv".split()},
}

_ALIASES = {
    # ISO 639-2 and legacy codes that pages and feeds still declare.
    "arm": "hy", "hye": "hy", "geo": "ka", "kat": "ka", "aze": "az", "rus": "ru", "eng": "en",
    "ukr": "uk", "tur": "tr", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "ara": "ar",
    "per": "fa", "fas": "fa", "iw": "he", "in": "id", "ji": "yi", "jw": "jv",
    # "ge" is no language code; Georgian sites write it by analogy with the .ge domain.
    "ge": "ka",
}
_NOT_A_LANGUAGE = {"", "und", "mul", "zxx", "mis", "x", "i"}


def normalise_language_code(code: str | None) -> str | None:
    """"en-US" → "en", "hy_AM" → "hy", "az-Latn" → "az", "rus" → "ru"; None for junk or "und"."""
    if not code:
        return None
    primary = re.split(r"[-_.;,\s]", code.strip().lower(), maxsplit=1)[0]
    primary = _ALIASES.get(primary, primary)
    if primary in _NOT_A_LANGUAGE or not primary.isascii() or not primary.isalpha():
        return None
    return primary if len(primary) == 2 else None


def detect_language(text: str, declared: str | None = None) -> LanguageGuess:
    """The language of ``text`` (ISO 639-1), how sure (0..1) and how it was decided."""
    hint = normalise_language_code(declared)
    sample = cyrillic_lookalikes(_latin_schwa(_without_links(_sample(text or ""))))
    counts, letters = _script_counts(sample)
    letters = max(letters, sum(counts.values()))
    if letters == 0:
        return _too_short(hint, None, 0)
    script, top = max(counts.items(), key=lambda item: item[1])
    share = top / letters
    needed = MIN_LETTERS_OWN_SCRIPT if script in _OWN_SCRIPT else MIN_LETTERS
    if top < needed:
        return _too_short(hint, script if share >= MAJORITY_SHARE else None, letters)
    if share < MAJORITY_SHARE:
        return _mixed(sample, counts, letters, hint)
    guess = _by_script(script, _only_script(sample, script, counts), top, hint)
    return _with(guess, confidence=guess.confidence * share, declared=hint)


# --- sampling ---------------------------------------------------------------------------------

def _sample(text: str) -> str:
    """At most SAMPLE_CHARS characters in SAMPLE_WINDOWS windows spread over the text."""
    if len(text) <= SAMPLE_CHARS:
        return text
    width = SAMPLE_CHARS // SAMPLE_WINDOWS
    step = (len(text) - width) / (SAMPLE_WINDOWS - 1)
    parts = []
    for i in range(SAMPLE_WINDOWS):
        start = int(i * step)
        # Start and end on spaces so no window begins or ends with half a word.
        if start:
            space = text.find(" ", start, start + 50)
            start = space + 1 if space >= 0 else start
        window = text[start:start + width]
        cut = window.rfind(" ")
        parts.append(window[:cut] if cut > width // 2 else window)
    return "\n".join(parts)


def _latin_schwa(sample: str) -> str:
    if "ә" not in sample and "Ә" not in sample:  # the only two characters the pattern matches
        return sample
    return _CYRILLIC_SCHWA_IN_LATIN.sub(lambda m: "ə" if m.group() == "ә" else "Ə", sample)


def _without_links(sample: str) -> str:
    if "http" not in sample and "www." not in sample and "@" not in sample:  # one is in every match
        return sample
    return _URL_OR_MAIL.sub(" ", sample)


def _script_counts(sample: str) -> tuple[dict[str, int], int]:
    """Characters of each script in ``sample``, and its letters (``_LETTER``)."""
    coded = sample.translate(_SCRIPT_TABLE)
    present = set(coded)
    counts = {}
    letters = coded.count(_OTHER_LETTER)
    for name, (other, letter) in _CODES.items():
        n_other = coded.count(other) if other in present else 0
        n_letter = coded.count(letter) if letter in present else 0
        counts[name] = n_other + n_letter
        letters += n_letter
    return counts, letters


# --- decisions ----------------------------------------------------------------------------------

def _length_factor(letters: int) -> float:
    """How much a count of letters can be trusted: 20 → 0.57, 100 → 0.87, 1000 → 0.99."""
    return letters / (letters + 15)


def _by_script(script: str, sample: str, letters: int, hint: str | None) -> LanguageGuess:
    lf = _length_factor(letters)
    if script in _OWN_SCRIPT:
        code = _OWN_SCRIPT[script]
        if script == "han" and _KANA.search(sample):
            code = "ja"  # Japanese mixes kanji with kana; Chinese never writes kana
        return LanguageGuess(code, round(0.9 + 0.09 * lf, 3), "script")
    lower = sample.lower()
    if script == "latin":
        by_letters = _latin_letters(sample, lower, letters)
    elif script == "cyrillic":
        if "ӏ" in lower and lower.count("ӏ") >= PALOCHKA_RATE * letters:
            return palochka_language(lower, letters, hint, lf)
        by_letters = cyrillic_letters(lower, letters)
    else:
        by_letters = None
    if by_letters == UNSUPPORTED:
        return LanguageGuess(None, 0.0, "unsupported")
    if by_letters:
        return LanguageGuess(by_letters, round(0.6 + 0.39 * lf, 3), "letters")
    guess = _langdetect(sample, script, hint, lf)
    if script == "latin" and guess.code in ("tr", "az") and not _turkic_letters_agree(lower, letters):
        return LanguageGuess(None, 0.0, "unsupported")
    if script == "latin" and guess.code == "tr" and _looks_azerbaijani(lower, letters):
        return LanguageGuess("az", round(0.5 + 0.4 * lf, 3), "letters")
    return guess


def _too_short(hint: str | None, script: str | None, letters: int) -> LanguageGuess:
    """Too few letters: the declared language, if the letters that are there agree with it."""
    if hint and (script is None and letters == 0 or _SCRIPT_OF.get(hint, "latin") == script):
        return LanguageGuess(hint, 0.3, "declared", hint)
    return LanguageGuess(None, 0.0, "too-short", hint)


def _mixed(sample: str, counts: dict[str, int], letters: int, hint: str | None) -> LanguageGuess:
    """No script has a clear majority: name each sizeable part, keep the declared one if present."""
    parts = []
    for script, n in sorted(counts.items(), key=lambda item: -item[1]):
        if n >= MIN_LETTERS and n / letters >= 0.25:
            guess = _by_script(script, _only_script(sample, script, counts), n, hint)
            if guess.code:
                parts.append((guess, n / letters))
    if not parts:
        return LanguageGuess(None, 0.0, "mixed", hint)
    chosen = next((p for p in parts if p[0].code == hint), parts[0])
    guess, share = chosen
    return LanguageGuess(guess.code, round(min(0.5, guess.confidence * share), 3), "mixed", hint)


def _only_script(sample: str, script: str, counts: dict[str, int]) -> str:
    """Blank out letters of other scripts: some langdetect profiles hold stray foreign n-grams
    (Estonian's hold Cyrillic ones), which would win a text that quotes another script."""
    for other, n in counts.items():
        if n and other != script:
            sample = _SCRIPTS[other].sub(" ", sample)
    return sample


def _with(guess: LanguageGuess, *, confidence: float, declared: str | None) -> LanguageGuess:
    return LanguageGuess(guess.code, round(min(1.0, max(0.0, confidence)), 3), guess.method, declared)


# --- Latin: Azerbaijani against Turkish -----------------------------------------------------------

_AZ_WORDS = frozenset(
    "və ilə üçün edib olub deyib bildirib kimi deyil ancaq artıq hansı çox yox isə həm ən qədər "
    "görə bütün həmçinin olunub edilib keçirilib verib gəlib".split())
_TR_WORDS = frozenset(
    "için olarak değil ancak gibi çok yok şimdi kadar veya ayrıca ediyor yapılan oldu "
    "edildi etti dedi şöyle".split())  # not "ve", "ile", "ise", "göre": Azerbaijani typed without ə
_AZ_PERFECT = re.compile(r"\w{2,}(?:ib|ıb|ub|üb)\b")  # edib, olub, bildirib: tr says etti, oldu
AZ_SCHWA_SHARE = 0.02
_TR_PROGRESSIVE = re.compile(r"\w+yor\w*")  # ediyor, geliyorlar: az says edir, gəlirlər


def _latin_letters(sample: str, lower: str, letters: int) -> str | None:
    """ə is Azerbaijani's commonest vowel after a; no other language we meet writes it. Counted in
    words written in lower case: a Turkish or English report quotes Azerbaijani *names* with ə
    ("Əli Əsədov", "Həsənov"), which made it Azerbaijani; Azerbaijani's ə is in its common words."""
    if "ə" not in lower:
        return None
    schwas = sum(word.count("ə") for word in _WORD.findall(sample) if not word[:1].isupper())
    # a share, not a presence: Azerbaijani writes ə in ~8 % of its letters; a Turkish report quoting one
    # Azerbaijani sentence or a title ("Azərbaycan ədəbiyyatı") has it in ~1 %
    return "az" if schwas / letters >= AZ_SCHWA_SHARE else None


# Turkish's and Azerbaijani's alphabets together (with Turkish's circumflexed loan-word vowels).
_TURKIC_ALPHABET = frozenset("abcçdeəfgğhxıijkqlmnoöprsştuüvyzâîû")
_TURKIC_OWN = frozenset("çğıöşüə")  # letters that English-like Latin lacks: ı alone is ~5% of Turkish
_LATIN_LETTER = re.compile(r"[^\W\d_]")
FOREIGN_LETTER_SHARE = 0.01
TURKIC_OWN_MIN_LETTERS = 100


def _turkic_letters_agree(lower: str, letters: int) -> bool:
    """Can a text langdetect calls Turkish (or Azerbaijani) be either? langdetect has no profile for
    Kazakh, Turkmen, Kurdish or transliterated Armenian and answers Turkish for them. A text that
    writes letters neither alphabet has (w, ä, ñ, ê, ý, ň, ž, ū: 1% or more of its letters), or,
    at 100 letters or more, not one of ç ğ ı ö ş ü ə, is neither."""
    found = _LATIN_LETTER.findall(lower)
    foreign = sum(ch not in _TURKIC_ALPHABET for ch in found if ch < "\u0250")  # Latin letters only
    if foreign >= FOREIGN_LETTER_SHARE * letters:
        return False
    return letters < TURKIC_OWN_MIN_LETTERS or any(ch in _TURKIC_OWN for ch in found)


def _looks_azerbaijani(lower: str, letters: int) -> bool:
    """Azerbaijani typed without ə: q and x are everyday letters, Turkish uses neither."""
    words = _WORD.findall(lower)
    if not words:
        return False
    qx_rate = (lower.count("q") + lower.count("x")) / letters
    az_words = sum(w in _AZ_WORDS for w in words)
    tr_words = sum(w in _TR_WORDS for w in words)
    az = (qx_rate >= 0.006) + (len(_AZ_PERFECT.findall(lower)) / len(words) >= 0.02) + (az_words > tr_words)
    tr = (qx_rate < 0.002) + (len(_TR_PROGRESSIVE.findall(lower)) / len(words) >= 0.01) + (tr_words > az_words)
    return az > tr


# --- langdetect -----------------------------------------------------------------------------------

_factory_lock = threading.Lock()


@lru_cache(maxsize=None)
def _factory(script: str) -> DetectorFactory:
    """A seeded factory with only the profiles that write in ``script`` (all of them otherwise)."""
    from extractors.compiled_cache import cached  # the parsed profiles, across processes
    from extractors.profile_table import PROFILE_TABLE  # a memory-mapped table: ms, not 0.1 s, to load

    profiles = Path(PROFILES_DIRECTORY)
    factory = cached("langdetect", script, [profiles, Path(__file__)], lambda: _build_factory(script, profiles),
                     codec=PROFILE_TABLE)
    factory.set_seed(SEED)  # langdetect samples n-grams at random: the seed makes it repeatable
    return factory


def _build_factory(script: str, profiles: Path) -> DetectorFactory:
    names = _PROFILES.get(script, "").split() or sorted(p.name for p in profiles.iterdir())
    factory = DetectorFactory()
    factory.load_json_profile([(Path(PROFILES_DIRECTORY) / name).read_text("utf-8") for name in names])
    return factory


def _langdetect(sample: str, script: str, hint: str | None, lf: float) -> LanguageGuess:
    with _factory_lock:  # profile loading is not thread-safe; detection below is per instance
        factory = _factory(script)
    detector = FastDetector(factory)  # langdetect's Detector, same answers, fewer Python steps
    detector.append(sample)
    try:
        ranked = [(lang.lang, lang.prob) for lang in detector.get_probabilities()]
    except LangDetectException:
        return LanguageGuess(None, 0.0, "langdetect")
    if not ranked:
        return LanguageGuess(None, 0.0, "langdetect")
    ranked = [(normalise_language_code(code) or code, p) for code, p in ranked]
    code, prob = ranked[0]
    # Hesitation between the declared language and another: the page's own word breaks the tie.
    if prob < 0.6 and hint and hint != code:
        for other, p in ranked[1:]:
            if other == hint and p >= 0.25:
                return LanguageGuess(hint, round(p * (0.5 + 0.5 * lf), 3), "declared")
    return LanguageGuess(code, round(prob * (0.5 + 0.5 * lf), 3), "langdetect")

