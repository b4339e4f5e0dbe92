"""The fetcher against a real HTTP server on loopback: politeness and safety rules."""

import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from config.settings import Settings
from extractors.errors import FetchError
from flows.fetcher import Conditional, Fetcher

DATA = Path(__file__).parent / "data"
PAGE = b"<!DOCTYPE html><html><body><p>Hello from Tbilisi.</p></body></html>"


class Routes(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: dict = {}
    agents: list = []

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path
        Routes.hits[path] = Routes.hits.get(path, 0) + 1
        Routes.agents.append(self.headers.get("User-Agent", ""))
        if path == "/robots.txt":
            return self._send(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"})
        if path.partition("?")[0] == "/page.html":
            return self._send(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})
        if path == "/feed.xml":
            if self.headers.get("If-None-Match") == '"v1"':
                return self._send(304, b"", {"ETag": '"v1"'})
            return self._send(200, b"<rss/>", {"Content-Type": "application/rss+xml", "ETag": '"v1"'})
        if path.startswith("/hop/"):
            n = int(path.rsplit("/", 1)[1])
            target = "/page.html" if n == 0 else f"/hop/{n - 1}"
            return self._send(302, b"", {"Location": target})
        if path == "/old-feed.xml":  # moved for good, then a temporary hop at the new place
            return self._send(301, b"", {"Location": "/new-feed.xml"})
        if path == "/new-feed.xml":
            return self._send(308, b"", {"Location": "/feed.xml"})
        if path == "/campaign-feed.xml":  # a temporary redirect first: nothing moved for good
            return self._send(302, b"", {"Location": "/old-feed.xml"})
        if path == "/2026/12/removed-article":  # a removed article sent to the front page
            return self._send(302, b"", {"Location": "/"})
        if path == "/":
            return self._send(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})
        if path == "/always-304.xml":  # answers "not modified" whatever was asked
            return self._send(304, b"")
        if path == "/to-private":
            return self._send(301, b"", {"Location": "http://10.255.255.1/secret"})
        if path == "/big-declared":
            return self._send(200, b"x" * 10, {"Content-Type": "text/html", "Content-Length": "999999999"})
        if path == "/big-stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<p>" + b"y" * 4000 + b"</p>"
            for _ in range(50):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        if path == "/busy":
            if Routes.hits[path] == 1:
                return self._send(429, b"slow down", {"Retry-After": "0"})
            return self._send(200, PAGE, {"Content-Type": "text/html"})
        if path == "/forbidden":
            return self._send(403, b"no")
        if path == "/listen":  # an episode behind a page-like link: the body would take the whole time-out
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", "40000000")
            self.end_headers()
            self.wfile.write(b"ID3\x04\x00" + b"\x00" * 10)
            self.wfile.flush()
            time.sleep(3)
            return
        if path == "/file.pdf":
            return self._send(200, b"%PDF-1.4 ...", {"Content-Type": "application/pdf"})
        if path == "/feed.xml.gz":  # gzipped on disk, served without Content-Encoding
            return self._send(200, gzip.compress(b"<rss version='2.0'><channel><title>Zipped</title></channel></rss>"),
                              {"Content-Type": "application/rss+xml"})
        if path == "/bomb.gz":  # 10 MB of zeros in 10 KB, no Content-Encoding
            return self._send(200, gzip.compress(b"\0" * 10_000_000), {"Content-Type": "text/html"})
        if path.startswith("/crowded/"):  # every page of the host: 503, come back in 30 s
            return self._send(503, b"busy", {"Retry-After": "30"})
        if path.startswith("/gn/articles"):  # an aggregator's link: 200 and a refresh to the article
            return self._send(200, b"<html><head><meta content='0;URL=/page.html' http-equiv='refresh'>"
                              b"<title>Redirecting</title></head><body><a href='/page.html'>continue</a></body></html>",
                              {"Content-Type": "text/html"})
        if path == "/reloads":  # a challenge page that reloads itself, and a page refreshing in 5 minutes
            return self._send(200, b"<html><head><meta http-equiv='refresh' content='390'></head><body>wait</body></html>",
                              {"Content-Type": "text/html"})
        if path == "/later":
            return self._send(200, b"<html><head><meta http-equiv='refresh' content='300; url=/page.html'></head>"
                              b"<body><p>An article that reloads itself.</p></body></html>", {"Content-Type": "text/html"})
        if path in ("/gz-cut", "/gz-whole"):  # a gzipped page whose Content-Length covers half of it, or all
            packed = gzip.compress(PAGE * 50)
            length = len(packed) // 2 if path == "/gz-cut" else len(packed)
            self.send_response(200)
            for name, value in {"Content-Type": "text/html", "Content-Encoding": "gzip",
                                "Content-Length": str(length), "Connection": "close"}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(packed)
            return
        if path == "/short-body":  # promises 1,000 bytes, sends 30, closes
            self.send_response(200)
            for name, value in {"Content-Type": "text/html", "Content-Length": "1000", "Connection": "close"}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(PAGE[:30])
            self.close_connection = True
            return
        if path in ("/framed", "/embeds"):  # an interstitial around an article; a page with another site's video
            name = "interstitial_same_site.html" if path == "/framed" else "video_embed_elsewhere.html"
            return self._send(200, (DATA / "frame_pages" / name).read_bytes(), {"Content-Type": "text/html"})
        if path.partition("?")[0] == "/slow":
            time.sleep(2)
            return self._send(200, PAGE, {"Content-Type": "text/html"})
        return self._send(404, b"missing")


