"""Feeds → entries, leniently (feedparser for RSS/Atom/RDF, ``json_feed`` for JSON Feed), with
links normalised.

A malformed feed that still yields entries is used (``malformed=True`` so the poll
logs a warning); one that yields nothing is an ``ExtractionError``.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import html
import re
from collections import Counter
from datetime import datetime, time, timezone

from urllib.parse import quote, urlsplit

import feedparser

from extractors.errors import ExtractionError
from extractors.feed_bytes import addressable_guids, escape_bare_ampersands, from_the_declaration, settled_content_type, unmarked
from extractors.records import FeedEntry, ParsedFeed
from extractors.urls import SHARED_LINK_ITEM, normalise_url, without_credentials


_BENIGN = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
_GENERIC_XML = {"application/xml", "text/xml"}  # announced as feeds too, but also for other XML


class BotCheck(ExtractionError):
    """The URL answered 200 with a bot check (a captcha, a "checking your browser" page): the
    site is blocking us, whatever the status said."""


# What a bot-check page says, in the words such pages use (any vendor, en/ru/tr/az); an article
# or a feed list never has its title made of them.
_BOT_CHECK = re.compile(
    r"(?i)captcha|checking (?:your|if the site connection) |just a moment\.\.\.|ddos[- ]protection|"
    r"attention required|are you a (?:human|robot)|not a robot|enable javascript and cookies to continue|"
    r"проверка браузера|вы не робот|robot olmad|robot deyil")


def _is_bot_check(body: bytes) -> bool:
    """A small page whose visible words are a bot check's (scripts aside: a site's own pages load
    reCAPTCHA for their forms)."""
    if len(body) > 50_000:
        return False
    text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", body.decode("utf-8", "replace"))
    return bool(_BOT_CHECK.search(text))


class NotAFeed(ExtractionError):
    """The URL answered with a web page, not a feed; ``feed_links`` are the feeds the page names
    (``<link rel="alternate" type="application/rss+xml" href=…>``), best first."""

    def __init__(self, message: str, feed_links: list[str]):
        super().__init__(message)
        self.feed_links = feed_links

    def __reduce__(self):
        return NotAFeed, (str(self), self.feed_links)


def feed_links_in_page(body: bytes, base: str) -> list[str]:
    """The feeds an HTML page announces in its <head> (feed autodiscovery), absolute, in page order,
    RSS/Atom before generic XML."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.document_fromstring(body)
    except Exception:  # lxml raises assorted errors on broken input: then the page names no feed
        return []
    feeds: list[str] = []
    generic: list[str] = []
    for element in tree.iter("link"):
        rel = (element.get("rel") or "").lower().split()
        kind = (element.get("type") or "").lower().split(";")[0].strip()
        link = normalise_url((element.get("href") or "").strip(), base=base)
        if "alternate" in rel and link and link not in feeds + generic:
            if kind in _FEED_TYPES:
                feeds.append(link)
            elif kind in _GENERIC_XML:
                generic.append(link)
    return feeds + generic


def feed_body_hash(body: bytes) -> str:
    """Identifies an unchanged feed whose server ignores conditional GET."""
    return hashlib.sha256(body).hexdigest()[:32]


_DATE_FIELDS = ("published", "updated", "created")
FEED_ZONE_SHARE = 0.8  # of a feed's zoned dates that must share one offset for it to be the feed's


def feed_zone(entries) -> timezone | None:
    """The zone a feed writes its dates in, when most of its zoned dates share one offset: the zone
    of the items that write none ("03 Դեկ 2026 09:15" beside "… 09:40 AMT"), which feedparser
    would read as UTC."""
    offsets = Counter()
    for entry in entries:
        for name in _DATE_FIELDS:
            written = _written_date(entry.get(name), keep_zone=True)
            if written is not None and written.tzinfo is not None:
                offsets[written.utcoffset()] += 1
                break
    if not offsets:
        return None
    offset, count = offsets.most_common(1)[0]
    return timezone(offset) if count >= 2 and count >= FEED_ZONE_SHARE * sum(offsets.values()) else None


