"""What a page itself shows about when it was published: its date line and its time zone.

The **date line** is the short block with a date closest to the article's headline: the first one
after the ``<h1>`` (bylines, "Posted: …", a ``<time>`` element), or just before it (a kicker date).
Position relative to the headline is what separates it from a masthead's "today" far above the
headline and from dated headline lists below the article; blocks inside navigation, asides,
footers, comments and lists of links are skipped. A date labelled as an update is the line's
second choice.

The **page's zone** comes from the page: the offset its other timestamps carry
(``2023-11-08T22:35:29-08:00`` in a ``<time>`` or JSON-LD), or a zone written after a visible time
("10:35 PM PST"). It turns a UTC instant into the local day the page shows.
"""

from __future__ import annotations

import functools
import re
from collections import Counter, deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from lxml.html import HtmlElement

from extractors.date_text import FoundDate, find_dates

_SKIPPED_TAGS = {"script", "style", "noscript", "template", "head", "nav", "footer", "aside", "select",
                 "button", "form", "iframe", "svg", "figcaption", "figure", "blockquote", "option", "textarea"}
# Class/id words of furniture whose dates are not the article's (not site names: generic words).
# Class/id words of blocks that are not the article: a date in them is another story's, the day's
# (a calendar, weather, exchange rates "на 13.11.2024" — an "informer" in Russian-language CMSes).
_FURNITURE = re.compile(r"(?i)(?:^|[\s_-])(?:comment\w*|related|sidebar|widget\w*|teaser\w*|footer|"
                        r"nav\w*|menu|breadcrumb\w*|recommend\w*|popular|most-?read|ticker|"
                        r"trending|more-?news|latest|archive|calendar|weather|cookie\w*|"
                        r"informer\w*|currenc\w*|rates|exchange\w*)(?:$|[\s_-])")
_UPDATE_LABEL = re.compile(r"(?i)(?:updated?|modified|last\s+edit\w*|aktualisiert|geändert|mis\s+à\s+jour|"
                           r"actualis\w+|обновл\w*|изменен\w*|güncellen\w*|güncelleme|yenilən\w*|"
                           r"թարմացվ\w*|թարմացում\w*|განახლ\w*)(?:\W{1,3}\w{1,7}){0,2}\W{0,3}$")  # "Updated on", "Обновлено в", "Թարմացվել է՝", "Güncellenme tarihi:"
_DIGIT = re.compile(r"\d")
_SHORT_BLOCK = 160  # characters: a date line, a byline; longer blocks are looked into
_AFTER_HEADLINE = 80  # elements after the headline a date line may sit (share bars, images, bylines)
_BEFORE_HEADLINE = 12  # a kicker date right above the headline; a masthead sits farther up
_ISO_STAMP = re.compile(r"(?:19|20)\d\d-[01]\d-[0-3]\d[T ][0-2]\d:[0-5]\d(?::[0-5]\d)?(?:\.\d+)?"
                        r"\s?([+-][01]\d:?[0-5]\d|Z)")


@dataclass(frozen=True)
class DateLine:
    """A visible date near the headline."""

    found: FoundDate
    text: str
    after_headline: bool
    distance: int  # elements between the headline and the line
    time_element: str | None  # the ``datetime`` attribute of a <time> in the line, if any


def _is_furniture(element: HtmlElement) -> bool:
    if element.tag in _SKIPPED_TAGS:
        # HTML5: a <footer> inside an <article> is that article's own (its byline and date line,
        # as Drupal and many themes write them); only the page's footer is furniture
        return element.tag != "footer" or not any(a.tag == "article" for a in element.iterancestors())
    class_attr, id_attr = element.get("class"), element.get("id")
    return (class_attr is not None or id_attr is not None) and _furniture_names(f"{class_attr or ''} {id_attr or ''}")


@functools.lru_cache(maxsize=8192)
def _furniture_names(names: str) -> bool:
    """Whether a "class id" string names furniture; a page repeats a few names on many elements."""
    return bool(names.strip()) and bool(_FURNITURE.search(names))


def _headline(root: HtmlElement) -> HtmlElement | None:
    """The article's headline: the page's only ``<h1>`` wherever it sits (a page names its title
    once; class words around it such as ``intro__breadcrumbNavigation`` describe neighbours), else
    the first ``<h1>``/``<h2>`` of two words or more outside furniture."""
    titles = [h for h in root.iter("h1") if len(h.text_content().split()) >= 2]
    if len(titles) == 1 and not any(a.tag in _SKIPPED_TAGS for a in titles[0].iterancestors()):
        return titles[0]
    for tag in ("h1", "h2"):
        for heading in root.iter(tag):
            if len(heading.text_content().split()) >= 2 and not any(_is_furniture(a) for a in heading.iterancestors()):
                return heading
    return _titled_block(root)


