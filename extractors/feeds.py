"""Feeds → entries, leniently (feedparser for RSS/Atom/RDF, ``json_feed`` for JSON Feed), with
links normalised.

A malformed feed that still yields entries is used (``malformed=True`` so the poll
logs a warning); one that yields nothing is an ``ExtractionError``.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from datetime import datetime, timezone

from urllib.parse import urlsplit

import feedparser

from extractors.errors import ExtractionError
from extractors.records import FeedEntry, ParsedFeed
from extractors.urls import normalise_url, without_credentials


_BENIGN = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
_GENERIC_XML = {"application/xml", "text/xml"}  # announced as feeds too, but also for other XML


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


def _entry_date(entry, now: datetime) -> datetime | None:
    """The item's date, when believable: a feed's 1970-01-01, 0001-01-01 or 2100 is a CMS default
    or a typo, never the day the article came out (the same test as a page's own dates)."""
    from extractors.dates import is_plausible

    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(name)
        if value:
            try:
                when = datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
            except (OverflowError, ValueError, TypeError):
                continue
            if is_plausible(when, now):
                return when
    return None


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
    candidates = [link["href"] for link in entry.get("links") or []
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


def _is_article_address(link: str, feed_itself: str | None) -> bool:
    parts = urlsplit(link)
    return link != feed_itself and not (parts.path in ("", "/") and not parts.query)


def _entry_content(entry) -> str:
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    return best


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
    if content_type:
        headers["content-type"] = _settled_content_type(body, content_type)
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
    for raw in parsed.entries:
        link = _entry_link(raw, feed_url)
        if not link:
            continue  # an entry with no web link cannot be fetched or identified
        entries.append(
            FeedEntry(
                feed_id=feed_id,
                link=link,
                title=_plain_title(raw),
                published=_entry_date(raw, now),
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


_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*\bencoding\s*=\s*[\"']([\w.:-]+)")


def _settled_content_type(body: bytes, content_type: str) -> str:
    """``content_type`` with the charset the bytes bear out when the header and the XML declaration
    disagree (``extractors.html.settle_charset``); feedparser follows the header, as the spec says."""
    from extractors.html import charset_label, http_charset, settle_charset

    header = http_charset(content_type)
    declared = _XML_ENCODING.match(body.lstrip(b"\xef\xbb\xbf")[:300])
    own = charset_label(declared.group(1).decode("ascii")) if declared else None
    if not header or not own or header == own or any(c.startswith(("utf-16", "utf-32")) for c in (header, own)):
        return content_type
    chosen = settle_charset(body, header, own)
    return content_type if chosen == header else re.sub(r"(?i)charset\s*=\s*[\"']?[\w.:-]+[\"']?", f"charset={chosen}", content_type)


def _is_web_page(body: bytes) -> bool:
    from extractors.html import looks_like_html

    return looks_like_html(body)