def _entry_date(entry, now: datetime, zone: timezone | None = None) -> datetime | None:
    """The item's date, when believable: a feed's 1970-01-01, 0001-01-01 or 2100 is a CMS default
    or a typo, never the day the article came out (the same test as a page's own dates). A time
    written without a zone is in the feed's ``zone`` when its other items say one (``feed_zone``)."""
    from extractors.dates import believable_instant

    # A time up to 14 h ahead is local time written with the wrong zone: kept as "by now"
    # (extractors.dates.believable_instant), not dropped.
    for name in _DATE_FIELDS:
        if impossible_date(entry.get(name)):
            continue  # feedparser rolls "2024-13-45T99:99:99Z" over into a day, and takes "+9900" as 99 h
        written = _written_date(entry.get(name), keep_zone=True)
        if written is not None and written.tzinfo is not None and (kept := believable_instant(written, now)):
            return kept.astimezone(timezone.utc)  # a zone feedparser does not know ("MSK", "AMT", "GMT+4") it reads as UTC
        if (written is not None and written.tzinfo is None and zone is not None and written.time() != time.min
                and (kept := believable_instant(written.replace(tzinfo=zone), now))):
            return kept.astimezone(timezone.utc)  # a time of day without a zone (a day alone stays a day)
        value = entry.get(f"{name}_parsed")
        if value:
            try:
                when = datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
            except (OverflowError, ValueError, TypeError):
                when = None
            if when is not None and (kept := believable_instant(when, now)):
                return kept
        if written is not None and (kept := believable_instant(written.replace(tzinfo=timezone.utc), now)):
            # feedparser reads neither month names of the region ("2 декабря 2026", "02 Դեկ 2026")
            # nor "02.12.2026 14:30"; without a zone the time is taken as UTC, as feedparser does
            return kept
    return None


_ISO_PARTS = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_CLOCK_PARTS = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d:])")
_NUMERIC_OFFSET = re.compile(r"[+-](\d{2}):?(\d{2})\s*$")


def impossible_date(text: str | None) -> bool:
    """A date field no calendar or clock has: a 13th month, a 45th day, 99:99, a zone 99 hours off."""
    if not isinstance(text, str):
        return False
    iso = _ISO_PARTS.search(text)
    if iso:
        month, day = int(iso.group(2)), int(iso.group(3))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return True
    clock = _CLOCK_PARTS.search(text)
    if clock and (int(clock.group(1)) > 24 or int(clock.group(2)) > 59 or int(clock.group(3) or 0) > 60):
        return True
    offset = _NUMERIC_OFFSET.search(text.strip())
    return bool(offset) and (int(offset.group(1)) > 14 or int(offset.group(2)) > 59)


def _written_date(text: str | None, keep_zone: bool = False) -> datetime | None:
    """The date an item's date field spells, by ``extractors.date_text`` (the region's month names,
    numeric forms, zone names): aware when a zone is written (in UTC, or in its own zone with
    ``keep_zone``), naive when not; None without a year."""
    if not isinstance(text, str) or not text.strip():
        return None
    return _read_date(text, keep_zone)


@functools.lru_cache(maxsize=4096)
def _read_date(text: str, keep_zone: bool) -> datetime | None:
    # memoised: a feed's dates are read once for its zone (``feed_zone``) and again per item
    from extractors.date_text import find_dates

    found = find_dates(text, limit=1)
    if not found:
        return None
    first = found[0]
    moment = datetime.combine(first.day, first.at or datetime.min.time())
    if first.offset is not None and first.at is not None:
        zoned = moment.replace(tzinfo=timezone(first.offset))
        return zoned if keep_zone else zoned.astimezone(timezone.utc)
    return moment


_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def _plain_title(entry) -> str:
    """The item's title as text. feedparser hands an HTML-typed title over as markup
    ("<b>Breaking:</b> Tbilisi &amp; Baku"); a text-typed one is already text ("a <b> tag" literally)."""
    title = entry.get("title") or ""
    kind = (entry.get("title_detail") or {}).get("type", "")
    if "html" in kind:
        title = html.unescape(_TAG.sub(" ", title))
    return " ".join(title.split())


def _entry_link(entry, feed_url: str) -> str | None:
    """The item's web link, normalised. Prefer the alternate (HTML) link (feedparser already resolved
    it against xml:base). An empty link, "#", the feed's own URL or a site's bare front page is no
    article's address: the guid stands in when it is a web URL (feedparser says ``guidislink`` false
    whenever a <link> element exists, empty or not, so the guid is taken whenever the link is unusable)."""
    feed_itself = normalise_url(feed_url) if feed_url else None
    # a proxying feed (FeedBurner's namespace, which other feed proxies copy) links every item
    # through its click counter and names the publisher's own address in ``origLink``: that
    # address is the article's (the counter's host may be gone; its URLs differ per feed)
    original = entry.get("feedburner_origlink")
    candidates = [original] if isinstance(original, str) else []
    candidates += [link["href"] for link in entry.get("links") or []
                  if link.get("rel", "alternate") == "alternate" and link.get("href") and "html" in link.get("type", "text/html")]
    candidates.append(entry.get("link") or "")
    given = "link" in entry  # a <link> element, empty or not (absent: the key is missing)
    for candidate in candidates:
        if not candidate.strip():
            continue
        given = True
        link = normalise_url(candidate, base=feed_url)
        if link and _is_article_address(link, feed_itself):
            return link
    guid = (entry.get("id") or "").strip()
    if guid.startswith(("http://", "https://")) and (given or entry.get("guidislink", True)):
        link = normalise_url(guid)
        return link if link and _is_article_address(link, feed_itself) else None
    return None


