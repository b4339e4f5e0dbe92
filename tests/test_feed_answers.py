"""What a feed's server answers, polled end to end on loopback: a 200 that holds no feed (a bot
challenge page) is a failed poll, reported as the block it is, that counts towards back-off like
an error status; a feed gzipped without a Content-Encoding header is read."""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from config.settings import Settings
from extractors.records import Feed
from flows.pipeline import PollOptions
from flows.poll import run_poll
from storage.local import LocalStore
from storage.state import load_feed_state

DATA = Path(__file__).resolve().parent / "data" / "feeds_odd"
ARTICLE = (b"<html><head><title>Border talks</title></head><body><article><h1>Border talks</h1>"
           + b"<p>Negotiators of Armenia and Azerbaijan met in Tbilisi on the border commission's work.</p>" * 6
           + b"</article></body></html>")


@pytest.fixture
def server():
    answers: dict[str, tuple[bytes, str]] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body, kind = answers.get(self.path, (b"not found", "text/plain"))
            self.send_response(200 if self.path in answers else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", answers
    httpd.shutdown()
    httpd.server_close()


def poll(tmp_path, url):
    return run_poll(LocalStore(tmp_path / "store"), [Feed(id="wire", name="Wire", url=url)], PollOptions(force=True),
                    Settings(allow_private_hosts=True, respect_robots=False, timeout_seconds=5))


def test_a_challenge_page_answered_with_200_is_a_failed_poll_that_leads_to_back_off(server, tmp_path):
    base, answers = server
    answers["/feed.xml"] = ((DATA / "r2_challenge_page.html").read_bytes(), "text/html; charset=utf-8")
    for expected in (1, 2, 3):
        summary = poll(tmp_path, base + "/feed.xml")
        state = load_feed_state(LocalStore(tmp_path / "store"), "wire")
        assert state.consecutive_failures == expected and state.last_outcome == "blocked", summary.to_text()
        assert "bot check" in state.last_error  # the site is blocking us: not a wrong URL
        assert state.last_ok is None and state.first_ok is None
    assert state.next_poll  # the third failure in a row starts the back-off


def test_a_feed_gzipped_without_a_content_encoding_header_is_polled(server, tmp_path):
    base, answers = server
    feed = (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Wire</title>"
            f"<item><title>Border talks</title><link>{base}/a/1.html</link></item></channel></rss>").encode()
    answers["/feed.xml"] = (gzip.compress(feed), "application/rss+xml")
    answers["/a/1.html"] = (ARTICLE, "text/html; charset=utf-8")
    summary = poll(tmp_path, base + "/feed.xml")
    assert summary.totals["stored"] == 1, summary.to_text()
    assert load_feed_state(LocalStore(tmp_path / "store"), "wire").consecutive_failures == 0