@pytest.fixture
def server():
    Routes.hits, Routes.agents = {}, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Routes)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fetcher(**overrides) -> Fetcher:
    values = dict(allow_private_hosts=True, timeout_seconds=1.0, max_page_bytes=100_000)
    values.update(overrides)
    return Fetcher(Settings(**values), sleep=lambda seconds: None)


def test_page_is_fetched_with_a_user_agent_naming_newswatch(server):
    with fetcher() as f:
        page = f.fetch_page(server + "/page.html")
    assert page.status == 200 and page.body == PAGE
    assert all("newswatch" in agent for agent in Routes.agents)


def test_loopback_is_refused_unless_allowed(server):
    with fetcher(allow_private_hosts=False) as f, pytest.raises(FetchError) as caught:
        f.fetch_page(server + "/page.html")
    assert caught.value.reason == "private-address"
    assert Routes.hits == {}  # refused before any request was sent


def test_redirect_to_a_private_address_is_refused(server):
    with fetcher(allow_private_hosts=False) as f, pytest.raises(FetchError) as caught:
        f.fetch_page(server.replace("127.0.0.1", "localhost") + "/to-private")
    assert caught.value.reason == "private-address"


def test_redirects_are_followed_up_to_the_limit(server):
    with fetcher(max_redirects=5) as f:
        assert f.fetch_page(server + "/hop/4").final_url == server + "/page.html"
        with pytest.raises(FetchError) as caught:
            f.fetch_page(server + "/hop/5")
    assert caught.value.reason == "redirects"


def test_an_article_redirected_to_the_front_page_is_gone_not_an_article(server):
    with fetcher() as f:
        with pytest.raises(FetchError) as caught:
            f.fetch_page(server + "/2026/12/removed-article")
        assert caught.value.reason == "gone" and "front page" in str(caught.value)
        assert f.fetch_page(server + "/").status == 200  # the front page asked for itself is a page


@pytest.mark.parametrize("path", ["/big-declared", "/big-stream"])
def test_responses_over_the_size_cap_are_refused(server, path):
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.fetch_page(server + path)
    assert caught.value.reason == "too-big"


def test_conditional_get_returns_304_with_an_empty_body(server):
    with fetcher() as f:
        first = f.fetch_feed(server + "/feed.xml")
        second = f.fetch_feed(server + "/feed.xml", Conditional(etag=first.headers["etag"]))
    assert first.status == 200 and second.status == 304 and second.body == b""


def test_429_is_retried_after_the_delay_the_server_asks(server):
    with fetcher() as f:
        assert f.fetch_page(server + "/busy").status == 200
    assert Routes.hits["/busy"] == 2


def test_robots_txt_is_honoured(server):
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.fetch_page(server + "/private/report.html")
    assert caught.value.reason == "robots"
    assert "/private/report.html" not in Routes.hits


@pytest.mark.parametrize("path, reason", [("/missing", "http"), ("/forbidden", "blocked"), ("/file.pdf", "not-html"), ("/slow", "timeout")])
def test_bad_pages_give_a_clear_reason(server, path, reason):
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.fetch_page(server + path)
    assert caught.value.reason == reason


def test_a_link_naming_a_media_file_is_refused_without_a_request(server):
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.fetch_page(server + "/podcast/episode-12.MP3?utm_source=rss")
    assert caught.value.reason == "not-html" and "audio file" in str(caught.value)
    assert not any(path.startswith("/podcast/") for path in Routes.hits)


def test_an_answer_typed_as_audio_is_refused_before_its_body_is_read(server):
    started = time.monotonic()
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.fetch_page(server + "/listen")
    assert caught.value.reason == "not-html" and "audio/mpeg" in str(caught.value)
    assert time.monotonic() - started < 0.9  # reading the body would have waited out the 1 s time-out


def test_unknown_host_is_a_dns_failure():
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.fetch_page("http://no-such-host.invalid/page")
    assert caught.value.reason == "dns"


def test_a_page_asked_for_after_the_run_closed_its_fetcher_is_a_one_line_failure(server):
    """A poll stopped by SIGTERM closes its fetcher under pages still queued: each was a traceback
    ("Cannot send a request, as the client has been closed"); it is a passing failure now."""
    from flows.retries import is_passing

    f = fetcher()
    f.close()
    with pytest.raises(FetchError) as caught:
        f.fetch_page(server + "/article.html")
    assert "the run is stopping" in str(caught.value) and is_passing(caught.value)


