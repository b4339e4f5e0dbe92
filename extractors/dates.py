"""The publication date of a page, in the page's own time zone, with where it came from.

Evidence: the markup's date (JSON-LD ``datePublished`` or a publication ``<meta>``), the page's
visible date line next to its headline (date_evidence), and, when neither exists, htmldate on the
page without comments and prose. A UTC instant is turned into the page's zone when the page gives
it (an offset on its other timestamps, a zone or a local time on its date line, the day in its
URL), so an evening story keeps its local day and the full instant keeps its offset. A date line
that shows another day than the metadata wins: it is what readers see. Nothing in the future
(14 h tolerance for local days; a zoned time up to 14 h ahead is a wall clock in the wrong zone,
``wrongly_zoned``), nothing a page never wrote: htmldate's year must appear on the
page, and its year-only or month-only guesses count only when the feed agrees.
"""

from __future__ import annotations

import logging
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from lxml.html import HtmlElement, tostring

from extractors.relative_dates import relative_date
from extractors.date_evidence import (date_line, labelled_date, line_datetime, masthead_dates, offset_from_line,
                                      MonthFirst, page_offset, teasers, url_day)

LOGGER = logging.getLogger(__name__)

# A date-only value or a naive time may be local to a zone up to UTC+14.
_LOCAL_SLACK = timedelta(hours=14)
_CLOCK_SKEW = timedelta(minutes=10)
# Page and feed dates more than this apart disagree (time zones and late feed updates aside).
_AGREEMENT = timedelta(days=2)
_EARLIEST = date(1995, 1, 1)
_IN_FUTURE = "in-future"  # marks a page whose own date line is in the future
DATELINE = "dateline"  # published_source of a date read from the page's visible date line


@dataclass(frozen=True)
class DateChoice:
    value: str | None
    source: str | None


def parse_iso(value: str | None) -> datetime | date | None:
    """A datetime (aware when the text has a zone) or a date; None when unreadable."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if len(text) >= 10 and text[10:11] in (" ", "t"):
        text = text[:10] + "T" + text[11:]
    # "+0400" → "+04:00", which fromisoformat wants on Python 3.10-.
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and "T" in text:
        text = text[:-2] + ":" + text[-2:]
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None


def _utc_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


def is_plausible(value: datetime | date, now: datetime) -> bool:
    """Not in the future (allowing for local zones on naive values) and not absurdly old."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value <= now + _CLOCK_SKEW and value.date() >= _EARLIEST
        return value <= now.replace(tzinfo=None) + _LOCAL_SLACK and value.date() >= _EARLIEST
    return _EARLIEST <= value <= (now + _LOCAL_SLACK).date()


def wrongly_zoned(value: datetime | date | None, now: datetime) -> bool:
    """An aware time ahead of ``now`` by more than clock skew but by no more than a zone can be:
    a local wall-clock time written with the wrong zone, as CMSs do that stamp local time "+0000"
    or "GMT" (a site at UTC+4 then seems 4 h ahead for its first 4 h, when a poll sees its items).
    The wall clock is what the site meant; its zone is not."""
    return (isinstance(value, datetime) and value.tzinfo is not None
            and now + _CLOCK_SKEW < value <= now + _LOCAL_SLACK)


def believable_instant(value: datetime, now: datetime) -> datetime | None:
    """An aware time as an instant to keep: itself when plausible; ``now`` when it is wrongly zoned
    (the item exists, so it came out by now: a date kept, never one in the future); else None."""
    if is_plausible(value, now):
        return value
    return now if wrongly_zoned(value, now) else None


def _as_day(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).date() if value.tzinfo else value.date()
    return value


def _agree(a: datetime | date, b: datetime | date) -> bool:
    return abs((_as_day(a) - _as_day(b)).days) <= _AGREEMENT.days


def _iso(value: datetime | date) -> str:
    return value.isoformat()


def _htmldate(tree: HtmlElement, url: str | None, now: datetime, extensive: bool) -> date | None:
    try:
        from htmldate import find_date
    except ImportError:  # pragma: no cover - htmldate is a dependency
        return None
    try:
        found = find_date(tree, extensive_search=extensive, original_date=True, url=url,
                          max_date=(now + _LOCAL_SLACK).strftime("%Y-%m-%d"))
    except Exception as err:  # htmldate raises assorted errors on odd markup
        LOGGER.debug("htmldate failed on %s: %s", url, err)
        return None
    parsed = parse_iso(found)
    return _as_day(parsed) if parsed else None


_PROSE_WORDS = 15