def _titled_block(root: HtmlElement) -> HtmlElement | None:
    """A page without heading tags (page builders style a div as the title): the first block whose
    whole text is the page's title (``og:title``, ``<title>``), outside furniture."""
    titles = set()
    for element in root.iter("title", "meta"):
        value = element.text_content() if element.tag == "title" else (
            element.get("content") if (element.get("property") or element.get("name")) in ("og:title", "twitter:title") else None)
        if value and len(value.split()) >= 2:
            titles.add(" ".join(value.split()).casefold())
    if not titles:
        return None
    for element in root.iter("div", "p", "span", "h3", "h4", "strong", "b", "a"):
        text = element.text
        if text and len(element) == 0 and " ".join(text.split()).casefold() in titles \
                and not any(a.tag == "head" or _is_furniture(a) for a in element.iterancestors()):
            return element
    return None


def _headline_link(element: HtmlElement) -> bool:
    return any(len(a.text_content().split()) >= 3 for a in element.iter("a"))


TEASER_MAX_WORDS = 30


def teasers(root: HtmlElement, tags: tuple[str, ...] = ("li", "div", "article")) -> list[HtmlElement]:
    """Short blocks linking another story's headline, three or more such siblings of one kind (a
    "More news" column of divs, a list's items): their dates are those stories'. One pass over
    each parent's children (a page of 500 sibling blocks is not 250,000 sibling checks)."""
    found: list[HtmlElement] = []
    for parent in root.iter():
        linked: dict[str, list[HtmlElement]] = {}
        for child in parent:
            if child.tag in tags and _headline_link(child):
                linked.setdefault(child.tag, []).append(child)
        for group in linked.values():
            if len(group) >= 3:
                found.extend(c for c in group if len(c.text_content().split()) <= TEASER_MAX_WORDS)
    return found


def _is_link_list_item(element: HtmlElement) -> bool:
    """An item of a list of headlines (related stories, a news ticker), not the article's own line:
    it links a headline, and so do at least two of its siblings. The item is its <li>, or the
    block itself when the list is made of <div>s ("<div class=item><span>date</span><a>…</a>")."""
    item = element if element.tag == "li" else next(element.iterancestors("li"), None)
    if item is None:
        item = element
    if not _headline_link(item):
        return False
    siblings = [*item.itersiblings(), *item.itersiblings(preceding=True)]
    return sum(1 for s in siblings if _headline_link(s)) >= 2


def _short_blocks(root: HtmlElement, headline: HtmlElement):
    """(order, element, text) of the largest short blocks with a digit, in document order, and
    (order, None, "") at the headline; each element of the walk counts one in ``order``."""
    order = 0
    # The headline's ancestors are looked into even when short ("Section · date · headline").
    around_headline = set(headline.iterancestors())
    stack = [root]
    while stack:
        element = stack.pop()
        if not isinstance(element.tag, str) or (_is_furniture(element) and element not in around_headline):
            continue
        order += 1
        if element is headline:
            yield order, None, ""
            continue
        # the headline's ancestors hold the page's largest texts: never read (they are looked into)
        if element not in around_headline:
            text = element.text_content()
            if len(text) <= _SHORT_BLOCK:
                if _DIGIT.search(text):
                    yield order, element, " ".join(text.split())
                continue
        stack.extend(reversed(element))


# a slash date ("12/04/2026", "1/7/26")
_SLASH_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(?:\d{4}|\d\d)(?![\d/])")
_SLASH_SAMPLE = 64  # slash dates looked at: the page's convention shows in its first few


class MonthFirst:
    """``page_month_first(root)``, worked out the first time a reader asks for it (the truth value):
    only an ambiguous slash date needs it, and reading the page's text for it cost every page ~10 %
    of its extraction."""

    __slots__ = ("_root", "_value")

    def __init__(self, root: HtmlElement):
        self._root, self._value = root, None

    def __bool__(self) -> bool:
        if self._value is None:
            self._value = page_month_first(self._root)
        return self._value


