"""A small static web server on loopback, for the demo and the integration tests.

It serves a directory the way a news site does: correct content types, ETag and
Last-Modified with 304 answers to conditional requests, a robots.txt if the folder has
one, 404 for anything missing, and redirects listed in ``_redirects.txt``
(``/old /new`` per line). ``{base}`` inside .xml/.html files is replaced by the
server's own address, so fixture feeds can link to fixture pages on whatever port.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

LAST_MODIFIED = formatdate(1_763_000_000, usegmt=True)  # fixed: the files do not change during a run
TYPES = {".xml": "application/rss+xml; charset=utf-8", ".atom": "application/atom+xml; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".htm": "text/html", ".txt": "text/plain; charset=utf-8"}


class SampleSite:
    """``with SampleSite(folder) as site: site.url("/feed.xml")``. Counts requests per path."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0, honour_conditional: bool = True):
        self.root = Path(root)
        self.honour_conditional = honour_conditional
        self.requests: list[tuple[str, str, int]] = []  # (path, If-None-Match present?, status)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://{host}:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="sample-site", daemon=True)
        self.redirects = self._read_redirects()

    def _read_redirects(self) -> dict[str, str]:
        path = self.root / "_redirects.txt"
        if not path.exists():
            return {}
        pairs = (line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#"))
        return {p[0]: p[1] for p in pairs if len(p) == 2}

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> "SampleSite":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "SampleSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def statuses(self, path: str) -> list[int]:
        with self._lock:
            return [status for p, _c, status in self.requests if p == path]

    def _log(self, path: str, conditional: str, status: int) -> None:
        with self._lock:
            self.requests.append((path, conditional, status))

    def _handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet: tests read site.requests instead
                pass

            def do_GET(self):
                path = unquote(urlsplit(self.path).path)
                conditional = self.headers.get("If-None-Match", "") or self.headers.get("If-Modified-Since", "")
                if path in site.redirects:
                    return self._send(301, b"", {"Location": site.redirects[path]}, path, conditional)
                target = (site.root / path.lstrip("/")).resolve()
                if path.endswith("/"):
                    target = target / "index.html"
                if not str(target).startswith(str(site.root.resolve())) or not target.is_file() or target.name.startswith("_"):
                    return self._send(404, b"not found", {"Content-Type": "text/plain"}, path, conditional)
                body = target.read_bytes()
                if target.suffix in (".xml", ".html", ".atom"):
                    body = body.replace(b"{base}", site.base.encode())
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                headers = {"Content-Type": TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"}
                if site.honour_conditional:
                    headers.update({"ETag": etag, "Last-Modified": LAST_MODIFIED})
                    if self.headers.get("If-None-Match") == etag or (
                        not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == LAST_MODIFIED
                    ):
                        return self._send(304, b"", headers, path, conditional)
                return self._send(200, body, headers, path, conditional)

            def _send(self, status, body, headers, path, conditional):
                site._log(path, conditional, status)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        return Handler
