"""Plain text → units → kinds: the first two steps of the text cleaner (``extractors.text``).

Lines become paragraphs ("units"), re-flowed when the text is hard-wrapped; each unit gets a
kind from its shape: PROSE (sentences, stop-words), SHORT (headline-like), JUNK (menu runs,
bullets, counters, share rows, copyright, repeats, known site boilerplate), META (date,
author, reading time, views), CAPTION or SEEALSO (a "read also" label).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from extractors.header_lines import ARMENIAN_STOP
from extractors.html_cleanup import is_reader_notice
from extractors.boilerplate import (
    CAPTION_PREFIX, COMMENT_HEADER, COMMENT_LINE, COOKIES, COPYRIGHT, CTA, SEE_ALSO, SHARE_WORDS, TAGS_LABEL,
    paragraph_fingerprint,
)
from extractors.text_lang import (
    AUTHOR_LABEL, DATE_LABEL, READING_TIME, STOP_THRESHOLD, VIEWS, find_date, stop_ratio,
)

PROSE, SHORT, JUNK, META, CAPTION, SEEALSO = "prose", "short", "junk", "meta", "caption", "seealso"
# Costs of non-prose units in the block search. Junk costs most: a block must not bridge
# a related-articles list or a footer to reach a far paragraph of "about us" prose.
_COST = {SHORT: 25.0, JUNK: 50.0, META: 40.0, CAPTION: 30.0, SEEALSO: 50.0}

_TERMINAL = re.compile(r"[.!?…։。:;][\"'”»’)\]]*$")
_SENTENCE_END = re.compile(rf"(?:[.!?…։。]|{ARMENIAN_STOP})[\"'”»’)\]]*$")
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_BULLET = re.compile(r"^\s*[•·▪■►▸‣◦●○*✓→»>–—-]\s+")
_URLISH = re.compile(r"https?://|www\.|\S+@\S+\.\w{2,}|\b\S+\.(?:com|org|net|ru|az|am|ge|info)\b", re.I)
_FILE_NAME = re.compile(r"^(?:[\w.-]*[_-][\w.-]*[_-][\w.-]*|[0-9a-f-]{12,}|\S+\.(?:jpe?g|png|gif|webp))$", re.I)
_SEPARATED = re.compile(r"\s[|>»/·•]\s|\s[|]|[|]\s")
_CREDIT_PAREN = re.compile(r"\(([^()]{2,40})\)\s*$")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
_CAMEL = re.compile(r"[A-ZА-ЯЁ]?[a-zа-яё]+|[A-ZА-ЯЁ]+(?![a-zа-яё])")


@dataclass
class Unit:
    text: str
    kind: str = SHORT
    words: int = 0
    published: str | None = None
    author: str = ""
    repeated: bool = False  # printed more than once on the page (a headline above its own h1, a teaser)


# ---------------------------------------------------------------- lines and units

def _lines(text: str) -> list[str]:
    """Normalised lines; "" marks a blank line (a paragraph boundary in most copies)."""
    if "&" in text and ";" in text:
        text = html.unescape(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\t]", " ", text).replace("\ufeff", "")
    return [" ".join(line.split()) for line in text.split("\n")]


def _leading_date(lines: list[str]) -> tuple[str | None, list[str]]:
    """A date glued to the start of the first paragraph ("date 2020-09-27 Heavy fighting...")."""
    for i, line in enumerate(lines):
        if not line:
            continue
        found = find_date(line[:60])
        if not found:
            return None, lines
        iso, span = found
        prefix = line[: span[0]]
        rest = line[span[1]:].lstrip(" -–—|:,")
        if (prefix.strip() and not DATE_LABEL.fullmatch(prefix.strip(" :-–—|"))) or len(_WORD.findall(rest)) < 6:
            return None, lines  # not a glued date: a date line or a sentence that mentions one
        return iso, lines[:i] + [rest] + lines[i + 1:]
    return None, lines


def _wrap_width(lines: list[str]) -> int:
    """The column a hard-wrapped text was filled to, or 0 when it is not hard-wrapped.

    Filled text has most lines close to one width under ~100 columns, and most lines end
    mid-sentence; one-paragraph-per-line text has long or sentence-final lines.
    """
    full = [line for line in lines if line]
    if len(full) < 5:
        return 0
    width = max(len(line) for line in full)
    if not 50 <= width <= 100:
        return 0
    near = sum(len(line) >= width - 20 for line in full)
    ending = sum(bool(_SENTENCE_END.search(line)) for line in full)
    return width if near >= 0.5 * len(full) and ending < 0.5 * len(full) else 0


def _starts_lower(text: str) -> bool:
    """A lower-case first letter, in a script that has case (Georgian Mkhedruli counts as
    lower case in Unicode but the script has no capitals in running text)."""
    head = text[:1]
    return head.islower() and not "\u10d0" <= head <= "\u10ff"


def _continues(prev: str, nxt: str, width: int) -> bool:
    """Whether ``nxt`` is the wrapped continuation of ``prev`` (the next word would not fit)."""
    first = nxt.split(" ", 1)[0]
    if len(prev) + 1 + len(first) > width - 1:
        return True
    return not _SENTENCE_END.search(prev) and _starts_lower(nxt)


def _units(lines: list[str]) -> list[Unit]:
    width = _wrap_width(lines)
    units: list[Unit] = []
    previous = ""  # the previous line, "" after a blank one
    for line in lines:
        if width and previous and line and _continues(previous, line, width):
            units[-1].text += " " + line
        elif line:
            units.append(Unit(line))
        previous = line
    for unit in units:
        unit.words = len(_WORD.findall(unit.text))
    return units


# ---------------------------------------------------------------- classification

def _classify(units: list[Unit], lang: str | None, known: frozenset[str]) -> None:
    counts: dict[str, int] = {}
    for unit in units:
        key = _key(unit.text)
        counts[key] = counts.get(key, 0) + 1
    for unit in units:
        unit.kind = _kind(unit, lang, known, counts)
        unit.repeated = counts.get(_key(unit.text), 0) > 1
    seen: set[str] = set()
    # A paragraph printed twice is a teaser or a lead shown above the headline: keep one copy at
    # most, the *last* one, which sits in the body (the copy above the body goes with the header).
    for unit in reversed(units):
        key = _key(unit.text)
        if key in seen and unit.kind == PROSE:
            unit.kind = JUNK
        seen.add(key)
    _mark_menu_runs(units)
    _mark_introduced_lists(units, lang)


def _key(text: str) -> str:
    return " ".join(_WORD.findall(_BULLET.sub("", text).casefold()))


def _kind(unit: Unit, lang: str | None, known: frozenset[str], counts: dict[str, int]) -> str:
    text, words = unit.text, unit.words
    if known and paragraph_fingerprint(text) in known:
        return JUNK
    if _is_meta(unit):
        return META
    if words == 0 or not re.search(r"[^\W\d_]", text):
        return JUNK  # counters, dates' leftovers, separators
    if words <= 8 and SEE_ALSO.match(text) or SEE_ALSO.match(text) and ":" in text[:40]:
        return SEEALSO
    if _is_caption(text, words):
        return CAPTION
    if _is_chrome(text, words) or is_reader_notice(text):
        return JUNK
    if len(text) < 120 and counts.get(_key(text), 0) > 1:
        return JUNK  # a line repeated within the page: menu, teaser, label
    if _is_prose(text, words, lang):
        return PROSE
    return SHORT


def _is_meta(unit: Unit) -> bool:
    text, words = unit.text, unit.words
    if words > 12:
        return False
    author = AUTHOR_LABEL.match(text)
    if author and 1 <= len(_WORD.findall(author.group(1))) <= 5:
        unit.author = author.group(1).strip(" .,;|")
        return True
    found = find_date(text)
    if found:
        iso, (a, b) = found
        rest = DATE_LABEL.sub(" ", text[:a] + " " + text[b:])
        by = re.search(r"\b(?:by|par|von|от)\s+(\S+(?:\s+\S+){0,3})\s*$", rest, re.I)
        if by:
            unit.author = by.group(1).strip(" .,;|")
            rest = rest[: by.start()]
        rest = re.sub(r"\b\d{1,2}[:h.]\d{2}\b|\b(?:uhr|am|pm|г|թ|წ)\b\.?", " ", rest, flags=re.I)
        if len(_WORD.findall(rest)) <= 2:
            unit.published = iso
            return True
    return bool(READING_TIME.search(text) and words <= 6 or VIEWS.search(text) and words <= 5)


def _is_caption(text: str, words: int) -> bool:
    if words > 60:
        return False
    if CAPTION_PREFIX.match(text):
        return True
    credit = _CREDIT_PAREN.search(text)
    if not credit or _SENTENCE_END.search(text[: credit.start()].rstrip()):
        return False
    inner = _WORD.findall(credit.group(1))
    # "(Reuters)", "(Getty Images)", "(AFP)", "(Photo: X)": one to four capitalised words.
    return 1 <= len(inner) <= 4 and all(w[0].isupper() or w.casefold() in {"via", "photo", "фото"} for w in inner)


def _is_chrome(text: str, words: int) -> bool:
    bare = _BULLET.sub("", text)
    if bare != text and words <= 6:
        return True  # a bulleted menu item
    if COPYRIGHT.search(text) and words <= 30:
        return True
    if words <= 12 and (_URLISH.search(text) or TAGS_LABEL.match(text)) or words <= 6 and COMMENT_LINE.search(text):
        return True
    if words <= 4 and COMMENT_HEADER.match(text):
        return True
    if words <= 25 and CTA.search(text) or words <= 80 and COOKIES.search(text):
        return True
    if " " not in bare and _FILE_NAME.match(bare):
        return True  # an image file name left where the picture was
    tokens = [t for t in _CAMEL.findall(bare) or _WORD.findall(bare)]
    if tokens and words <= 8 and all(t.casefold() in SHARE_WORDS for t in tokens):
        return True  # "Share6Tweet4SendShare", "Facebook 12", "Поделиться"
    parts = [p for p in re.split(r"\s*[|>»/·•]\s*", text) if p.strip()]
    return len(parts) >= 3 and _SEPARATED.search(text) is not None and all(len(p.split()) <= 3 for p in parts)


def _is_prose(text: str, words: int, lang: str | None, *, ended: bool = False) -> bool:
    if words < 6 or not (ended or _SENTENCE_END.search(text) or len(text) >= 150):
        return False
    ratio = stop_ratio(text, lang)
    # A list of names or headlines has no function words; a sentence has some.
    return words >= 25 or ratio >= STOP_THRESHOLD.get(lang or "", 0.0) or words >= 12 and ratio > 0


_INTRODUCES = re.compile(r"[:：][\"'”»’)\]]*$")
_SEPARATOR = re.compile(r"[:=—–-]|\s[|/]\s")


def _mark_introduced_lists(units: list[Unit], lang: str | None) -> None:
    """A sentence ending in a colon, then two or more short lines of one shape (each with a figure,
    or each split by the same separator): a list or table the sentence introduces ("The central
    bank set these rates:" and one line per currency; results by constituency; prices by item).
    They are body, not headline-like strays: dropping them kept the bulletin's closing line only,
    and made two editions of one bulletin "duplicates". A list of headlines has no such shape."""
    for i, unit in enumerate(units):
        if unit.kind != SHORT or not _INTRODUCES.search(unit.text) or not _is_prose(unit.text, unit.words, lang, ended=True):
            continue
        j = i + 1
        while j < len(units) and units[j].kind == SHORT and units[j].words <= 25 and not _INTRODUCES.search(units[j].text):
            j += 1
        items = units[i + 1:j]
        if len(items) < 2 or not _one_shape(items):
            continue
        for member in (unit, *items):
            member.kind = PROSE


def _one_shape(items: list[Unit]) -> bool:
    if all(any(ch.isdigit() for ch in u.text) for u in items):
        return True
    separators = {frozenset(_SEPARATOR.findall(u.text)) for u in items}
    return len(separators) == 1 and bool(next(iter(separators)))


def _mark_menu_runs(units: list[Unit]) -> None:
    """Three or more 1–3-word lines in a row without sentence punctuation form a menu."""
    def menu_like(u: Unit) -> bool:
        return u.kind in (SHORT, JUNK) and u.words <= 3 and not _SENTENCE_END.search(u.text)

    i = 0
    while i < len(units):
        j = i
        while j < len(units) and menu_like(units[j]):
            j += 1
        if j - i >= 3:
            for unit in units[i:j]:
                unit.kind = JUNK
        i = max(j, i + 1)