def page_month_first(root: HtmlElement) -> bool:
    """Whether ``07/08/2023`` means July 8 on this page. The page's own slash dates decide: one
    that can only be read one way ("11/28/2026" or "28/11/2026") shows the site's convention for
    all; else the page language (US English writes month first; everyone else day first). A
    12-hour clock is no cue: British pages write "02/11/2023 02:00pm GMT" for 2 November."""
    lang = (root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or "").casefold()
    body = root.find("body")
    text = (body if body is not None else root).text_content()  # one C call; most pages have no slash date
    month_first = day_first = False
    for count, m in enumerate(_SLASH_DATE.finditer(text)):
        if count >= _SLASH_SAMPLE:
            break
        first, second = int(m.group(1)), int(m.group(2))
        month_first |= first <= 12 < second <= 31
        day_first |= second <= 12 < first <= 31
    if month_first != day_first:
        return month_first
    return lang in ("en-us", "en_us")


_LINE_WORDS = 8  # words besides its dates a date line may have ("Posted by Jane Doe in World | …")


def _is_prose(text: str, found: list[FoundDate]) -> bool:
    """A sentence or a caption that mentions a date, not a line stating when the page was published."""
    rest, last = [], 0
    for item in found:
        rest.append(text[last:item.start])
        last = item.end
    rest.append(text[last:])
    words = [w for w in " ".join(rest).split() if any(ch.isalpha() for ch in w)]
    return len(words) > _LINE_WORDS


def _first_published(found: list[FoundDate], text: str) -> FoundDate | None:
    """The line's first date not labelled as an update ("Written: … / Updated: …")."""
    for item in found:
        if not _UPDATE_LABEL.search(text[max(0, item.start - 24):item.start]):
            return item
    return None


def _as_line(entry: tuple[int, HtmlElement, str], headline_order: int, month_first: bool,
             around_headline: frozenset = frozenset()) -> DateLine | None:
    order, element, text = entry
    found = find_dates(text, month_first=month_first, limit=3)
    if not found or _is_prose(text, found) or _is_link_list_item(element):
        return None
    if any(_is_furniture(a) and a not in around_headline for a in element.iterancestors()):
        return None
    chosen = _first_published(found, text)
    if chosen is None:
        return None
    stamp = next((t.get("datetime") for t in element.iter("time") if t.get("datetime")), None)
    return DateLine(chosen, text, order > headline_order, abs(order - headline_order), stamp)


def date_line(root: HtmlElement, month_first: bool, accept=None) -> DateLine | None:
    """The page's date line (see module docstring), or None when no date sits near a headline.
    The first line after the headline wins; else the nearest one just above it. ``accept``: a
    test a line must pass to count (the others are passed over)."""
    accept = accept or (lambda _line: True)
    headline = _headline(root)
    if headline is None:
        return None
    before: deque[tuple[int, HtmlElement, str]] = deque(maxlen=_BEFORE_HEADLINE)
    headline_order = None
    around_headline = frozenset(headline.iterancestors())
    for order, element, text in _short_blocks(root, headline):
        if element is None:
            headline_order = order
        elif headline_order is None:
            before.append((order, element, text))
        elif order - headline_order > _AFTER_HEADLINE:
            break
        elif (line := _as_line((order, element, text), headline_order, month_first, around_headline)) is not None \
                and accept(line):
            return line
    if headline_order is None:
        return None
    for entry in reversed(before):
        if headline_order - entry[0] <= _BEFORE_HEADLINE and not _in_another_region(entry[1], around_headline):
            line = _as_line(entry, headline_order, month_first, around_headline)
            if line is not None and accept(line):
                return line
    return None


_REGION_DEPTH = 2  # <body> and a page wrapper: what a masthead and the article have in common


def _in_another_region(element: HtmlElement, around_headline: frozenset) -> bool:
    """Above the headline, but in another region of the page: its only common container with the
    headline is <body> or a page-wide wrapper (a top bar's "Friday, 4 December 2026"), not the
    article's header that holds a kicker date."""
    common = next((a for a in element.iterancestors() if a in around_headline), None)
    return common is None or sum(1 for _ in common.iterancestors()) <= _REGION_DEPTH


def masthead_dates(root: HtmlElement) -> list[HtmlElement]:
    """Dated short blocks above the headline in another region of the page (``_in_another_region``):
    a top bar's "today", which free-text date search (htmldate) would otherwise take for the
    article's date when the article shows none."""
    headline = _headline(root)
    if headline is None:
        return []
    around_headline = frozenset(headline.iterancestors())
    found = []
    for _order, element, text in _short_blocks(root, headline):
        if element is None:
            break
        if _in_another_region(element, around_headline) and find_dates(text, limit=1):
            found.append(element)
    return found


_DATE_LABEL = re.compile(r"(?i)(?:^|\W)(?:date|dated|datum|published|posted|publié\w*|publicado|pubblicato|"
                         r"veröffentlicht|erstellt|erschienen|дата|опубликовано|опубликован\w*|tarih\w*|"
                         r"yayın\w*|tarix\w*|dərc\w*|ամսաթիվ|հրապարակ\w*|თარიღი|გამოქვეყნ\w*)\W{0,3}$")