def test_a_body_gzipped_without_a_content_encoding_header_is_read_decompressed(server):
    page = fetcher().fetch_feed(server + "/feed.xml.gz")
    assert page.body.startswith(b"<rss") and b"Zipped" in page.body


def test_an_undeclared_gzip_body_is_held_to_the_size_cap_once_decompressed(server):
    with pytest.raises(FetchError) as caught:
        fetcher().fetch_page(server + "/bomb.gz")
    assert caught.value.reason == "too-big"


def test_a_redirect_page_with_a_meta_refresh_is_followed_like_a_redirect(server):
    page = fetcher().fetch_page(server + "/gn/articles?url=x&hl=en")
    assert page.final_url == server + "/page.html" and b"Hello from Tbilisi" in page.body


def test_a_host_that_lets_three_requests_in_a_row_time_out_rests_for_the_run(server):
    from flows.fetcher import HOST_TIMEOUTS

    with fetcher(timeout_seconds=0.3) as f:
        for n in range(HOST_TIMEOUTS):
            with pytest.raises(FetchError) as caught:
                f.fetch_page(server + f"/slow?n={n}")
            assert caught.value.reason == "timeout"
        asked = Routes.hits.get("/page.html", 0)
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            f.fetch_page(server + "/page.html")  # not asked: a passing failure, queued for the next poll
        assert caught.value.reason == "timeout" and "not asked again" in str(caught.value)
        assert Routes.hits.get("/page.html", 0) == asked and time.monotonic() - started < 0.2
    with fetcher() as fresh:  # the next run asks again
        assert fresh.fetch_page(server + "/page.html").status == 200


def test_a_gzipped_body_cut_short_is_a_bad_response_not_half_a_page(server):
    assert fetcher().fetch_page(server + "/gz-whole").body == PAGE * 50
    with pytest.raises(FetchError) as caught:
        fetcher().fetch_page(server + "/gz-cut")
    assert caught.value.reason == "bad-response" and "cut short" in str(caught.value)


def test_a_body_cut_short_by_the_server_is_a_broken_answer_not_a_failed_connection(server):
    with pytest.raises(FetchError) as caught:
        fetcher().fetch_page(server + "/short-body")
    assert caught.value.reason == "bad-response" and "cut short" in str(caught.value)


def test_an_interstitial_framing_an_article_of_the_same_site_is_followed_to_the_article(server):
    page = fetcher().fetch_page(server + "/framed")
    assert page.final_url == server + "/page.html?from=rss" and b"Hello from Tbilisi" in page.body


@pytest.mark.parametrize("path", ["/reloads", "/later", "/embeds"])
def test_a_refresh_without_a_target_or_after_minutes_is_the_page_itself(server, path):
    page = fetcher().fetch_page(server + path)
    assert page.final_url == server + path


def test_a_host_still_busy_after_the_wait_it_asked_for_is_not_asked_again_this_run(server):
    # 503 + Retry-After on every page: the first page waits twice (the test's sleep returns at once),
    # the host then rests; its other pages fail at once with a passing reason, retried next poll
    client = fetcher(max_retry_after_seconds=60)
    failures = []
    for n in range(4):
        with pytest.raises(FetchError) as caught:
            client.fetch_page(server + f"/crowded/{n}")
        failures.append(caught.value)
    asked = {path for path in Routes.hits if path.startswith("/crowded/")}
    assert asked == {"/crowded/0"} and Routes.hits["/crowded/0"] == 3
    assert all(f.status == 503 and f.reason == "http" for f in failures)
    assert "not asked again until the next poll" in str(failures[1])


def test_a_wait_the_server_asked_for_ends_when_the_run_stops(server):
    client = Fetcher(Settings(allow_private_hosts=True, timeout_seconds=1.0, max_retry_after_seconds=60))
    threading.Timer(0.5, client.close).start()
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        client.fetch_page(server + "/crowded/9")
    assert time.monotonic() - started < 5 and "stopping" in str(caught.value)


def test_a_feed_reached_through_permanent_redirects_says_where_it_lives_now(server):
    with fetcher() as f:
        moved = f.fetch_feed(server + "/old-feed.xml")
        assert moved.final_url == server + "/feed.xml" and moved.moved_to == server + "/feed.xml"  # 301 then 308
        assert f.fetch_feed(server + "/campaign-feed.xml").moved_to is None  # a 302 first: the list's URL stays
        assert f.fetch_feed(server + "/feed.xml").moved_to is None


def test_a_feed_answering_304_to_a_request_without_validators_is_an_error_not_news(server):
    with fetcher() as f, pytest.raises(FetchError) as caught:
        f.fetch_feed(server + "/always-304.xml")
    assert caught.value.reason == "bad-response" and "without validators" in str(caught.value)
    with fetcher() as f:  # with validators a 304 is the answer it should be
        assert f.fetch_feed(server + "/feed.xml", Conditional(etag='"v1"', last_modified=None)).status == 304
