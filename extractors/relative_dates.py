"""A date line written relative to the reader's day: "Сегодня, 14:05", "Dünən, 09:15",
"Այսօր, 12:30", "გუშინ, 18:40", "5 saat əvvəl", "2 hours ago".

News sites of the region print the day's items so, and a poll fetches them the same day: for
such a page it is the only date a reader sees. It is read against the time the page was fetched
(``now``: the poll's time, kept with the raw page, so ``reprocess`` reads it as the poll did),
in the page's own zone when its other timestamps give one. It sits where a date line sits, near
the headline (``extractors.date_evidence``); a "latest news" list's relative stamps are further
away. Used only when the page has no other date of its own (``extractors.dates``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from lxml.html import HtmlElement

from extractors.date_evidence import _AFTER_HEADLINE, _BEFORE_HEADLINE, _headline, _short_blocks, page_offset

_TODAY = r"сегодня|bu\s?gün|bugün|այսօր|დღეს|today|aujourd['’]hui|heute"
_YESTERDAY = r"вчера|dünən|dün|երեկ|გუშინ|yesterday|hier|gestern"
_CLOCK = r"(?:[,\s]+(?:в|at|à|um|saat)?\s*([012]?\d)[:.]([0-5]\d))?"
_DAY_WORD = re.compile(rf"^\W*(?:({_TODAY})|({_YESTERDAY})){_CLOCK}(?!\d)", re.I)
_MINUTES = r"минут\w*|мин\.?|minutes?|mins?|dəqiqə|dakika|րոպե|წუთის|minuten"
_HOURS = r"час\w*|hours?|hrs?|saat|ժամ|საათის|heures?|stunden?"
_AGO = re.compile(
    rf"^\W*(?:il y a\s+|vor\s+)?(\d{{1,2}})\s*(?:({_MINUTES})|({_HOURS}))\s*(?:назад|ago|əvvəl|önce|առաջ|წინ)?(?!\w)",
    re.I)
_AGO_WORD = re.compile(r"назад|ago|əvvəl|önce|առաջ|წინ|il y a|vor\s", re.I)
MAX_LINE_WORDS = 8  # "Bu gün, 11:20 | Baxış: 1520": a date line, not a sentence about today


def relative_date(root: HtmlElement, now: datetime) -> datetime | date | None:
    """The day (and time) a relative date line near the headline names, read at ``now``."""
    headline = _headline(root)
    if headline is None:
        return None
    before: list[str] = []
    after: list[str] = []
    headline_order = None
    for order, element, text in _short_blocks(root, headline):
        if element is None:
            headline_order = order
        elif headline_order is None:
            before.append(text)
        elif order - headline_order > _AFTER_HEADLINE:
            break
        else:
            after.append(text)
    if headline_order is None:
        return None
    offset = page_offset(root, None)
    for text in [*after, *reversed(before[-_BEFORE_HEADLINE:])]:
        value = _read(text, now, offset)
        if value is not None:
            return value
    return None


def _read(text: str, now: datetime, offset: timedelta | None) -> datetime | date | None:
    if len(text.split()) > MAX_LINE_WORDS:
        return None
    local_now = now.astimezone(timezone(offset)) if offset is not None else now.astimezone(timezone.utc)
    ago = _AGO.match(text)
    if ago and _AGO_WORD.search(text):
        amount = int(ago.group(1))
        delta = timedelta(minutes=amount) if ago.group(2) else timedelta(hours=amount)
        return (local_now - delta).replace(second=0, microsecond=0)  # an instant: exact whatever the zone
    named = _DAY_WORD.match(text)
    if not named:
        return None
    day = local_now.date() - timedelta(days=0 if named.group(1) else 1)
    if named.group(3) is None:
        return day
    hour, minute = int(named.group(3)), int(named.group(4))
    if hour > 23:
        return day
    if offset is None:
        return day  # a wall clock in an unknown zone: the day is what it says
    moment = datetime.combine(day, time(hour, minute), tzinfo=timezone(offset))
    return moment if moment <= local_now + timedelta(minutes=5) else day
