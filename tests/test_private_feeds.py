"""A feed behind HTTP Basic credentials (``https://user:password@host/feed``): polled, its pages
fetched with the credentials of their origin only, and the password in no record, state file,
manifest or log line."""

from __future__ import annotations

import base64
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from config.settings import Settings
from extractors.urls import credentials_of, normalise_url, origin_of, without_credentials
from flows.pipeline import PollOptions, load_feeds
from flows.poll import run_poll

DATA = Path(__file__).resolve().parent / "data" / "private_feed"
USER, PASSWORD = "alice", "s3cr@t:pass"  # "@" and ":" inside: the URL carries them percent-encoded
URL_PASSWORD = "s3cr%40t%3Apass"


class _Server:
    """A loopback server recording each request's Authorization header; ``private`` answers 401 without it."""

    def __init__(self, host: str, files: dict[str, bytes], *, private: bool, redirects: dict[str, str] | None = None):
        self.seen: list[tuple[str, str | None]] = []
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                auth = self.headers.get("Authorization")
                outer.seen.append((self.path, auth))
                if private and auth != expected:
                    return self._send(401, b"credentials required", {"WWW-Authenticate": 'Basic realm="wire"'})
                if self.path in (redirects or {}):
                    return self._send(302, b"", {"Location": redirects[self.path]})
                body = files.get(self.path)
                if body is None:
                    return self._send(404, b"not found", {})
                kind = "application/rss+xml" if self.path.endswith(".xml") else "text/html; charset=utf-8"
                self._send(200, body, {"Content-Type": kind})

            def _send(self, status, body, headers):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.base = f"http://{host}:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_password_in_a_url_is_a_credential_never_part_of_the_address():
    url = f"https://{USER}:{URL_PASSWORD}@News.example.org:8443/feed?id=3"
    assert credentials_of(url) == (USER, PASSWORD)
    assert without_credentials(url) == "https://News.example.org:8443/feed?id=3"
    assert origin_of(url) == "https://news.example.org:8443"
    assert normalise_url(url) == "https://news.example.org:8443/feed?id=3"
    assert credentials_of("https://example.org/a@b") is None  # an "@" in the path is not userinfo
    assert without_credentials("https://example.org/a@b") == "https://example.org/a@b"


def test_a_private_feed_is_polled_and_its_password_is_stored_and_logged_nowhere(tmp_path, caplog, capsys):
    elsewhere = _Server("127.0.0.2", {"/elsewhere.html": (DATA / "batumi-port.html").read_bytes()}, private=False)
    files = {"/news/gyumri-tram.html": (DATA / "gyumri-tram.html").read_bytes(),
             "/news/batumi-port.html": (DATA / "batumi-port.html").read_bytes()}
    wire = _Server("127.0.0.1", files, private=True, redirects={"/news/moved.html": elsewhere.base + "/elsewhere.html"})
    try:
        host = wire.base.split("//")[1]
        # an item link carrying someone else's credentials: they go, the feed's origin credentials apply
        files["/feed.xml"] = (DATA / "feed.xml").read_bytes().replace(b"{auth_base}", f"http://mallory:leaked@{host}".encode())
        files["/feed.xml"] = files["/feed.xml"].replace(
            b"</channel>", b"<item><title>Moved</title><link>/news/moved.html</link></item></channel>")
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(f"feeds:\n  - id: private-wire\n    name: Private wire\n"
                              f"    url: http://{USER}:{URL_PASSWORD}@{host}/feed.xml\n", encoding="utf-8")
        with caplog.at_level(logging.DEBUG):
            summary = run_poll(str(tmp_path / "store"), load_feeds(feeds_file), PollOptions(),
                               Settings(allow_private_hosts=True))
    finally:
        wire.close()
        elsewhere.close()

    assert summary.totals["stored"] == 2, summary.to_text()
    # every request to the feed's origin carried its credentials (robots.txt, the feed, both pages)
    assert {path for path, auth in wire.seen if auth} >= {"/robots.txt", "/feed.xml", "/news/gyumri-tram.html",
                                                          "/news/batumi-port.html", "/news/moved.html"}
    assert all(auth for _path, auth in wire.seen)
    # ...and a redirect to another host did not take them along
    assert elsewhere.seen and all(auth is None for _path, auth in elsewhere.seen)
    printed = capsys.readouterr()
    everything = caplog.text + printed.out + printed.err + summary.to_text()
    for path in (tmp_path / "store").rglob("*"):
        if path.is_file():
            everything += path.read_bytes().decode("utf-8", "replace")
    for secret in ("s3cr", URL_PASSWORD, "leaked", "mallory"):
        assert secret not in everything
    assert f"http://{host}/feed.xml" in (tmp_path / "store" / "state" / "feeds" / "private-wire.json").read_text()
