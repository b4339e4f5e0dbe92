"""Pages that only send the reader elsewhere, and where to: what a browser would show instead.

Two kinds, both small pages that carry no article of their own:

- a redirect by ``<meta http-equiv="refresh" content="0; url=…">``, as aggregators' links and
  moved articles answer;
- a frame around the article: an interstitial ("the article starts in 5 seconds…") or an old
  framed site whose whole page is one ``<iframe>``/``<frame>`` showing the article from the same
  site. Only a frame on the same site is followed: a small page with one embedded video or
  widget from elsewhere is that page, not a pointer to an article.

Pure functions over the response's bytes; the fetcher follows the target as one more redirect
hop, under the same checks (addresses, robots.txt, the hop limit).
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

from extractors.urls import site_of, without_credentials

REDIRECT_PAGE_MAX_BYTES = 16 * 1024  # a page that only redirects is small; an article that reloads is not
REFRESH_MAX_SECONDS = 10  # a longer delay is a page that reloads itself, or shows something first
FRAME_PAGE_MAX_WORDS = 40  # the visible words of a frame page: a countdown, a "skip" link, a title

# <meta http-equiv="refresh" content="0; url=…">, its attributes in either order
_META_REFRESH = re.compile(
    rb"""<meta\s[^>]*?(?:http-equiv\s*=\s*["']?refresh["']?[^>]*?content\s*=\s*(["'])(.*?)\1"""
    rb"""|content\s*=\s*(["'])(.*?)\3[^>]*?http-equiv\s*=\s*["']?refresh)""", re.I | re.S)
_REFRESH_CONTENT = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*[;,]\s*(?:url\s*=\s*)?['\"]?([^'\"\s]+)", re.I)
_FRAME = re.compile(rb"<i?frame\b[^>]*?\ssrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.I | re.S)
_HIDDEN = re.compile(rb"<(script|style|noscript|template|head)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(rb"<[^>]*>")


def redirect_page_target(body: bytes, base: str) -> str | None:
    """Where a small page that carries no article sends the browser (see the module docstring),
    or None: the page is itself."""
    if len(body) > REDIRECT_PAGE_MAX_BYTES:
        return None
    return meta_refresh_target(body, base) or frame_target(body, base)


def meta_refresh_target(body: bytes, base: str) -> str | None:
    """A short-delay meta refresh to another http(s) address. A refresh without a URL (a challenge
    page reloading itself) is no redirect."""
    found = _META_REFRESH.search(body[:REDIRECT_PAGE_MAX_BYTES])
    if not found:
        return None
    content = html.unescape((found.group(2) or found.group(4) or b"").decode("utf-8", "replace"))
    parsed = _REFRESH_CONTENT.match(content)
    if not parsed or float(parsed.group(1)) > REFRESH_MAX_SECONDS:
        return None
    return _elsewhere(parsed.group(2), base)


def frame_target(body: bytes, base: str) -> str | None:
    """The one frame of a page that shows nothing else (a few words at most) when it is on the
    page's own site."""
    frames = _FRAME.findall(body[:REDIRECT_PAGE_MAX_BYTES])
    if len(frames) != 1:
        return None
    visible = _TAG.sub(b" ", _HIDDEN.sub(b" ", body)).decode("utf-8", "replace")
    if len(html.unescape(visible).split()) > FRAME_PAGE_MAX_WORDS:
        return None
    source = next(part for part in frames[0] + (b"",) if part)
    target = _elsewhere(html.unescape(source.decode("utf-8", "replace")), base)
    if target is None or site_of(target) != site_of(base):
        return None
    return target


def _elsewhere(link: str, base: str) -> str | None:
    try:
        target = without_credentials(urljoin(base, link.strip()))
    except ValueError:
        return None
    if urlsplit(target).scheme not in ("http", "https") or target.split("#")[0] == base.split("#")[0]:
        return None
    return target
