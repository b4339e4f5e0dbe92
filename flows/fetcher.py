"""The network adapter: a polite, bounded HTTP fetcher.

Politeness: a User-Agent naming newswatch, robots.txt honoured (protego), at most
``per_host_concurrency`` requests at a time per host, conditional GET for feeds, back-off
on 429/503 with Retry-After. Safety: one absolute deadline per fetch (headers, body, robots.txt
and redirects included; flows/http_transport.py enforces it on every socket operation), a size
cap on every (decoded) response, at most ``max_redirects`` redirects followed by hand, binary
bodies refused as pages, and connections only to the public address the transport checked.
Every third-party error leaves this module as a ``FetchError``.
"""

from __future__ import annotations

import logging
import re
import threading
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from config.settings import Settings
from extractors.binary import binary_signature
from extractors.errors import FetchError
from extractors.records import FetchedPage
from extractors.redirect_pages import redirect_page_target
from extractors.urls import credentials_of, file_kind, is_front_page, is_media_type, origin_of, without_credentials
from flows.http_transport import Clock as _Clock, StaleConnection as _StaleConnection, deadline_scope, pinned_transport, retry_after_seconds

log = logging.getLogger("newswatch.fetch")

REDIRECT_CODES = {301, 302, 303, 307, 308}
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 §2.5: parse at least the first 500 KiB
_GZIP_MAGIC = b"\x1f\x8b\x08"  # RFC 1952: ID1 ID2 and CM=deflate


@dataclass(frozen=True)
class Conditional:
    """Validators from the last poll of a feed."""

    etag: str | None = None
    last_modified: str | None = None


HOST_TIMEOUTS = 3  # requests in a row that time out before a host rests for the run