_LABELLED_BLOCK = 60
_BLOCK_TAGS = {"dd", "div", "span", "p", "li", "td", "time", "small"}
_LABEL_TAGS = {"b", "strong", "h5", "h6", "label", "span", "dt", "em", "i"}  # characters: "Datum: 03.02.2022", a <dd> after its <dt>


def labelled_date(root: HtmlElement, month_first: bool) -> FoundDate | None:
    """A date the page labels as its date anywhere outside comments and headline lists
    ("Datum: 03.02.2022", ``<dt>Дата</dt><dd>14.07.2023</dd>``): pages without a headline
    near their date line still say which date is theirs."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tail = element.tail or ""
        if element.tag in _LABEL_TAGS and _DIGIT.search(tail) and len(tail.strip()) <= _LABELLED_BLOCK:
            text, label = " ".join(tail.split()), element.text_content()  # <h5>Datum:</h5> 03.02.2022
        elif element.tag in _BLOCK_TAGS:
            text = element.text_content()
            if len(text) > _LABELLED_BLOCK or not _DIGIT.search(text):
                continue
            text, label = " ".join(text.split()), None
        else:
            continue
        found = find_dates(text, month_first=month_first, limit=1)
        if not found:
            continue
        if label is None:
            label = text[:found[0].start]
        if not label.strip():
            previous = element.getprevious()
            label = previous.text_content().strip() if previous is not None else ""
        if not _DATE_LABEL.search(label) or _UPDATE_LABEL.search(label):
            continue
        if _is_link_list_item(element) or any(_is_comment(a) for a in element.iterancestors()):
            continue
        return found[0]
    return None


def _is_comment(element: HtmlElement) -> bool:
    names = f"{element.get('class') or ''} {element.get('id') or ''}".casefold()
    return "comment" in names or "related" in names


def page_offset(root: HtmlElement, line: DateLine | None) -> timedelta | None:
    """The page's own UTC offset: a zone written on its date line, else the offset most of its
    timestamps carry (``<time datetime>``, JSON-LD, meta), when that is not UTC."""
    if line is not None and line.found.offset is not None:
        return line.found.offset
    offsets: Counter = Counter()
    for element in root.iter("time", "meta", "script"):
        if element.tag == "script":
            if (element.get("type") or "").strip().lower() != "application/ld+json" or not element.text:
                continue
            value = element.text
        else:
            value = element.get("datetime") or element.get("content") or ""
        if ":" in value:  # a stamp has its time of day; most meta values have no colon
            for m in _ISO_STAMP.finditer(value):
                offsets[m.group(1)] += 1
    local = [(text, n) for text, n in offsets.most_common() if text != "Z" and text.replace(":", "")[1:] != "0000"]
    if not local:
        return None
    text = local[0][0].replace(":", "")
    sign = -1 if text[0] == "-" else 1
    return sign * timedelta(hours=int(text[1:3]), minutes=int(text[3:5]))


def offset_from_line(line: DateLine, instant: datetime) -> timedelta | None:
    """The offset that turns ``instant`` into the local time the date line shows, when that is a
    whole quarter-hour within ±14 h (a date line showing the same instant in local time)."""
    if line.found.at is None or instant.tzinfo is None:
        return None
    shown = datetime.combine(line.found.day, line.found.at)
    difference = shown - instant.replace(tzinfo=None) - (instant.utcoffset() or timedelta(0))
    seconds = difference.total_seconds()
    if abs(seconds) > 14 * 3600 or seconds % 900:
        return None
    return difference


_URL_DAY = re.compile(r"/((?:19|20)\d\d)([/-]?)([01]\d)\2([0-3]\d)(?=[/_-]|$|\.html?)")


def url_day(url: str | None) -> date | None:
    """A day spelled in the URL's path (``/2023/11/02/``, ``/20200428/``), else None."""
    if not url:
        return None
    m = _URL_DAY.search(url.split("?", 1)[0])
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
    except ValueError:
        return None


def line_datetime(line: DateLine, offset: timedelta | None) -> datetime | date:
    """The date line as a value: an aware time when the line or the page gives the zone, else
    only the day (a time of day in an unknown zone is not an instant)."""
    found = line.found
    zone = found.offset if found.offset is not None else offset
    if found.at is None or zone is None:
        return found.day
    return datetime.combine(found.day, found.at).replace(tzinfo=timezone(zone))
