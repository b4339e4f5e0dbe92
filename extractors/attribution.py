"""Attribution is not topic: find where a text names its SOURCE, so relevance can ignore it.

Every outlet of the region cites the agencies ("«Արմենպրես»-ը հաղորդում է", "according to APA",
"передает Sputnik Армения", "იუწყება Interpressnews", "Report.az xəbər verir"), and a wire item
opens with the place it was filed from ("Baku, Azerbaijan, March 4 - Trend:"). Neither says what
the story is about. This module returns the character spans of:
- source names next to an attribution phrase of en, ru, hy, ka or az — the phrase lists are the
  reporting verbs and prepositions of each language, written once, not per site;
- a leading dateline (place, date, dash) of the first paragraph.
A source name is a quoted name, a domain (News.am, Report.az) or a span the gazetteer knows as an
outlet; a plain capitalised name is NOT taken as a source ("according to Pashinyan" is evidence).
Pure: text in, spans out.
"""

from __future__ import annotations

import re

# A quoted name, with an optional Armenian/Azerbaijani case ending glued on by a hyphen.
_QUOTED = r"(?:«[^«»\n]{1,60}»|„[^„“”\n]{1,60}[“”]|“[^“”\n]{1,60}”|\"[^\"\n]{1,60}\")(?:-?[^\W\d_]{1,4})?"
_DOMAIN = r"[^\W_][\w-]*\.(?:am|az|ge|ru|com|info|net|org|news)\b(?:-?[^\W\d_]{1,4})?"
_SOURCE = rf"(?P<src>{_QUOTED}|{_DOMAIN}|(?P<word>[^\W\d_][\w.&/-]*(?:\s+[^\W\d_][\w.&/-]*){{0,3}}))"
# Attribution phrases BEFORE the source (verb-first languages and prepositions).
_BEFORE = [
    r"according to(?: the)?", r"(?:citing|cites|quoting|quoted by|reported by|told)(?: the)?",
    r"(?:передает|передаёт|сообщает|сообщают|пишет|сообщило|сообщил|информирует|цитирует)",
    r"(?:со ссылкой на|по данным|по информации|как сообщает|как передает|как пишет)",
    r"(?:იუწყება|იტყობინება|წერს|ავრცელებს|გადმოსცემს)",
    r"(?:հաղորդում է|տեղեկացնում է|գրում է|հայտնում է)",  # Armenian puts the verb on either side
]
# Attribution phrases AFTER the source (Armenian, Azerbaijani, and "X reports" in English).
_AFTER = [
    r"(?:reports|reported|writes|wrote)(?:,? citing)?",
    r"(?:հաղորդում է|տեղեկացնում է|գրում է|հայտնում է|փոխանցում է)",
    r"(?:xəbər verir|xəbər verib|məlumat verir|yazır|istinadən|məlumatına görə)",
    r"(?:ცნობით|ინფორმაციით|დაყრდნობით|თანახმად)",
]
_BEFORE_RE = re.compile(rf"(?<!\w)(?:{'|'.join(_BEFORE)})\s+{_SOURCE}", re.IGNORECASE)
_AFTER_PHRASE_RE = re.compile(rf"(?<!\w)(?:{'|'.join(_AFTER)})(?!\w)", re.IGNORECASE)
# The source just before an after-phrase, searched in a short window that ends at the phrase.
_SOURCE_BEFORE_RE = re.compile(rf"{_SOURCE.replace('{0,3}', '{0,2}')}\s*,?\s*$", re.IGNORECASE)
_WINDOW = 80
_ANY_PHRASES = "|".join(_BEFORE + _AFTER + ["հղում անելով"])


def _first_letters(alternation: str) -> str:
    """Every letter a match of ``alternation`` can start with: its first character and those after
    each ``|`` once the ``(?:`` group openers are dropped (no phrase starts with an optional part)."""
    plain = alternation.replace("(?:", "")
    return "".join(sorted({plain[0], *(part[0] for part in plain.split("|")[1:])}))


# The phrases alone, to skip the costlier source patterns on the many sentences that attribute nothing.
# The lookahead on the possible first letters changes no match (every match starts with one) but
# lets most positions fail at one character-set test instead of a lookbehind and ~50 alternatives:
# 3.5x faster on the 39,285 sentences of the benchmark pages, a quarter of score_relevance's time.
_ANY_PHRASE_RE = re.compile(rf"(?=[{re.escape(_first_letters(_ANY_PHRASES))}])(?<!\w)(?:{_ANY_PHRASES})(?!\w)",
                            re.IGNORECASE)
_ARMENIAN_REF_RE = re.compile(rf"հղում անելով\s+{_SOURCE}", re.IGNORECASE)  # "referring to X"
_MONTHS = (r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек")
# "Baku, Azerbaijan, March 4 - Trend:" / "ЕРЕВАН, 5 мар — Sputnik." / "Tbilisi, 12.03.2025 –" /
# "ANKARA, Nov 12 (Agency Name) –" (the wire convention: the agency in brackets, whatever its name)
_DATELINE_RE = re.compile(
    rf"^\s*[^\W\d_][^\n:–—]{{0,40}}?,\s*(?:\d{{1,2}}\s+(?:{_MONTHS})\w*\.?|(?:{_MONTHS})\w*\.?\s+\d{{1,2}}|\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}})"
    rf"(?:,?\s*\d{{4}})?\s*(?:/[^/\n]{{1,40}}/)?\s*(?:\([^()\n]{{1,40}}\))?\s*[-–—]\s*(?:[^\s:.]+(?:\s+[^\s:.]+){{0,2}}\s*[:.](?=\s))?",
    re.IGNORECASE)


def attribution_spans(text: str, outlet_spans: list[tuple[int, int]], *, first_paragraph: bool = False) -> list[tuple[int, int]]:
    """Character spans of ``text`` that name a source rather than the topic.

    ``outlet_spans`` are the spans the gazetteer matched as outlets: a plain word after "according to"
    counts as a source only if it is one of them. ``first_paragraph`` also strips a leading dateline.
    """
    spans: list[tuple[int, int]] = []
    if first_paragraph:
        m = _DATELINE_RE.match(text)
        if m:
            spans.append((m.start(), m.end()))
    if not _ANY_PHRASE_RE.search(text):
        return spans
    found = [m for rx in (_BEFORE_RE, _ARMENIAN_REF_RE) for m in rx.finditer(text)]
    for phrase in _AFTER_PHRASE_RE.finditer(text):
        m = _SOURCE_BEFORE_RE.search(text, max(0, phrase.start() - _WINDOW), phrase.start())
        if m:
            found.append(m)
    for m in found:
        start, end = m.span("src")
        if m.group("word") is not None:
            known = [s for s in outlet_spans if s[0] < end and s[1] > start]
            if not known:
                continue
            start, end = min(s[0] for s in known), max(s[1] for s in known)
        spans.append((start, end))
    return spans


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the spans blanked out (same length, so offsets stay valid)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)
