"""A gone feed's replacement, as the site itself announces it (feed autodiscovery).

Feed URLs go stale: a site moves to a new CMS and ``/rss.xml`` becomes ``/feed/``. When a feed
answers 404 or 410, the site's front page is fetched once (same fetcher: robots.txt, limits,
address checks) and the feeds it announces in its ``<head>`` are read
(``extractors.feeds.feed_links_in_page``). The first one that is not the gone URL goes into the
failure's one-line reason, so the poll summary, the feed health table and the digest say where
the feed is now. Nothing follows it by itself: what a scheduled poll reads stays what the feed
list says.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from extractors.errors import FetchError
from extractors.feeds import feed_links_in_page
from extractors.urls import normalise_url, origin_of

log = logging.getLogger("newswatch.poll")

GONE = (404, 410)


def announced_feed(fetcher, feed_url: str) -> str | None:
    """The feed the site's front page announces instead of ``feed_url``, if any."""
    parts = urlsplit(feed_url)
    if not parts.scheme or not parts.netloc:
        return None
    front = origin_of(feed_url) + "/"  # the feed's credentials, if any, stay with the fetcher (same origin)
    try:
        page = fetcher.fetch_page(front)
    except FetchError as exc:  # the front page is a hint, never a second failure
        log.debug("front page %s not read for a feed link: %s", front, exc)
        return None
    gone = normalise_url(feed_url) or feed_url
    return next((link for link in feed_links_in_page(page.body, page.final_url) if link != gone), None)


def with_announced_feed(fetcher, feed_url: str, error: FetchError) -> FetchError:
    """``error`` (a feed that is gone), naming the feed the site announces now when there is one."""
    if error.status not in GONE:
        return error
    found = announced_feed(fetcher, feed_url)
    if not found:
        return error
    return FetchError(f"{error}; the site's front page names a feed at {found}", url=error.url, status=error.status,
                      reason=error.reason)
