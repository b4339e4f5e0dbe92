"""The fetcher's connection layer: one absolute deadline per request, and no second DNS look-up.

Two holes this closes (issue 13):

* httpx's read time-out restarts with every byte, so a server that drips its headers or body
  one byte at a time holds a request forever. Here every socket operation of a request gets
  ``min(its own time-out, what is left of the request's deadline)``, and a request past its
  deadline fails at once: the deadline covers connect, TLS, headers and body together.
* The old address check resolved the name and httpx resolved it again to connect, so a name
  that answers a public address first and 127.0.0.1 next (DNS rebinding) got through. Here the
  transport resolves once, refuses every non-global address (embedded IPv4 unwrapped: mapped,
  compatible, 6to4, NAT64, Teredo) and connects to exactly the address it checked. TLS still
  verifies the certificate against the host name: httpcore passes the URL's host to ``start_tls``.

The deadline is per thread (``deadline_scope``): the sync client does all of a request's socket
work in the calling thread, so pooled keep-alive connections obey whichever request uses them.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpcore
import httpx

from extractors.errors import FetchError

_local = threading.local()

# Ranges whose low 32 bits are an IPv4 address the packet really goes to.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible ::a.b.c.d
_TEREDO = ipaddress.ip_network("2001::/32")


@contextmanager
def deadline_scope(deadline: float) -> Iterator[float]:
    """Run the block's requests under one absolute ``time.monotonic()`` deadline (an outer earlier one wins)."""
    outer = getattr(_local, "deadline", None)
    _local.deadline = deadline if outer is None else min(outer, deadline)
    try:
        yield _local.deadline
    finally:
        _local.deadline = outer


def remaining(default: float | None) -> float | None:
    """Seconds left before this thread's deadline (``default`` when none is set); never negative."""
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        return default
    left = deadline - time.monotonic()
    return max(0.0, left if default is None else min(default, left))


def _budget(timeout: float | None, error: type[Exception]) -> float | None:
    left = remaining(timeout)
    if left is not None and left <= 0:
        raise error("request deadline reached")
    return left


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries, for the forms that route to it."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if any(address in net for net in _NAT64) or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(text: str) -> str | None:
    """Why a connection to this address is refused (None: it is a public unicast address)."""
    try:
        address = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return f"{text} is not an IP address"
    if address.is_multicast or not address.is_global:
        return f"{address} is not a public address"
    if isinstance(address, ipaddress.IPv6Address):
        if address in _TEREDO:
            return f"{address} is a Teredo tunnel address"
        inner = embedded_ipv4(address)
        if inner is not None and (inner.is_multicast or not inner.is_global):
            return f"{address} wraps the non-public address {inner}"
    return None


def resolve(host: str, port: int, timeout: float | None) -> list[tuple]:
    """getaddrinfo bounded by ``timeout`` (the C resolver has no time-out of its own)."""
    answer: dict = {}

    def lookup() -> None:
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            answer["error"] = exc

    worker = threading.Thread(target=lookup, name="dns", daemon=True)  # a hung resolver must not block exit
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise FetchError(f"DNS look-up of {host} timed out", url=host, reason="timeout")
    if "error" in answer:
        raise FetchError(f"DNS lookup failed: {answer['error']}", url=host, reason="dns")
    return answer["infos"]


class DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write stops at the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> httpcore.NetworkStream:
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _budget(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.SyncBackend):
    """Resolves each host once, checks every address, connects to a checked one."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private
        self._open: weakref.WeakSet = weakref.WeakSet()
        self._aborted = False

    def abort(self) -> None:
        """Stop every request in flight, now and later: the run is stopping. A read blocked on a
        silent server would otherwise hold its thread, and the exit, until its deadline."""
        self._aborted = True
        for stream in list(self._open):
            try:
                stream.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
            except (OSError, AttributeError):
                pass  # already closed

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if self._aborted:
            raise httpcore.ConnectError("the run is stopping")
        infos = resolve(host, port, _budget(timeout, httpcore.ConnectTimeout))
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not self.allow_private:
            for address in addresses:
                refusal = address_refusal(address)
                if refusal:  # one bad answer taints the name: rebinding tricks mix them
                    raise FetchError(f"refused: {host} resolves to a non-public address ({refusal}); "
                                     "set NEWSWATCH_ALLOW_PRIVATE_HOSTS=true to allow", url=host, reason="private-address")
        last: Exception | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(address, port, _budget(timeout, httpcore.ConnectTimeout),
                                             local_address, socket_options)
                self._open.add(stream)
                return DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last or httpcore.ConnectError(f"no address for {host}")


def pinned_transport(allow_private: bool) -> httpx.HTTPTransport:
    """An httpx transport whose connections go through ``PinnedBackend`` (no proxies, by design)."""
    transport = httpx.HTTPTransport(trust_env=False)
    pool = transport._pool  # httpx builds the pool; only its network backend changes
    backend = PinnedBackend(allow_private)
    transport._pool = httpcore.ConnectionPool(
        ssl_context=pool._ssl_context, max_connections=pool._max_connections,
        max_keepalive_connections=pool._max_keepalive_connections, keepalive_expiry=pool._keepalive_expiry,
        http1=True, http2=False, network_backend=backend,
    )
    transport.abort = backend.abort  # Fetcher.close(): in-flight requests end when the run stops
    return transport


RETRY_AFTER_CEILING = 7 * 24 * 3600.0  # a longer ask is no schedule (10^21 s): a week, which every cap is below


def retry_after_seconds(value: str | None, default: float) -> float:
    """A ``Retry-After`` header in seconds (a number, or an HTTP date); ``default`` when absent or
    unreadable; never more than ``RETRY_AFTER_CEILING`` (a time span must stay representable)."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CEILING)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return min(max(0.0, (moment - datetime.now(timezone.utc)).total_seconds()), RETRY_AFTER_CEILING)


class Clock:
    """One fetch's deadline: ``timeout_seconds`` from when its first request is sent.

    It starts after the per-host slot is acquired, so pages queued behind a slow page of the
    same host are not timed out before they are even sent; robots.txt and every redirect hop
    of the fetch share it.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline: float | None = None

    def start(self) -> float:
        if self.deadline is None:
            self.deadline = time.monotonic() + self.seconds
        return self.deadline


class StaleConnection(Exception):
    """The server closed a kept-alive connection without an answer (the fetcher tries once more)."""