def _without_prose(tree: HtmlElement) -> HtmlElement:
    """A copy of the page without its sentences: a date mentioned in the story ("the law adopted
    on 12 March 2021") is not when the story was published; datelines and meta lines are short."""
    pruned = deepcopy(tree)
    for element in masthead_dates(pruned):  # ... nor the masthead's "today"
        if element.getparent() is not None:
            element.drop_tree()
    for element in list(pruned.iter("p", "li", "blockquote", "td", "dd")):
        if len(element.text_content().split()) > _PROSE_WORDS and element.getparent() is not None:
            element.drop_tree()
    # ... nor other stories' dates: teasers linking their headlines ("Other news", a ticker)
    for item in teasers(pruned):  # all found first: dropping one would leave its siblings fewer than three
        if item.getparent() is not None:
            item.drop_tree()
    # ... nor the dates in other pages' addresses: a ticker's "/georgia/20261113/1234" dates that story
    for link in pruned.iter("a"):
        href = link.get("href") or ""
        if href and any(ch.isdigit() for ch in href) and not _links_itself(link):
            del link.attrib["href"]
    return pruned


def _links_itself(link: HtmlElement) -> bool:
    """A permalink or a date archive beside the byline names this page's day; a link among the
    page's headline links names another's. Told apart by the link's text: a date or "permalink"."""
    text = " ".join(link.text_content().split())
    return bool(text) and (any(ch.isdigit() for ch in text) or text.casefold() in ("permalink", "link", "#"))


def _localised(value: datetime | date, offset: timedelta | None) -> datetime | date:
    """A UTC instant in the page's own zone (the day a reader of the page saw); a naive time,
    which a page writes in its own zone, gets the page's offset."""
    if not isinstance(value, datetime) or offset is None:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone(offset))
    if value.utcoffset() == timedelta(0):
        return value.astimezone(timezone(offset))
    return value


def _line_plausible(line, clock: datetime) -> bool:
    """The date line is not in the future: its day, and with a time of day that moment in the
    line's zone, or in the zone furthest ahead (UTC+14) when the line has none: "05.12.2026, 09:00"
    read at 11:00 UTC on 4 December is tomorrow everywhere, while "5 декабря" alone is not yet."""
    found = line.found
    if not is_plausible(found.day, clock):
        return False
    if found.at is None:
        return True
    moment = datetime.combine(found.day, found.at)
    return is_plausible(moment.replace(tzinfo=timezone(found.offset)) if found.offset is not None else moment, clock)


def _local_day(value: datetime | date) -> date:
    """The day as the value writes it (its own zone), not converted to UTC."""
    return value.date() if isinstance(value, datetime) else value


def _page_evidence(tree: HtmlElement, url: str | None, markup: datetime | date | None,
                   clock: datetime, intact: HtmlElement | None = None,
                   ) -> tuple[datetime | date | None, str | None]:
    """The markup date in the page's zone, weighed against the page's visible date line.

    The line is looked for on the pruned page first (its headline lists and chrome are gone, so
    a dated teaser cannot pose as the line); when none is left there and the page has no markup
    date, on the intact page (``intact``): a date line is short meta text, which pruning may
    take with the caption or meta bar it sits in."""
    month_first = MonthFirst(tree)  # read from the page only if an ambiguous slash date asks
    line = date_line(tree, month_first)
    if line is None and markup is None and intact is not None:
        line = date_line(intact, month_first)
    if line is not None and not _line_plausible(line, clock):
        # a future date near the headline (an event's day, a deadline) hides the publication line
        # after it: that one, if the page has it; else the page states only a date to come
        line = date_line(tree, month_first, accept=lambda found: _line_plausible(found, clock))
        if line is None:
            return None, _IN_FUTURE
    offset = page_offset(tree, line)
    if markup is not None:
        local = _localised(markup, offset)
        if line is None:
            return _url_checked(local, url), None
        gap = (line.found.day - _local_day(local)).days
        if gap == 0:
            if offset is None and isinstance(markup, datetime) and markup.tzinfo is not None:
                shift = offset_from_line(line, markup)
                if shift is not None:  # a UTC stamp the line shows in local time: keep the page's offset
                    return markup.astimezone(timezone(shift)), None
            return local, None
        if isinstance(markup, datetime) and markup.tzinfo is not None:
            shift = offset_from_line(line, markup)
            if shift is not None:  # the line shows the same instant in local time
                return markup.astimezone(timezone(shift)), None
        # The page shows another day than its metadata: what readers see wins.
        return line_datetime(line, offset), DATELINE
    if line is not None:
        return line_datetime(line, offset), DATELINE
    return None, None


def _url_checked(value: datetime | date, url: str | None) -> datetime | date:
    """A UTC instant late or early in the day whose URL spells the neighbouring day was published
    on the URL's day in the page's zone (an evening story in UTC+1 filed at 23:01 UTC)."""
    day = url_day(url)
    if day is None or not isinstance(value, datetime) or value.utcoffset() != timedelta(0):
        return value
    gap = (day - value.date()).days
    if gap == 1 and value.hour >= 10 or gap == -1 and value.hour < 14:
        return day
    return value


def _year_written(found: date, tree: HtmlElement, url: str | None) -> bool:
    year = str(found.year)
    return year in (url or "") or year in tostring(tree, encoding="unicode")