def _own_guid(entry, shared_link: str, addresses: frozenset[str]) -> str | None:
    """The guid of an item whose <link> several items share (a section page, the site's news
    list), when the guid is a web URL of its own: the article's address. Without it the items
    would be one article, the section page, and the others dropped as repeats. feedparser resolves
    every guid against the feed's URL, so "g1" or "12345" would come back as an address nobody
    wrote: only a guid the feed writes as an address or a path counts (``addresses``)."""
    guid = (entry.get("id") or "").strip()
    if not guid.startswith(("http://", "https://")) or guid not in addresses:
        return None
    link = normalise_url(guid)
    return link if link and link != shared_link and _is_article_address(link, None) else None


SHARED_LINK_TEXT_MIN_CHARS = 600  # as long as a feed text must be to stand for the page
SECTION_LINK_ITEMS = 3


def _shared_link_item(entry, shared_link: str) -> str | None:
    """The address of an item that shares its <link> with items of other guids and has no address of
    its own: its guid under the shared page when the item carries its whole text (stored from the
    feed), else None (skipped as linkless, and counted: fetching the section page would store the
    section's headline list as an article, once, for all of them)."""
    guid = (entry.get("id") or "").strip()
    if not guid or len(_entry_text(entry)) < SHARED_LINK_TEXT_MIN_CHARS:
        return None
    return f"{shared_link.split('#')[0]}#{SHARED_LINK_ITEM}{quote(guid, safe='')}"


def _entry_text(entry) -> str:
    """The full text an item carries, as plain words."""
    return " ".join(_TAG.sub(" ", _entry_content(entry) or "").split())


def _own_texts(texts: list[str]) -> bool:
    """Two or more whole texts (each long enough to stand for a page) that share under half their
    words: different articles, not one article listed twice."""
    if len(texts) < 2 or any(len(t) < SHARED_LINK_TEXT_MIN_CHARS for t in texts):
        return False
    words = [set(t.casefold().split()) for t in texts]
    return all(len(a & b) < 0.5 * len(a | b) for i, a in enumerate(words) for b in words[i + 1:])


def _is_article_address(link: str, feed_itself: str | None) -> bool:
    parts = urlsplit(link)
    return link != feed_itself and not (parts.path in ("", "/") and not parts.query)


def _entry_content(entry) -> str:
    """The fullest text the item carries, as HTML: ``content:encoded`` / Atom content, the
    full-text extensions of the region's Russian-language feeds (``yandex:full-text``, plain text;
    ``turbo:content``, HTML), or a description that holds the whole article. The poll uses it only
    when the page itself cannot be had and it is long enough to be the article
    (``flows.pipeline.page_from_feed``)."""
    candidates = [c.get("value", "") for c in entry.get("content") or []]
    plain = entry.get("yandex_full-text")
    if isinstance(plain, str) and plain.strip():
        candidates.append("".join(f"<p>{html.escape(line.strip())}</p>" for line in plain.splitlines() if line.strip()))
    for key in ("turbo_content", "summary"):
        if isinstance(entry.get(key), str):
            candidates.append(entry[key])
    return max(candidates, key=lambda text: len(_TAG.sub("", text)), default="")


def declared_language(code: str | None) -> str | None:
    """A feed's or item's declared language as a bare lowercase code ("hy-AM" → "hy")."""
    if not code:
        return None
    return code.strip().lower().replace("_", "-").split("-")[0] or None


