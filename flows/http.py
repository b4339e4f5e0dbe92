"""The network adapter: a polite, bounded HTTP fetcher.

Politeness: a User-Agent naming newswatch, robots.txt honoured (protego), at most
``per_host_concurrency`` requests at a time per host, conditional GET for feeds, back-off
on 429/503 with Retry-After. Safety: a time-out and a size cap on every response, at most
``max_redirects`` redirects followed by hand so every hop is checked, and URLs that
resolve to private, loopback, link-local or reserved addresses refused unless the
settings allow them. Every third-party error leaves this module as a ``FetchError``.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from config.settings import Settings
from extractors.errors import FetchError
from extractors.records import FetchedPage

log = logging.getLogger("newswatch.fetch")

REDIRECT_CODES = {301, 302, 303, 307, 308}
ROBOTS_MAX_BYTES = 500_000


@dataclass(frozen=True)
class Conditional:
    """Validators from the last poll of a feed."""

    etag: str | None = None
    last_modified: str | None = None


class Fetcher:
    """One per run; thread-safe (one httpx client, per-host semaphores, a robots cache)."""

    def __init__(self, settings: Settings, *, sleep=time.sleep):
        self.settings = settings
        self._sleep = sleep
        self._client = httpx.Client(
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(settings.timeout_seconds),
            follow_redirects=False,
            trust_env=False,  # no proxy surprises from the environment
        )
        self._host_slots: dict[str, threading.BoundedSemaphore] = defaultdict(
            lambda: threading.BoundedSemaphore(settings.per_host_concurrency)
        )
        self._robots: dict[str, Protego | None] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # Public -------------------------------------------------------------------------------

    def fetch_feed(self, url: str, conditional: Conditional | None = None) -> FetchedPage:
        """GET a feed; status 304 comes back as a page with an empty body."""
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"}
        if conditional and conditional.etag:
            headers["If-None-Match"] = conditional.etag
        if conditional and conditional.last_modified:
            headers["If-Modified-Since"] = conditional.last_modified
        return self._get(url, headers, self.settings.max_feed_bytes)

    def fetch_page(self, url: str) -> FetchedPage:
        """GET an article page; only HTML (or XHTML) is accepted."""
        page = self._get(url, {"Accept": "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"}, self.settings.max_page_bytes)
        if page.status != 200:
            raise FetchError(f"HTTP {page.status}", url=url, status=page.status, reason="http")
        kind = page.content_type.split(";")[0].strip().lower()
        if kind and kind not in ("text/html", "application/xhtml+xml") and not _sniff_html(page.body):
            raise FetchError(f"not HTML ({kind})", url=url, status=page.status, reason="not-html")
        return page

    # Internals ----------------------------------------------------------------------------

    def _get(self, url: str, headers: dict[str, str], max_bytes: int) -> FetchedPage:
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            self._check_url(current)
            if self.settings.respect_robots and not self._robots_allow(current):
                raise FetchError("disallowed by robots.txt", url=current, reason="robots")
            status, response_headers, body = self._request_with_backoff(current, headers, max_bytes)
            if status in REDIRECT_CODES and response_headers.get("location"):
                current = urljoin(current, response_headers["location"].strip())
                continue
            if status == 304:
                body = b""
            elif status in (403, 429):
                raise FetchError(f"HTTP {status} (blocked)", url=current, status=status, reason="blocked")
            elif status >= 400:
                raise FetchError(f"HTTP {status}", url=current, status=status, reason="http")
            return FetchedPage(
                url=url,
                final_url=current,
                status=status,
                content_type=response_headers.get("content-type", ""),
                body=body,
                fetched_at=datetime.now(timezone.utc),
                headers={k: v for k, v in response_headers.items() if k in ("etag", "last-modified", "content-type", "date")},
            )
        raise FetchError(f"more than {self.settings.max_redirects} redirects", url=url, reason="redirects")

    def _request_with_backoff(self, url: str, headers: dict[str, str], max_bytes: int):
        attempts = 3
        for attempt in range(attempts):
            status, response_headers, body = self._request(url, headers, max_bytes)
            if status not in (429, 503) or attempt == attempts - 1:
                return status, response_headers, body
            wait = _retry_after(response_headers.get("retry-after"), default=2.0 * (attempt + 1))
            if wait > self.settings.max_retry_after_seconds:
                return status, response_headers, body  # the server wants us gone for long: give up for this poll
            log.info("%s answered %s; retrying in %.1f s", url, status, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _request(self, url: str, headers: dict[str, str], max_bytes: int):
        host = urlsplit(url).hostname or ""
        deadline = time.monotonic() + self.settings.timeout_seconds * 3  # slow-drip servers
        with self._host_slots[host]:
            try:
                with self._client.stream("GET", url, headers=headers) as response:
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise FetchError(f"too big ({declared} bytes)", url=url, status=response.status_code, reason="too-big")
                    chunks, size = [], 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(f"too big (over {max_bytes} bytes)", url=url, status=response.status_code, reason="too-big")
                        if time.monotonic() > deadline:
                            raise FetchError("time-out while reading", url=url, reason="timeout")
                        chunks.append(chunk)
                    return response.status_code, {k.lower(): v for k, v in response.headers.items()}, b"".join(chunks)
            except httpx.TimeoutException as exc:
                raise FetchError(f"time-out ({type(exc).__name__})", url=url, reason="timeout") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"connection failed: {exc}", url=url, reason="connect") from None

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError("not an http(s) URL", url=url, reason="url")
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchError(f"DNS lookup failed: {exc}", url=url, reason="dns") from None
        if self.settings.allow_private_hosts:
            return
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%")[0])
            if not address.is_global or address.is_multicast:
                raise FetchError(
                    f"refused: {parts.hostname} resolves to a non-public address ({address}); "
                    "set NEWSWATCH_ALLOW_PRIVATE_HOSTS=true to allow",
                    url=url,
                    reason="private-address",
                )

    def _robots_allow(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            known = origin in self._robots
            rules = self._robots.get(origin)
        if not known:
            rules = self._load_robots(origin)
            with self._lock:
                self._robots[origin] = rules
        return rules is None or rules.can_fetch(url, self.settings.user_agent)

    def _load_robots(self, origin: str) -> Protego | None:
        # A missing or broken robots.txt means no rules (RFC 9309 §2.3.1.3).
        try:
            status, _headers, body = self._request(origin + "/robots.txt", {}, ROBOTS_MAX_BYTES)
        except FetchError:
            return None
        if status != 200:
            return None
        try:
            return Protego.parse(body.decode("utf-8", errors="replace"))
        except Exception:  # protego has no error type of its own
            return None


def _retry_after(value: str | None, default: float) -> float:
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


def _sniff_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head
