"""What a page calls its own site: the names on its logo link, its app-name metas, its host.

``extractors.metadata`` uses them to take the site's name off a ``<title>`` ("Headline - Site"),
to tell a logo ``<h1>`` from the headline, and to tell an outlet named as the author from a byline.
A general method: whatever a site is called, its logo links to its front page.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml.html import HtmlElement


def squashed(text: str) -> str:
    """A name as compared: case-folded, without spaces or punctuation ("Capital Daily" = "capitaldaily")."""
    return re.sub(r"\W+", "", text.casefold())


def names_the_site(part: str, names: set[str]) -> bool:
    """Is a ``<title>`` part one of the site's (squashed) ``names``?"""
    key = squashed(part)
    if not key:
        return False
    # the whole name, or (two words or more) a piece of a longer name such as a logo's tagline
    return key in names or (len(part.split()) >= 2 and any(key in name for name in names))


def site_names_on_page(tree: HtmlElement, host: str) -> tuple[str, ...]:
    """What the page calls its site: the text, image alt and title of links to the site's front
    page (the logo), the application-name metas, and the host's own name ("citynews" or
    "citynews.example" for www.citynews.example). A general method: a site's name is on its logo link."""
    names: list[str] = []
    own_host = host.casefold().removeprefix("www.")
    for link in tree.iter("a"):
        href = (link.get("href") or "").strip()
        target = front_page_host(href)
        if target is None or target not in ("", own_host):
            continue  # not a front page, or another site's (a commenter's, a partner's)
        names.append(" ".join(link.text_content().split()))
        for image in link.iter("img"):
            names.extend(image.get(attribute) or "" for attribute in ("alt", "title"))
        names.append(link.get("title") or "")
    for meta in tree.iter("meta"):
        if (meta.get("name") or "").casefold() in ("application-name", "apple-mobile-web-app-title"):
            names.append(meta.get("content") or "")
    if own_host:
        names.extend((own_host.split(".")[0], own_host))
    return tuple(name for name in names if 2 <= len(name) <= 120)


def front_page_host(href: str) -> str | None:
    """The host ("" for a relative link) when ``href`` leads to a site's front page; else None."""
    if not href:
        return None
    # Most links on a page are articles: their path alone is longer than any front page's
    # ("/en-us/index.html"), which rules them out without parsing them (a page has hundreds).
    scheme_end = href.find("://")
    if scheme_end != -1:
        path_start = href.find("/", scheme_end + 3)
    else:
        path_start = href.find("/", 2) if href.startswith("//") else 0
    if path_start != -1 and len(href) - path_start > _FRONT_PATH_MAX:
        return None
    try:
        parts = urlsplit(href)
        target = (parts.hostname or "").casefold().removeprefix("www.")
    except ValueError:  # "http://[not-an-address]/"
        return None
    path = parts.path.rstrip("/")
    if parts.query or parts.fragment or (path not in ("", "/index.php", "/index.html") and not _LANGUAGE_ROOT.fullmatch(path)):
        return None
    return target


_FRONT_PATH_MAX = 24  # characters from the path's "/" to the end: "/ru-RU/index.html" has 17

# The front page of one language version ("/az/", "/en", "/ru/index.php"): the region's outlets and
# institutions publish in two or three languages, each with its own logo link.
_LANGUAGE_ROOT = re.compile(r"/[a-z]{2}(?:[-_][a-zA-Z]{2})?(?:/index\.(?:php|html?))?")