def parse_feed(body: bytes, *, feed_id: str, feed_url: str, content_type: str | None = None,
               now: datetime | None = None) -> ParsedFeed:
    """Parse RSS/Atom/RDF bytes. Relative links are resolved against xml:base and the feed URL.
    ``now`` (default: the clock) bounds the item dates believed."""
    from extractors.json_feed import looks_like_json_feed, parse_json_feed  # it uses this module's helpers

    now = now or datetime.now(timezone.utc)
    if looks_like_json_feed(body):
        return parse_json_feed(body, feed_id=feed_id, feed_url=feed_url, now=now)
    headers = {"content-location": feed_url}
    body, content_type = unmarked(body, content_type)
    body = escape_bare_ampersands(from_the_declaration(body))
    settled = settled_content_type(body, content_type or "")
    if settled:
        headers["content-type"] = settled
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    exception = parsed.get("bozo_exception")
    # A wrong or missing Content-Type or charset label is the server's slip, not broken XML.
    malformed = bool(parsed.get("bozo")) and not isinstance(exception, _BENIGN)
    problem = str(exception or "") if malformed else ""
    if not parsed.entries:
        if not parsed.get("version") and _is_web_page(body):
            # checked before "malformed": a web page is rarely well-formed XML, and "mismatched tag"
            # would hide what is wrong (and which feed the page names instead)
            links = feed_links_in_page(body, feed_url)
            if not links and _is_bot_check(body):
                raise BotCheck("blocked: the site answered with a bot check (a captcha or browser test), not the feed")
            named = f", which names a feed at {links[0]}" if links else ""
            raise NotAFeed(f"not a feed: the URL returned an HTML page{named}", links)
        if malformed:
            raise ExtractionError(f"not a readable feed: {problem or 'no entries'}")
        if not parsed.get("version"):
            raise ExtractionError(_not_a_feed(body))
        return ParsedFeed(entries=[], title=parsed.feed.get("title", ""),
                          language=declared_language(parsed.feed.get("language")))

    language = declared_language(parsed.feed.get("language"))
    entries: list[FeedEntry] = []
    zone = feed_zone(parsed.entries)
    links = [_entry_link(raw, feed_url) for raw in parsed.entries]
    shared = {link for link, count in Counter(filter(None, links)).items() if count > 1}
    addresses = addressable_guids(body, feed_url) if shared else frozenset()
    # A link that three or more items of other guids and other titles share is a section page, not
    # their article. Two may be one article listed twice (a utm-tagged copy under an edited headline).
    # Two are items of their own too when each carries its own whole text and the texts differ.
    items_of: dict[str, set[tuple[str, str]]] = {}
    texts_of: dict[str, list[str]] = {}
    for raw, link in zip(parsed.entries, links):
        if link in shared:
            items_of.setdefault(link, set()).add(((raw.get("id") or "").strip(), _plain_title(raw).casefold()))
            texts_of.setdefault(link, []).append(_entry_text(raw))
    section = {link for link, items in items_of.items()
               if (len(items) >= SECTION_LINK_ITEMS or _own_texts(texts_of[link]))
               and len({guid for guid, _ in items}) == len(items) == len({title for _, title in items})}
    for raw, link in zip(parsed.entries, links):
        if link in shared:
            link = _own_guid(raw, link, addresses) or (_shared_link_item(raw, link) if link in section else link)
        if not link:
            continue  # an entry with no web link cannot be fetched or identified
        entries.append(
            FeedEntry(
                feed_id=feed_id,
                link=link,
                title=_plain_title(raw),
                published=_entry_date(raw, now, zone),
                author=(raw.get("author") or "").strip(),
                summary=raw.get("summary") or "",
                content=_entry_content(raw),
                guid=without_credentials(raw.get("id") or ""),  # an id shaped as a link may carry a password
                language=declared_language(raw.get("language")) or language,
            )
        )
    unlinked = len(parsed.entries) - len(entries)
    if unlinked and not entries:
        raise ExtractionError(f"not a usable feed: none of its {unlinked} items has a web link")
    return ParsedFeed(
        entries=entries,
        title=parsed.feed.get("title", ""),
        language=language,
        malformed=malformed,
        problem=problem,
        unlinked=unlinked,
    )


# Root elements of XML that is often given for a feed and is not one; anything else is named as is.
_NOT_FEEDS = {
    "urlset": "a sitemap (list its site's feed instead)",
    "sitemapindex": "a sitemap index (list its site's feed instead)",
    "opml": "an OPML list of feeds (turn it into feed-list entries with `newswatch feeds import`)",
}


def _not_a_feed(body: bytes) -> str:
    """The one-line reason an XML answer with no feed in it is refused."""
    found = re.search(rb"<(?![?!])(?:[\w.-]+:)?([\w.-]+)", body[:65536])
    if not found:
        return "not a feed: no RSS, Atom or JSON Feed in the answer"
    root = found.group(1).decode("ascii", "replace").lower()
    return f"not a feed: {_NOT_FEEDS.get(root, f'an XML document whose root is <{root}>')}"


def _is_web_page(body: bytes) -> bool:
    from extractors.html import looks_like_html

    return looks_like_html(body)
