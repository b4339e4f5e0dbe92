"""Calendar dates written in text, in the region's languages and the usual numeric forms.

A compact reader instead of dateparser (which is ~100× slower per string): month-name tables for
en, fr, de, ru, tr, az, hy, ka (and the it/es/pt/nl names a European news page also uses), with
genitive and inflected forms matched by stem, abbreviations with or without a dot, two-digit years
after an apostrophe (``27 Jun.'12``), and numeric dates (``14.07.2023``, ``2023-07-14``,
``07/14/2023``). A date needs a year: "14 July" alone is not a publication day, and a guessed year
would be an invented date. A time of day and a zone written next to the date are kept with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

# Month names by month; a token matches a stem when it starts with it (genitives and case endings
# vary: "июля", "հուլիսի", "ივლისს", "Temmuz'da"). Stems are long enough not to catch common words.
_MONTH_STEMS = (
    "january janvier januar jänner jaenner gennaio enero janeiro januari январ ocak yanvar հունվար იანვარ",
    "february février fevrier februar febbraio febrero fevereiro februari феврал şubat subat fevral փետրվար თებერვ",
    "march mars märz maerz marzo março maart март mart մարտ მარტ",
    "april avril aprile abril апрел nisan aprel ապրիլ აპრილ",
    "may mai maggio mayo maio mei мая май mayıs mayis մայիս მაის",
    "june juin juni giugno junio junho июн haziran iyun հունիս ივნის",
    "july juillet juli luglio julio julho июл temmuz iyul հուլիս ივლის",
    "august août aout agosto augustus август ağustos agustos avqust օգոստոս აგვისტ",
    "september septembre settembre septiembre setembro сентябр eylül eylul sentyabr սեպտեմբեր სექტემბ",
    "october octobre oktober ottobre octubre outubro октябр ekim oktyabr հոկտեմբեր ოქტომბ",
    "november novembre noviembre novembro ноябр kasım kasim noyabr նոյեմբեր ნოემბ",
    "december décembre decembre dezember dicembre diciembre dezembro декабр aralık aralik dekabr դեկտեմբեր დეკემბ",
)
# Abbreviations match exactly (with or without a dot): "Jun.", "févr", "Sept", "окт"; the Armenian and
# Azerbaijani ones are CLDR's, as RSS feeds of those locales print them ("02 Դեկ 2026", "02 Dek 2026").
_MONTH_ABBREVIATIONS = (
    "jan janv jän ene gen янв oca yan იან հնվ",
    "feb févr fevr fév fev фев февр şub sub თებ փտվ",
    "mar mär mrz мар მარ մրտ",
    "apr avr abr апр nis აპრ ապր",
    "may մյս",
    "jun juin июн haz iyn ივნ հնս",
    "jul juil июл tem iyl ივლ հլս",
    "aug aoû ago авг ağu agu avq აგვ օգս",
    "sep sept set сен сент eyl sen სექ սեպ",
    "oct okt ott out окт eki ოქტ հոկ",
    "nov ноя нояб kas noy ნოე նոյ",
    "dec déc dez dic дек ara dek დეკ դեկ",
)
_STEMS = sorted(((stem, n) for n, stems in enumerate(_MONTH_STEMS, 1) for stem in stems.split()),
                key=lambda item: -len(item[0]))
_ABBREVIATIONS = {abbr: n for n, abbrs in enumerate(_MONTH_ABBREVIATIONS, 1) for abbr in abbrs.split()}
_MAX_ENDING = 6  # "сентября" = stem + 1, "Temmuz'unda" = stem + 6


def month_number(token: str) -> int | None:
    """The month a word names (full, genitive, inflected or abbreviated), else None."""
    word = token.casefold().rstrip(".")
    if word in _ABBREVIATIONS:
        return _ABBREVIATIONS[word]
    if len(word) < 3:
        return None
    for stem, number in _STEMS:
        if word.startswith(stem) and len(word) - len(stem) <= _MAX_ENDING:
            return number
    return None


# Zone abbreviations a news page writes after a time (only unambiguous ones).
ZONES = {
    "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 1, "cet": 1, "mez": 1, "west": 1, "cest": 2, "mesz": 2,
    "eet": 2, "eest": 3, "msk": 3, "мск": 3, "trt": 3, "amt": 4, "get": 4, "azt": 4, "gst": 4,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
    "akst": -9, "akdt": -8, "hst": -10, "aest": 10, "aedt": 11, "jst": 9, "kst": 9,
}

_Y = r"((?:19|20)\d\d)"
_D = r"([0-3]?\d)"
_N = r"([01]?\d)"
_WORD = r"([^\W\d_]{3,}\.?)"
_NUMERIC_YMD = re.compile(rf"(?<![\d.])(?<!\d[/-]){_Y}([-/.]){_N}\2{_D}(?![\d/-]|\.\d)")
_NUMERIC_DMY = re.compile(rf"(?<![\d.])(?<!\d[/-]){_D}([-/.]){_D}\2{_Y}(?![\d/-]|\.\d)")  # 12/25/2020 too
# A two-digit year only with dots ("09.11.21"): slashes and dashes are too often something else.
_NUMERIC_DMY_SHORT = re.compile(r"(?<![\d.])([0-3]?\d)\.([01]?\d)\.(\d\d)(?![\d.])")
_YEAR_TAIL = r"(?:\s*(?:г|гг|года|год|թ|թվական\w*|წ|წლის|yılı|il|ildə)\.?)?"
_NAMED_DMY = re.compile(rf"(?<!\d){_D}(?:\.|-?(?:th|st|nd|rd|er|ը|-?(?:ci|cı|cu|cü|си|го|ე)))?[\s\-/]*{_WORD}"
                        rf"[\s,/\-]*(?:{_Y}|['’‘]\s?(\d\d))(?!\d){_YEAR_TAIL}")
_NAMED_MDY = re.compile(rf"(?<![^\W\d_]){_WORD}[\s\-/]*{_D}(?:st|nd|rd|th)?,?[\s\-/]+(?:{_Y}|['’‘]\s?(\d\d))(?!\d)")
_NAMED_YMD = re.compile(rf"(?<!\d){_Y}{_YEAR_TAIL}[\s,\-/]*{_WORD}[\s\-/]*{_D}(?!\d)")
# Georgian writes the year first and the day before the month: "2026 წლის 15 ნოემბერი"
_NAMED_YDM = re.compile(rf"(?<!\d){_Y}{_YEAR_TAIL}[\s,\-/]+{_D}(?:-?ე)?[\s\-/]+{_WORD}")
_TIME = re.compile(r"(?<![\d:.])([012]?\d)[:h.]([0-5]\d)(?::([0-5]\d))?(?:\.\d+)?(?![\d])\s*"
                   r"(?:([ap])\.?\s?m\.?(?![^\W\d_]))?\s*"
                   r"(?:\(?\s*(?:(utc|gmt)\s*([+-−]\s*\d{1,2}(?::?\d\d)?)?|([+-]\d\d(?::?\d\d)?(?![\d:]))|([^\W\d_]{1,5})(?![^\W\d_]))\)?)?",
                   re.I)
_NEAR = 24  # characters between a date and its time of day


@dataclass(frozen=True)
class FoundDate:
    """A date written in text, with the time of day and the zone when written next to it."""

    day: date
    at: time | None
    offset: timedelta | None
    start: int
    end: int
    numeric: bool  # written in digits only (day/month order may have been guessed)


def _year(full: str | None, short: str | None) -> int:
    if full:
        return int(full)
    value = int(short)
    return 2000 + value if value < 70 else 1900 + value


def _day(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _numeric_day(first: int, second: int, y: int, separator: str, month_first: bool) -> date | None:
    """Day/month order: a number over 12 decides; otherwise dots are day-first, slashes follow the page."""
    if first > 12:
        return _day(y, second, first)
    if second > 12:
        return _day(y, first, second)
    if separator == "/" and month_first:
        return _day(y, first, second)
    return _day(y, second, first)


def _parse_zone(m: re.Match) -> timedelta | None:
    named, named_shift, numeric, abbreviation = m.group(5), m.group(6), m.group(7), m.group(8)
    text = None
    if named:
        if not named_shift:
            return timedelta(0)
        text = named_shift.replace(" ", "").replace("−", "-")
    elif numeric:
        text = numeric
    elif abbreviation and abbreviation.casefold() in ZONES:
        return timedelta(hours=ZONES[abbreviation.casefold()])
    if not text:
        return None
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    if hours > 14 or minutes >= 60:
        return None
    return sign * timedelta(hours=hours, minutes=minutes)


def _time_near(text: str, start: int, end: int) -> tuple[time | None, timedelta | None]:
    """A time of day right after the date ("14 July 2023, 18:05 MSK") or right before it."""
    candidates = [m for m in _TIME.finditer(text, end, min(len(text), end + _NEAR + 20))
                  if m.start() - end <= _NEAR]
    candidates += [m for m in _TIME.finditer(text, max(0, start - _NEAR), start) if start - m.end() <= 4]
    for m in candidates:
        hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        meridiem = (m.group(4) or "").casefold()
        if meridiem:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if meridiem == "p" else 0)
        if hour > 23:
            continue
        return time(hour, minute, second), _parse_zone(m)
    return None, None


def find_dates(text: str, *, month_first: bool = False, limit: int = 8) -> list[FoundDate]:
    """The dates written in ``text`` (with a year), in reading order; ``month_first`` reads an
    ambiguous ``07/08/2023`` as July 8 (pages in US English)."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []

    def add(day: date | None, m: re.Match, numeric: bool) -> None:
        if day is None or any(s < m.end() and m.start() < e for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        at, offset = _time_near(text, m.start(), m.end())
        found.append(FoundDate(day, at, offset, m.start(), m.end(), numeric))

    for m in _NUMERIC_YMD.finditer(text):
        add(_day(int(m.group(1)), int(m.group(3)), int(m.group(4))), m, True)
    for m in _NUMERIC_DMY.finditer(text):
        add(_numeric_day(int(m.group(1)), int(m.group(3)), int(m.group(4)), m.group(2), month_first), m, True)
    for m in _NAMED_DMY.finditer(text):
        month = month_number(m.group(2))
        if month:
            add(_day(_year(m.group(3), m.group(4)), month, int(m.group(1))), m, False)
    for m in _NAMED_MDY.finditer(text):
        month = month_number(m.group(1))
        if month:
            add(_day(_year(m.group(3), m.group(4)), month, int(m.group(2))), m, False)
    for m in _NAMED_YMD.finditer(text):
        month = month_number(m.group(2))
        if month:
            add(_day(int(m.group(1)), month, int(m.group(3))), m, False)
    for m in _NAMED_YDM.finditer(text):
        month = month_number(m.group(3))
        if month:
            add(_day(int(m.group(1)), month, int(m.group(2))), m, False)
    for m in _NUMERIC_DMY_SHORT.finditer(text):
        add(_day(_year(None, m.group(3)), int(m.group(2)), int(m.group(1))), m, True)
    found.sort(key=lambda f: f.start)
    return found[:limit]