class Fetcher:
    """One per run; thread-safe (one httpx client, per-host semaphores, a robots cache)."""

    def __init__(self, settings: Settings, *, sleep=None):
        self.settings = settings
        self._stopping = threading.Event()
        # a wait a server asked for ends early when the run stops (SIGTERM, Ctrl-C): close() sets it
        self._sleep = sleep or self._stopping.wait
        # hosts (host:port) that still answered 429/503 after the wait they asked for, or let
        # ``HOST_TIMEOUTS`` requests in a row time out: not asked again this run
        self._resting: dict[str, tuple[int, str, float]] = {}  # (status, why, seconds it asked us to wait)
        self._timeouts: dict[str, int] = defaultdict(int)  # time-outs in a row per host:port
        self._transport = pinned_transport(settings.allow_private_hosts)
        self._client = httpx.Client(
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.timeout_seconds),
            follow_redirects=False,
            trust_env=False,  # no proxy surprises from the environment
            transport=self._transport,
        )
        self._host_slots: dict[str, threading.BoundedSemaphore] = defaultdict(
            lambda: threading.BoundedSemaphore(settings.per_host_concurrency)
        )
        self._robots: dict[str, Protego | FetchError | None] = {}
        self._robots_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        # user:password from a configured URL (a private feed), sent to that origin only (its pages,
        # its robots.txt), never to a host a redirect leads to; URLs leave this module without them.
        self._credentials: dict[str, httpx.BasicAuth] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._stopping.set()
        self._transport.abort()  # requests in flight end now, not at their deadline
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # Public -------------------------------------------------------------------------------

    def fetch_feed(self, url: str, conditional: Conditional | None = None) -> FetchedPage:
        """GET a feed; status 304 comes back as a page with an empty body."""
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"}
        if conditional and conditional.etag:
            headers["If-None-Match"] = conditional.etag
        if conditional and conditional.last_modified:
            headers["If-Modified-Since"] = conditional.last_modified
        page = self._get(url, headers, self.settings.max_feed_bytes)
        if page.status == 304 and "If-None-Match" not in headers and "If-Modified-Since" not in headers:  # never read
            raise FetchError("HTTP 304 to a request without validators (the server answers 'not modified' to all)",
                             url=url, status=304, reason="bad-response")
        return page

    def fetch_page(self, url: str) -> FetchedPage:
        """GET an article page; only HTML (or XHTML) is accepted, and never a binary body. A link
        that names a media file, or an answer typed as one, is refused before its body is read."""
        kind_by_name = file_kind(url)
        if kind_by_name:
            raise FetchError(f"not HTML ({kind_by_name} file, by its name)", url=url, reason="not-html")
        page = self._get(url, {"Accept": "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"}, self.settings.max_page_bytes,
                         pages_only=True)
        if page.status != 200:
            raise FetchError(f"HTTP {page.status}", url=url, status=page.status, reason="http")
        if page.final_url != url and is_front_page(page.final_url) and not is_front_page(url):
            # how many sites answer for an article they removed: a "soft 404" whose page is the front page
            raise FetchError("redirected to the site's front page (the article is gone)", url=url, reason="gone")
        kind = page.content_type.split(";")[0].strip().lower()
        if kind and kind not in ("text/html", "application/xhtml+xml") and not _sniff_html(page.body):
            raise FetchError(f"not HTML ({kind})", url=url, status=page.status, reason="not-html")
        binary = binary_signature(page.body)
        if binary:  # an image or archive served as text/html is not an article
            raise FetchError(f"not HTML ({binary} served as {kind or 'no type'})", url=url, status=page.status, reason="not-html")
        return page

    # Internals ----------------------------------------------------------------------------

    def _get(self, url: str, headers: dict[str, str], max_bytes: int, *, pages_only: bool = False) -> FetchedPage:
        url = self._take_credentials(url)
        current = url
        moved = url  # followed only through permanent redirects from the start: the URL to use from now on
        clock = _Clock(self.settings.timeout_seconds)
        for _hop in range(self.settings.max_redirects + 1):
            _check_url(current)
            if self.settings.respect_robots and not self._robots_allow(current, clock):
                raise FetchError("disallowed by robots.txt", url=current, reason="robots")
            status, response_headers, body = self._request_with_backoff(current, headers, max_bytes, clock, pages_only)
            if status in REDIRECT_CODES and response_headers.get("location"):
                permanent = status in (301, 308) and moved == current
                try:
                    current = without_credentials(urljoin(current, response_headers["location"].strip()))
                except ValueError as exc:  # "http://[abc/": no URL at all
                    raise FetchError(f"bad redirect target: {exc}", url=current, reason="url") from None
                moved = current if permanent else moved
                continue
            if status == 200 and (refresh := redirect_page_target(body, current)) is not None:
                current = refresh  # a redirect or frame page (an aggregator's link, an interstitial): as a browser goes on
                continue
            if status == 304:
                body = b""
            # how long a 429/503 asked us to stay away: a feed's next poll waits as long (pipeline)
            asked = retry_after_seconds(response_headers.get("retry-after"), 0.0) if status in (429, 503) else 0.0
            if status in (403, 429):
                raise FetchError(f"HTTP {status} (blocked)", url=current, status=status, reason="blocked", retry_after=asked)
            elif status >= 400:
                raise FetchError(f"HTTP {status}", url=current, status=status, reason="http", retry_after=asked)
            return FetchedPage(
                url=url,
                final_url=current,
                status=status,
                content_type=response_headers.get("content-type", ""),
                body=body,
                fetched_at=datetime.now(timezone.utc),
                headers={k: v for k, v in response_headers.items() if k in ("etag", "last-modified", "content-type", "date")},
                moved_to=moved if moved != url else None,
            )
        raise FetchError(f"more than {self.settings.max_redirects} redirects", url=url, reason="redirects")

    def _take_credentials(self, url: str) -> str:
        """``url`` without its credentials, which are kept for the URL's origin."""
        found = credentials_of(url)
        if found is None:
            return url
        with self._lock:
            self._credentials[origin_of(url)] = httpx.BasicAuth(*found)
        return without_credentials(url)

    def _request_with_backoff(self, url: str, headers: dict[str, str], max_bytes: int, clock: _Clock,
                              pages_only: bool = False):
        """One GET, again after the wait a 429/503 asks for (at most ``max_retry_after_seconds``).
        A host still answering 429/503 after its wait, or asking for longer, rests for the rest of
        the run: its other pages fail at once with the same answer (retried next poll) instead of
        each waiting again — 100 pages of one such host held their feed for half an hour. So does a
        host that let ``HOST_TIMEOUTS`` requests in a row time out (it accepts connections and never
        answers: 40 pages cost 7 minutes a poll, two at a time)."""
        parts = urlsplit(url)
        host = f"{parts.hostname or ''}:{parts.port or parts.scheme}"  # another port is another server
        resting = self._resting.get(host)
        if resting is not None:
            status, why, wait_asked = resting
            if status == 0:
                raise FetchError(f"time-out (the site {why}; not asked again until the next poll)", url=url, reason="timeout")
            what = "blocked" if status == 429 else "unavailable"
            raise FetchError(f"HTTP {status} ({what}: the site {why}; not asked again until the next poll)",
                             url=url, status=status, reason="blocked" if status == 429 else "http", retry_after=wait_asked)
        attempts = 3
        for attempt in range(attempts):
            try:
                status, response_headers, body = self._request(url, headers, max_bytes, clock, pages_only=pages_only)
            except FetchError as exc:
                if exc.reason == "timeout":
                    with self._lock:
                        self._timeouts[host] += 1
                        if self._timeouts[host] >= HOST_TIMEOUTS:
                            self._resting[host] = (0, f"did not answer {self._timeouts[host]} requests in a row", 0.0)
                raise
            with self._lock:
                self._timeouts.pop(host, None)
            if status not in (429, 503):
                return status, response_headers, body
            wait = retry_after_seconds(response_headers.get("retry-after"), default=2.0 * (attempt + 1))
            if attempt == attempts - 1 or wait > self.settings.max_retry_after_seconds:
                # the server still wants us gone, or for longer than we wait: not again this run
                # (a 503 without Retry-After may be one broken page: only that page fails)
                if status == 429 or "retry-after" in response_headers:
                    asked = (f"asked to wait {wait:.0f} s" if wait > self.settings.max_retry_after_seconds
                             else "was still busy after the wait it asked for")
                    with self._lock:
                        self._resting[host] = (status, asked, wait)
                return status, response_headers, body
            log.info("%s answered %s; retrying in %.1f s", url, status, wait)
            if self._sleep(wait) is True:  # Event.wait: the run is stopping
                raise FetchError("not fetched: the run is stopping", url=url, reason="stopping")
            clock = _Clock(self.settings.timeout_seconds)  # the wait is bounded on its own; the retry gets a full budget
        raise AssertionError("unreachable")

    def _request(self, url: str, headers: dict[str, str], max_bytes: int, clock: _Clock, *, truncate: bool = False,
                 pages_only: bool = False):
        """(status, headers, body) of one GET; a body over ``max_bytes`` fails the fetch, or with
        ``truncate`` is cut there (robots.txt: RFC 9309 reads the first 500 KiB). With
        ``pages_only`` a 200 typed as audio, video, an image or an office file is refused unread. A
        dropped kept-alive connection gets one new try, as browsers give it (a third of pages failed)."""
        try:
            return self._request_once(url, headers, max_bytes, clock, truncate=truncate, pages_only=pages_only, stale=True)
        except _StaleConnection:
            return self._request_once(url, headers, max_bytes, clock, truncate=truncate, pages_only=pages_only, stale=False)

    def _request_once(self, url: str, headers: dict[str, str], max_bytes: int, clock: _Clock, *, truncate: bool,
                      pages_only: bool, stale: bool):
        host = urlsplit(url).hostname or ""
        with self._host_slots[host], deadline_scope(clock.start()):
            try:
                auth = self._credentials.get(origin_of(url))
                with self._client.stream("GET", url, headers=headers, auth=auth) as response:
                    # Stacked codings ("gzip, gzip") multiply: 7 KB on the wire decoded to 8 GB inside one
                    # chunk, before any cap could look. No real server needs more than one layer.
                    codings = [c for c in (p.strip().lower() for p in response.headers.get("content-encoding", "").split(","))
                               if c and c != "identity"]
                    if len(codings) > 1:
                        raise FetchError(f"bad response: stacked content encodings ({', '.join(codings)})", url=url,
                                         status=response.status_code, reason="bad-response")
                    media = response.headers.get("content-type", "")
                    if pages_only and response.status_code == 200 and is_media_type(media):
                        raise FetchError(f"not HTML ({media.split(';')[0].strip()})", url=url,
                                         status=response.status_code, reason="not-html")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes and not truncate:
                        raise FetchError(f"too big ({declared} bytes)", url=url, status=response.status_code, reason="too-big")
                    chunks, size = [], 0
                    # gzip is inflated here, not by httpx: its decoder accepts a stream cut short (a
                    # Content-Length shorter than the body), which stored half an article as whole
                    gzipped = codings in (["gzip"], ["x-gzip"])
                    for chunk in (response.iter_raw() if gzipped else response.iter_bytes()):  # the cap holds for bombs too
                        size += len(chunk)
                        if size > max_bytes:
                            if truncate:
                                chunks.append(chunk[: max_bytes - (size - len(chunk))])
                                break
                            raise FetchError(f"too big (over {max_bytes} bytes)", url=url, status=response.status_code, reason="too-big")
                        chunks.append(chunk)
                    body = b"".join(chunks)
                    if gzipped or not codings and body.startswith(_GZIP_MAGIC):
                        body = _gunzip(body, max_bytes, url, response.status_code, declared=gzipped, whole=not truncate)
                    return response.status_code, {k.lower(): v for k, v in response.headers.items()}, body
            except RuntimeError:  # "the client has been closed": the run is stopping (SIGTERM)
                if self._client.is_closed:
                    raise FetchError("not fetched: the run is stopping", url=url, reason="stopping") from None
                raise
            except (httpx.InvalidURL, ValueError) as exc:
                # a redirect to "mailto:", "data:" or "http://[abc/": httpx prepares the next request
                # even when it is not told to follow it, and fails on the Location
                raise FetchError(f"bad URL or redirect target: {exc}", url=url, reason="url") from None
            except httpx.HTTPError as exc:
                if self._stopping.is_set():  # close() cut the connection: not the site's doing
                    raise FetchError("not fetched: the run is stopping", url=url, reason="stopping") from None
                if isinstance(exc, httpx.TimeoutException):
                    raise FetchError(f"time-out after {self.settings.timeout_seconds:g} s ({type(exc).__name__})",
                                     url=url, reason="timeout") from None
                if isinstance(exc, httpx.DecodingError):  # a corrupt gzip/deflate body: the answer, not the connection
                    raise FetchError(f"bad response: the body could not be decoded ({exc})", url=url,
                                     reason="bad-response") from None
                if isinstance(exc, httpx.RemoteProtocolError) and "complete message body" in str(exc):
                    raise FetchError("bad response: the body was cut short", url=url, reason="bad-response") from None
                if stale and isinstance(exc, httpx.RemoteProtocolError) and "without sending" in str(exc):
                    raise _StaleConnection from None
                if isinstance(exc, httpx.RemoteProtocolError) and "without sending" not in str(exc):
                    # a malformed answer (a status line of garbage, a 1 MB header, a Content-Length
                    # the body belies): the site answered, badly; not "unreachable"
                    raise FetchError(f"bad response: {exc}", url=url, reason="bad-response") from None
                raise FetchError(f"connection failed: {exc}", url=url, reason="connect") from None
            except FetchError as exc:
                exc.url = exc.url if exc.url.startswith(("http:", "https:")) else url
                raise

    def _robots_allow(self, url: str, clock: _Clock) -> bool:
        origin = origin_of(url)  # the same key the credentials use
        with self._robots_locks[origin]:  # one load per origin; other pages of the host wait for it
            with self._lock:
                known = origin in self._robots
                rules = self._robots.get(origin)
            if not known:
                rules = self._load_robots(origin, clock)
                with self._lock:
                    self._robots[origin] = rules
        if isinstance(rules, FetchError):
            # robots.txt could not be had in time: the host is not answering; fail this page as
            # transient (retried next poll) rather than guess the rules.
            raise FetchError(f"robots.txt unreachable ({rules})", url=url, reason=rules.reason, status=rules.status)
        return rules is None or rules.can_fetch(url, self.settings.user_agent)

    def _load_robots(self, origin: str, clock: _Clock) -> Protego | FetchError | None:
        # A missing robots.txt (4xx) means no rules (RFC 9309 §2.3.1.3); a server error means
        # "assume complete disallow" (§2.3.1.4): the origin's pages fail as passing, retried next poll.
        try:
            status, _headers, body = self._request(origin + "/robots.txt", {}, ROBOTS_MAX_BYTES, clock, truncate=True)
        except FetchError as exc:
            if exc.reason in ("private-address", "dns"):
                raise  # about the host, not its rules: the page fails the same way
            if exc.reason in ("timeout", "connect"):
                return exc  # remembered for this run: every page of the origin would wait as long
            return None  # unreadable (a redirect to nowhere, a broken body): no rules
        if status >= 500:
            return FetchError(f"HTTP {status}", url=origin + "/robots.txt", status=status, reason="http")
        if status != 200:
            return None
        try:
            return Protego.parse(body.decode("utf-8", errors="replace"))
        except Exception:  # protego has no error type of its own
            return None


