"""Hostile servers against the fetcher: every trick ends within the fetch's deadline, with a reason.

The server (tests/hostile_server.py) speaks raw bytes on loopback. Each fetch has one deadline
(``timeout_seconds``) from the moment its first request is sent; a trick may cost at most that,
so every case below must end well within twice the budget.
"""

from __future__ import annotations

import socket
import time

import httpcore
import pytest

from config.settings import Settings
from extractors.errors import FetchError
from flows.fetcher import Fetcher, binary_signature
from flows.http_transport import address_refusal
from tests.hostile_server import HostileServer

pytestmark = pytest.mark.slow

TIMEOUT = 1.5


@pytest.fixture(scope="module")
def hostile():
    server = HostileServer(drip=0.2)
    yield server
    server.close()


def fetcher(**overrides) -> Fetcher:
    values = dict(allow_private_hosts=True, timeout_seconds=TIMEOUT, max_page_bytes=200_000)
    values.update(overrides)
    return Fetcher(Settings(**values))


def timed_fetch(url: str, **overrides):
    started = time.monotonic()
    with fetcher(**overrides) as f:
        try:
            return f.fetch_page(url), time.monotonic() - started
        except FetchError as exc:
            return exc, time.monotonic() - started


@pytest.mark.parametrize("path, reason", [
    ("/drip-headers", "timeout"),
    ("/drip-body", "timeout"),
    ("/stall-headers", "timeout"),
    ("/long-length", "timeout"),
    ("/gzip-bomb", "too-big"),
    ("/chunk-bomb", "too-big"),
    ("/png-as-html", "not-html"),
    ("/corrupt-gzip", "bad-response"),
    ("/loop", "redirects"),
    ("/to-file", "url"),
    ("/gzip-gzip-bomb", "bad-response"),  # before: 8 GB of memory from 7 KB on the wire
    ("/to-mailto", "url"),  # before: httpx.InvalidURL escaped the fetcher with a traceback
    ("/to-bad-ipv6", "url"),
    ("/no-status-line", "bad-response"),  # before: "connect", the site called unreachable
    ("/two-lengths", "bad-response"),
])
def test_a_hostile_response_ends_within_twice_the_deadline_with_a_reason(hostile, path, reason):
    outcome, elapsed = timed_fetch(hostile.base + path)
    assert isinstance(outcome, FetchError) and outcome.reason == reason, outcome
    assert elapsed < 2 * TIMEOUT, f"{path} took {elapsed:.1f} s"


def test_a_body_that_cannot_be_decoded_is_called_a_bad_response_not_a_connection_failure(hostile):
    outcome, _elapsed = timed_fetch(hostile.base + "/corrupt-gzip")
    assert isinstance(outcome, FetchError) and str(outcome).startswith("bad response: ") and "\n" not in str(outcome)
    from flows.retries import is_passing

    assert is_passing(outcome)  # a glitch as likely as a broken page: retried with back-off, not dropped


@pytest.mark.parametrize("mode, reason", [
    ("error", "http"),  # RFC 9309 §2.3.1.4: a server error means complete disallow, for now
    ("huge", "robots"),  # §2.5: the first 500 KiB are read, and its first rule is "Disallow: /"
])
def test_robots_txt_is_read_as_rfc_9309_says(hostile, mode, reason):
    from flows.retries import is_passing

    hostile.robots_mode = mode
    try:
        outcome, _elapsed = timed_fetch(hostile.base + "/page-1.html", respect_robots=True)
    finally:
        hostile.robots_mode = ""
    assert isinstance(outcome, FetchError) and outcome.reason == reason, outcome
    assert is_passing(outcome) == (mode == "error")  # a broken server is tried again next poll


def test_a_robots_txt_redirecting_nowhere_means_no_rules(hostile):
    hostile.robots_mode = "to-mailto"
    try:
        outcome, _elapsed = timed_fetch(hostile.base + "/page-1.html", respect_robots=True)
    finally:
        hostile.robots_mode = ""
    assert not isinstance(outcome, FetchError), outcome


