"""URL normalisation: one spelling per article, so a link seen twice is fetched once.

courlan does the heavy lifting (case, default ports, dot segments, punycode); we add what a
news monitor needs on top: known tracking parameters go (by their whole names), fragments
always go (they never change the article), stable query order, and relative links resolved
against the feed's base.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Marks the address of an item whose feed gives it no link of its own (every item links one section
# page) but carries its whole text: the section page's address + "#" + this mark + the item's guid.
# Such an item is never fetched (the page is the section's); its text is the feed's (flows.pipeline).
SHARED_LINK_ITEM = "newswatch-item-"
_WRAPPED = re.compile(r"[ \t]*[\r\n\t][ \t\r\n]*")
# Parameters courlan's list misses that news sites and social shares add.
_EXTRA_TRACKERS = re.compile(
    r"^(?:fbclid|gclid|gclsrc|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|_gl|_hs\w*|hsctatrk|ocid|"
    r"spm|share|shared|from|cmpid|cmp|icid|s_cid|ns_\w+|rss|wt\.\w+|at_\w+|oc|amp;.*|"
    # Openstat's campaign tag (Russian-language sites), Facebook share ids, session ids: none names a page
    r"_openstat|fb_\w+|phpsessid|jsessionid)$",
    re.IGNORECASE,
)
# Tracker names matched whole, never as parts of a name: dropping a parameter that names the page
# merges distinct articles into one address (lost data: "news.php?refid=101" and "?refid=102"
# were one link when courlan's rule, which drops any name containing "ref", "source" or "uid",
# decided), while keeping a tracker costs at most a refetch that the content hash then folds.
_TRACKERS = re.compile(
    r"^(?:(?:utm|mc|pk|mtm|itm|oly|vero|mkt|ml|ga)_\w+|ads?_(?:source|medium|campaign|name|content)"
    r"|(?:dc|fbc|gc|twc|yc|ysc|msc)lid|gbraid|wbraid|igsh|clickid|partnerid"
    r"|aff|affi|affiliate|affid|aff_id|campaign|campaignid|ref|ref_?src|ref_?url|referr?er|source|xtor)$",
    re.IGNORECASE,
)


_PERCENT_ESCAPE = re.compile(r"%[0-9a-f][0-9a-fA-F]|%[0-9A-F][a-f]")


# A cache-buster: a parameter of one of these names whose value is a Unix time in seconds or
# milliseconds, changed on every fetch ("?t=1733312345678"): kept, every poll stored the article
# once more (as a duplicate). Both conditions: an id of ten digits under another name stays.
_CACHE_BUSTER = re.compile(r"^(?:_|t|ts|time|timestamp|cb|cachebuster|nocache|rnd|rand|random|v)$", re.IGNORECASE)
_EPOCH = re.compile(r"^1\d{9}(?:\d{3})?$")  # 2001-09-09 to 2033-05-18


# A server's session token: under a session's own name always; as "sid" only when it reads as a
# token (16 characters or more), since short "sid" values are story ids on some sites
_SESSION = re.compile(r"^(?:jsessionid|phpsessid|sessionid|session_id|sessid|aspsessionid\w*|cfid|cftoken)$", re.IGNORECASE)
_SESSION_TOKEN = re.compile(r"^[A-Za-z0-9._-]{16,}$")


def is_tracking_param(name: str, value: str = "") -> bool:
    """A parameter that only says where a reader came from (a campaign, a click id), by its whole
    name, that only defeats caches (a time stamp under a cache-buster's name), or that carries a
    session (a new one every visit: the same article under a new address every poll)."""
    return bool(_EXTRA_TRACKERS.match(name) or _TRACKERS.match(name)
                or _CACHE_BUSTER.match(name) and _EPOCH.match(value) or _SESSION.match(name)
                or name.lower() == "sid" and _SESSION_TOKEN.match(value))


# ";jsessionid=…" in the path (Java servers, old PHP): a session, not the article's address
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/;?#]*", re.IGNORECASE)


def normalise_url(url: str, base: str | None = None) -> str | None:
    """The canonical spelling of ``url`` (absolute, http(s)), or None when it is not a web URL."""
    if not url:
        return None
    # Feeds wrap long links: a line break and the blanks around it are layout, and go (as a browser's
    # URL parser drops tabs and newlines). A space left inside is the link's own: encoded, not dropped
    # ("/some title.html" is /some%20title.html on the server, not /sometitle.html).
    url = _WRAPPED.sub("", url.strip()).replace(" ", "%20")
    if base:
        url = urljoin(base, url)
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    # user:password@ is a credential, never part of an article's address: it must not reach a
    # record, a manifest, the digest or a log (the fetcher keeps a feed's own credentials, by origin).
    parts = parts._replace(netloc=parts.netloc.rpartition("@")[2])
    # "%d0%b0" and "%D0%B0" are one address (RFC 3986 6.2.2.1): CMSes and feeds print either
    parts = parts._replace(path=_PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), _PATH_SESSION.sub("", parts.path)))
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k, v)),
        doseq=True,
    )
    from courlan.clean import normalize_url

    try:
        # strict=True would also drop legitimate ids; we filtered trackers ourselves.
        cleaned = normalize_url(urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", "")))
    except (ValueError, UnicodeError):
        return None
    cleaned = urlunsplit(urlsplit(cleaned)._replace(query=query, fragment=""))
    if ";" in parts.path and "%3B" not in parts.path:
        # a path parameter (";id=5") is the server's to read: sent as written, not as "%3B"
        head, sep, rest = cleaned.partition("?")
        cleaned = head.replace("%3B", ";") + sep + rest
    return cleaned


# scheme://user:password@ — the authority's userinfo ends at its last "@" before any / ? #.
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#]*)@")


def without_credentials(url: str) -> str:
    """``url`` without its ``user:password@`` part (anything else untouched): the form to show or store."""
    return _USERINFO.sub(r"\g<scheme>", url, count=1)


_USERINFO_ANYWHERE = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s\"'@]*@")


def without_credentials_in(text: str) -> str:
    """``text`` (a library's error message) with every URL's ``user:password@`` part removed."""
    return _USERINFO_ANYWHERE.sub(r"\g<scheme>", text)


def credentials_of(url: str) -> tuple[str, str] | None:
    """(user, password) from ``url``'s ``user:password@`` part, decoded; None when it has none."""
    from urllib.parse import unquote

    found = _USERINFO.match(url)
    if not found:
        return None
    user, _, password = found.group("userinfo").partition(":")
    return unquote(user), unquote(password)


def origin_of(url: str) -> str:
    """scheme://host[:port], lower-cased and without credentials: what a credential or robots.txt applies to."""
    parts = urlsplit(without_credentials(url))
    return f"{parts.scheme}://{parts.netloc}".lower()


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


_SITE_PREFIX = re.compile(r"^(?:www\d?|m|mobile|amp)\.")


def site_of(url: str) -> str:
    """The registrable domain (public suffix list: ``example.am`` for ``en.example.am``, ``bbc.co.uk`` for
    ``m.bbc.co.uk``); for a host the list does not know (an IP, ``localhost``, a private name) the
    host without a www./m./amp. prefix."""
    from tld import get_fld

    host = host_of(url)
    if not host:
        return ""
    return get_fld(f"http://{host}", fail_silently=True) or _SITE_PREFIX.sub("", host)


def aggregated_site(link: str | None, canonical: str | None) -> str:
    """The site an aggregator's item led to: the canonical address's site when it is not the site of
    the feed's link (a Google News link redirecting to the outlet's article); "" otherwise."""
    if not link or not canonical:
        return ""
    linked, landed = site_of(link), site_of(canonical)
    return landed if linked and landed and linked != landed else ""


# Files a feed links to that are no web page (a podcast's episode, a scanned decree, a photo):
# fetched as pages, they cost a download up to the page cap and then fail as "not HTML".
_FILE_KINDS = {
    "audio": "mp3 m4a aac ogg oga opus wav flac wma",
    "video": "mp4 m4v mov webm avi mkv wmv flv 3gp",
    "image": "jpg jpeg png gif webp svg bmp tif tiff heic avif",
    "document": "pdf doc docx xls xlsx ppt pptx odt ods rtf epub djvu",
    "archive": "zip rar 7z apk exe dmg iso torrent",  # not .gz: a server may store pages gzipped
}
_KIND_OF_EXTENSION = {ext: kind for kind, exts in _FILE_KINDS.items() for ext in exts.split()}
_MEDIA_TYPES = ("audio/", "video/", "image/", "font/", "application/pdf", "application/zip", "application/msword",
                "application/vnd.openxmlformats", "application/vnd.ms-", "application/x-rar", "application/epub")


def file_kind(url: str) -> str | None:
    """"audio", "video", "image", "document" or "archive" when the URL's path names such a file
    by its extension ("/podcast/ep12.mp3"); None for anything that may be a page."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    name = path.rsplit("/", 1)[-1]
    return _KIND_OF_EXTENSION.get(name.rsplit(".", 1)[-1].lower()) if "." in name else None


def is_media_type(content_type: str) -> bool:
    """A Content-Type that no HTML page is served as (audio, video, images, fonts, office files)."""
    kind = content_type.split(";")[0].strip().lower()
    return kind.startswith(_MEDIA_TYPES)


# A site's front page: its root, an index file, or a language root ("/en/", "/ru/index.php").
_FRONT_PATH = re.compile(r"^/?(?:[a-z]{2}(?:[-_][a-z]{2})?/?)?(?:index\.\w{2,5}|default\.\w{2,5}|home/?|main/?)?$", re.I)


def is_front_page(url: str) -> bool:
    """Does ``url`` name a site's front page rather than one of its articles?"""
    parts = urlsplit(url)
    return not parts.query and bool(_FRONT_PATH.match(parts.path or "/"))