def _gunzip(body: bytes, max_bytes: int, url: str, status: int, *, declared: bool, whole: bool = True) -> bytes:
    """A gzipped body inflated under the size cap. Declared by Content-Encoding, a corrupt stream or
    one that ends early (no end-of-stream marker) is a bad response, retried later, never half an
    article. Undeclared (a server compressing a static ``feed.xml.gz``, a cache storing it
    compressed): what a browser would show; not gzip after all (a broken stream): left as it is.
    ``whole=False``: the body was cut at the cap on purpose (robots.txt), its end is not expected."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        plain = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        if not declared:
            return body
        raise FetchError(f"bad response: the body could not be decoded ({exc})", url=url, status=status,
                         reason="bad-response") from None
    if len(plain) > max_bytes or inflater.unconsumed_tail:
        raise FetchError(f"too big (over {max_bytes} bytes, gzipped)", url=url, status=status, reason="too-big")
    if whole and not inflater.eof:
        raise FetchError("bad response: the compressed body is cut short", url=url, status=status, reason="bad-response")
    return plain


def _check_url(url: str) -> None:
    """Only http(s) URLs with a host; addresses are checked where the connection is made (flows/http_transport.py)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise FetchError(f"malformed URL ({exc})", url=url, reason="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("not an http(s) URL", url=url, reason="url")


def _sniff_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head