def test_a_dripping_robots_txt_is_under_the_same_deadline(hostile):
    hostile.drip_robots = True
    try:
        outcome, elapsed = timed_fetch(hostile.base + "/page-1.html")
    finally:
        hostile.drip_robots = False
    assert isinstance(outcome, FetchError) and outcome.reason == "timeout"
    assert elapsed < 2 * TIMEOUT


def test_a_lying_short_content_length_yields_only_what_it_declared(hostile):
    page, _elapsed = timed_fetch(hostile.base + "/short-length")
    assert not isinstance(page, FetchError) and len(page.body) == 40


def test_slow_pages_do_not_starve_the_other_pages_of_their_host(hostile):
    """Two slow pages hold both host slots; the six behind them still get a full deadline once sent."""
    from concurrent.futures import ThreadPoolExecutor

    hostile.slow_pages = {"/page-101.html", "/page-102.html"}
    hostile.slow_seconds = TIMEOUT * 0.8
    paths = ["/page-101.html", "/page-102.html"] + [f"/page-{n}.html" for n in range(110, 116)]
    try:
        with fetcher(per_host_concurrency=2) as f, ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda p: _try(f, hostile.base + p), paths))
    finally:
        hostile.slow_pages = set()
    assert all(not isinstance(r, FetchError) for r in results), results


def _try(f: Fetcher, url: str):
    try:
        return f.fetch_page(url)
    except FetchError as exc:
        return exc


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fc00::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "::a9fe:a9fe", "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1", "2002:7f00:1::", "2002:a9fe:a9fe::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
])
def test_every_non_public_address_form_is_refused(address):
    assert address_refusal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "64:ff9b::5db8:d822"])
def test_public_addresses_pass(address):
    assert address_refusal(address) is None


def test_the_connection_goes_to_the_address_that_was_checked(hostile, monkeypatch):
    """DNS rebinding: the name answers a public address once, then loopback. One look-up, one address."""
    answers = iter([("93.184.216.34", 80)] + [("127.0.0.1", hostile.port)] * 10)
    lookups, connects = [], []

    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        address, _port = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    def no_internet(self, host, port, timeout=None, local_address=None, socket_options=None):
        connects.append(host)
        raise httpcore.ConnectError("test: no internet")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", no_internet)
    before = sum(hostile.hits.values())
    outcome, _ = timed_fetch("http://rebind.example/page-1.html", allow_private_hosts=False, respect_robots=False)
    assert isinstance(outcome, FetchError) and outcome.reason == "connect"
    assert lookups == ["rebind.example"] and connects == ["93.184.216.34"]
    assert sum(hostile.hits.values()) == before


def test_a_name_mixing_public_and_private_answers_is_refused_before_connecting(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("64:ff9b::7f00:1", port, 0, 0))])
    outcome, _ = timed_fetch("http://mixed.example/page", allow_private_hosts=False, respect_robots=False)
    assert isinstance(outcome, FetchError) and outcome.reason == "private-address"


@pytest.mark.parametrize("host", ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "2130706433", "0x7f.1", "127.1", "localhost"])
def test_spellings_of_loopback_are_refused_without_a_request(hostile, host):
    before = sum(hostile.hits.values())
    outcome, _ = timed_fetch(f"http://{host}:{hostile.port}/page-1.html", allow_private_hosts=False)
    assert isinstance(outcome, FetchError) and outcome.reason in ("private-address", "dns"), outcome
    assert sum(hostile.hits.values()) == before


@pytest.mark.parametrize("body, binary", [
    (b"\x89PNG\r\n\x1a\n....", True), (b"%PDF-1.7", True), (b"\x00\x01\x02\x03" * 100, True),
    (b"<!doctype html><p>ok</p>", False), ("<p>Тбилиси</p>".encode("utf-16"), False),
])
def test_binary_bodies_are_recognised(body, binary):
    assert bool(binary_signature(body)) is binary