def _written_as_found(found: date, tree: HtmlElement, url: str | None) -> bool:
    """htmldate's day is one the page writes: a first of the month is also how htmldate spells
    "only a year and month were seen" (as of a future modification time it cannot use), which
    would be an invented date unless the page or its URL writes that very day."""
    if found.day != 1:
        return _year_written(found, tree, url)
    written = {found.strftime(pattern) for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d.%m.%Y")}
    page = (url or "") + tostring(tree, encoding="unicode")
    return any(spelling in page for spelling in written)


RELATIVE = "relative"  # published_source of a date line written relative to the day ("Сегодня, 14:05")


def _relative_evidence(tree: HtmlElement, intact: HtmlElement | None, clock: datetime) -> tuple[datetime | date | None, str | None]:
    """A relative date line near the headline ("Dünən, 09:15", "5 saat əvvəl"), read at ``clock``
    (the fetch time); on the intact page too, as the date line is (pruning may take its meta bar)."""
    for root in (tree, intact):
        if root is None:
            continue
        found = relative_date(root, clock)
        if found is not None and is_plausible(found, clock):
            return found, RELATIVE
    return None, None


def _weaker_evidence(tree: HtmlElement, url: str | None, clock: datetime) -> tuple[date | None, str | None]:
    """A day when the page has neither a markup date nor a date line: htmldate's markup and URL
    rules (fast mode), a date the page labels as its date anywhere, the URL's day, and last
    htmldate's free-text search (extensive mode: it loads dateparser, seconds per language on
    first use, so only the few pages that reach it pay)."""
    pruned = _without_prose(tree)
    found = _htmldate(pruned, url, clock, extensive=False)
    if found is not None and _written_as_found(found, tree, url) and is_plausible(found, clock):
        return found, "htmldate"
    labelled = labelled_date(tree, MonthFirst(tree))
    if labelled is not None and is_plausible(labelled.day, clock):
        return labelled.day, DATELINE
    day = url_day(url)
    if day is not None and is_plausible(day, clock):
        return day, "url"
    found = _htmldate(pruned, url, clock, extensive=True)
    # A day of "01" from free text is how htmldate spells "only a year/month was seen".
    if found is not None and found.day != 1 and _year_written(found, tree, url) and is_plausible(found, clock):
        return found, "htmldate"
    return None, None


def choose_date(
    *,
    markup_value: str | None,
    markup_source: str | None,
    tree: HtmlElement | None,
    url: str | None,
    feed_published: str | datetime | None,
    now: datetime | None,
    intact_tree: HtmlElement | None = None,
) -> DateChoice:
    """Pick the publication date (see module docstring). ``tree`` is the pruned page;
    ``intact_tree`` is the page before pruning, read only when the pruned page shows no date."""
    clock = _utc_now(now)
    feed = feed_published if isinstance(feed_published, datetime) else parse_iso(feed_published)
    if isinstance(feed, datetime) and feed.tzinfo is None:
        feed = feed.replace(tzinfo=timezone.utc)  # feeds' dates are normalised to UTC upstream
    if feed is not None:
        feed = believable_instant(feed, clock) if isinstance(feed, datetime) else (feed if is_plausible(feed, clock) else None)

    page = parse_iso(markup_value)
    if wrongly_zoned(page, clock):
        page = page.replace(tzinfo=None)  # its wall clock, in the page's zone like any naive time
    # A page that states a future date has no believable date: a guess from elsewhere would be invented.
    in_future = page is not None and not is_plausible(page, clock)
    if in_future:
        page = None
    if tree is not None:
        value, source = _page_evidence(tree, url, page, clock, intact_tree)
        in_future = in_future or source == _IN_FUTURE
        if value is not None and is_plausible(value, clock):
            if source is None:
                source = markup_source
            return _with_feed_time(value, source, feed)
    elif page is not None:
        return _with_feed_time(page, markup_source, feed)

    if tree is not None and not in_future:
        found, source = _weaker_evidence(tree, url, clock)
        if found is None:  # last: it means something only read at the fetch time
            found, source = _relative_evidence(tree, intact_tree, clock)
        if found is not None:
            if feed is not None:
                if _agree(found, feed):
                    return DateChoice(_iso(feed), "feed") if _as_day(feed) == found else DateChoice(_iso(found), source)
                # A heuristic page date that contradicts the feed loses to the feed.
                return DateChoice(_iso(feed), "feed")
            return DateChoice(_iso(found), source)

    if feed is not None:
        return DateChoice(_iso(feed), "feed")
    return DateChoice(None, None)


def _with_feed_time(value: datetime | date, source: str | None, feed: datetime | date | None) -> DateChoice:
    """The page's date; the feed's time of day when the page only has the day and the feed agrees."""
    if not isinstance(value, datetime) and isinstance(feed, datetime) and _as_day(feed) == value:
        return DateChoice(_iso(feed), "feed")
    return DateChoice(_iso(value), source)
