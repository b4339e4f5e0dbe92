"""A hostile HTTP server on loopback: it speaks raw bytes, so it can break every rule.

Each path is a trick an attacker or a broken site plays on a fetcher:

    /drip-headers        the status line, then one header byte every ``drip`` seconds, forever
    /drip-body           headers at once, then one body byte every ``drip`` seconds, forever
    /stall-headers       the status line, then nothing (the connection stays open)
    /long-length         Content-Length 50000, 100 bytes sent, then silence
    /short-length        Content-Length 40 for a longer page (the rest must be ignored)
    /gzip-bomb           ~50 KB of gzip that inflates to 50 MB of zeros
    /chunk-bomb          an endless chunked body of small chunks
    /png-as-html         a PNG image served as text/html
    /nul-title.html      a page with NUL and control bytes in its title and text
    /lying-charset.html  windows-1251 bytes declared as UTF-8
    /loop                redirects to itself
    /to-loopback-v6      redirects to http://[::ffff:127.0.0.1]:<port>/page.html
    /to-file             redirects to file:///etc/passwd
    /page-N.html         a normal article page about the Caucasus (N varies the text)
    /feed.xml            an RSS feed listing ``server.feed_paths``
    /feeds/<name>.xml    an RSS feed listing ``server.feeds[name]``
    /robots.txt          allow all (or drips, when ``server.drip_robots``)

Every request is counted in ``server.hits`` so tests can tell what was fetched.
"""

from __future__ import annotations

import functools
import gzip
import socket
import socketserver
import threading
import time
from collections import Counter

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"
       + bytes(range(256)) * 8)

TOPICS = [
    ("Armenia and Azerbaijan resume border talks", "Negotiators from Yerevan and Baku met again in Tbilisi to discuss the border."),
    ("Georgia's parliament debates a new media law", "Lawmakers in Tbilisi argued over the bill as protesters gathered on Rustaveli Avenue."),
    ("Floods hit villages in Dagestan", "Heavy rain in the North Caucasus flooded villages near Makhachkala and Derbent."),
    ("Azerbaijan expands the port of Baku", "The Caspian port at Alat near Baku will handle more cargo on the Middle Corridor."),
    ("Armenian farmers in Syunik face a dry summer", "Farmers around Goris and Kapan in Armenia's Syunik province count their losses."),
    ("Chechnya opens a new road to Dagestan", "Officials in Grozny said the road links Chechnya and Dagestan across the mountains."),
    ("Georgian wine exports grow", "Winemakers in Kakheti, Georgia, sold more wine abroad, the ministry in Tbilisi said."),
    ("Nagorno-Karabakh refugees settle in Armenia", "Families from Nagorno-Karabakh are building new homes near Yerevan in Armenia."),
]


@functools.lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """50 MB of zeros in about 50 KB of gzip; made once (compressing takes a second on a busy host)."""
    return gzip.compress(b"\0" * 50_000_000, compresslevel=9)


def article_html(n: int, title: str | None = None) -> bytes:
    head, lead = TOPICS[n % len(TOPICS)]
    title = title or f"{head} ({n})"
    paragraphs = "".join(
        f"<p>{lead} Report number {n}, paragraph {i}: the officials in the South Caucasus said more talks "
        f"would follow next month, and observers in Armenia, Azerbaijan and Georgia welcomed the news.</p>"
        for i in range(6))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>").encode("utf-8")


def rss(base: str, paths: list[str], dates: dict[str, str] | None = None) -> bytes:
    dates = dates or {}
    items = "".join(f"<item><title>item {i}</title><link>{base}{p}</link><guid>{base}{p}</guid>"
                    + (f"<pubDate>{dates[p]}</pubDate>" if p in dates else "") + "</item>"
                    for i, p in enumerate(paths))
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>hostile</title><link>{base}/</link>"
            f"<description>t</description>{items}</channel></rss>").encode()


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: HostileServer = self.server.owner  # type: ignore[attr-defined]
        sock: socket.socket = self.request
        sock.settimeout(30)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ", 2)[1].decode("latin-1")
            with server.lock:
                server.hits[path] += 1
            server.route(sock, path)
        except OSError:
            pass  # the client gave up: that is the point of most routes
        finally:
            try:
                sock.close()
            except OSError:
                pass


class HostileServer:
    def __init__(self, drip: float = 0.2):
        self.drip = drip
        self.hits: Counter = Counter()
        self.lock = threading.Lock()
        self.feed_paths: list[str] = []
        self.drip_robots = False
        self.robots_mode = ""  # "" (allow all), "error" (503), "huge" (Disallow: / then 600 KB), "to-mailto"
        self.slow_pages: set[str] = set()  # paths answered after ``slow_seconds`` (healthy but slow)
        self.slow_seconds = 0.0
        self.page_delay = 0.0  # seconds before every article page (latency)
        self.feeds: dict[str, list[str]] = {}  # /feeds/<name>.xml → the paths it lists
        self.failing: dict[str, str] = {}  # path → "503", "404" or "drip": a page that fails until removed
        self.pub_dates: dict[str, str] = {}  # path → the RFC 822 date /feed.xml gives its item (else none)
        self._tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler, bind_and_activate=False)
        self._tcp.allow_reuse_address = True
        self._tcp.daemon_threads = True
        self._tcp.server_bind()
        self._tcp.server_activate()
        self._tcp.owner = self  # type: ignore[attr-defined]
        self.port = self._tcp.server_address[1]
        gzip_bomb()  # made before any request, so the bomb's own making never counts against a deadline
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._tcp.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._tcp.shutdown()
        self._tcp.server_close()

    # Responses -----------------------------------------------------------------------------

    def _send(self, sock, status: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        head = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body)), "Connection": "close"}
        head.update(headers or {})
        lines = "".join(f"{k}: {v}\r\n" for k, v in head.items())
        sock.sendall(f"HTTP/1.1 {status}\r\n{lines}\r\n".encode("latin-1") + body)

    def _drip(self, sock, data: bytes) -> None:
        for byte in data:
            sock.sendall(bytes([byte]))
            time.sleep(self.drip)

    def route(self, sock, path: str) -> None:
        if path == "/robots.txt":
            if self.drip_robots:
                sock.sendall(b"HTTP/1.1 200 OK\r\n")
                return self._drip(sock, b"X-Slow: " + b"a" * 100000)
            if self.robots_mode == "error":
                return self._send(sock, "503 Service Unavailable", b"down", {"Content-Type": "text/plain"})
            if self.robots_mode == "huge":  # a rule, then comments past RFC 9309's 500 KiB
                body = b"User-agent: *\nDisallow: /\n" + b"# padding padding padding\n" * 24_000
                return self._send(sock, "200 OK", body, {"Content-Type": "text/plain"})
            if self.robots_mode == "to-mailto":
                return self._send(sock, "302 Found", b"", {"Location": "mailto:webmaster@example.org"})
            return self._send(sock, "200 OK", b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})
        if path.startswith("/feeds/") and path.endswith(".xml") and path[7:-4] in self.feeds:
            return self._send(sock, "200 OK", rss(self.base, list(self.feeds[path[7:-4]])),
                              {"Content-Type": "application/rss+xml"})
        if path == "/feed.xml":
            return self._send(sock, "200 OK", rss(self.base, self.feed_paths, self.pub_dates),
                              {"Content-Type": "application/rss+xml"})
        if path in self.failing:
            if self.failing[path] == "503":
                return self._send(sock, "503 Service Unavailable", b"busy", {"Retry-After": "120"})
            if self.failing[path] == "404":  # announced in the feed before it is published
                return self._send(sock, "404 Not Found", b"no such page")
            sock.sendall(b"HTTP/1.1 200 OK\r\n")
            return self._drip(sock, b"X-Padding: " + b"a" * 100000)
        if path.startswith("/page-") and path.endswith(".html"):
            if path in self.slow_pages:
                time.sleep(self.slow_seconds)
            if self.page_delay:
                time.sleep(self.page_delay)
            return self._send(sock, "200 OK", article_html(int(path[6:-5])))
        if path == "/drip-headers":
            sock.sendall(b"HTTP/1.1 200 OK\r\n")
            return self._drip(sock, b"X-Padding: " + b"a" * 100000)
        if path == "/drip-body":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
            return self._drip(sock, article_html(1) * 20)
        if path == "/stall-headers":
            sock.sendall(b"HTTP/1.1 200 OK\r\n")
            time.sleep(30)
            return None
        if path == "/long-length":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 50000\r\n\r\n" + b"<p>" * 33)
            time.sleep(30)
            return None
        if path == "/short-length":
            return self._send(sock, "200 OK", article_html(2), {"Content-Length": "40"})
        if path == "/no-status-line":  # another protocol's greeting where the status line goes
            sock.sendall(b"SSH-2.0-OpenSSH_9.0\r\n\r\n")
            return
        if path == "/two-lengths":  # two Content-Length headers that disagree
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 10\r\n"
                         b"Content-Length: 20\r\n\r\n" + b"x" * 20)
            return
        if path == "/gzip-bomb":
            return self._send(sock, "200 OK", gzip_bomb(), {"Content-Encoding": "gzip"})
        if path == "/corrupt-gzip":  # a gzip header, then bytes no inflater accepts
            return self._send(sock, "200 OK", b"\x1f\x8b\x08\x00" + b"\xff" * 96, {"Content-Encoding": "gzip"})
        if path == "/chunk-bomb":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunk = b"<p>" + b"z" * 1000 + b"</p>"
            while True:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        if path == "/png-as-html":
            return self._send(sock, "200 OK", PNG, {"Content-Type": "text/html"})
        if path == "/nul-title.html":
            return self._send(sock, "200 OK", article_html(3, title="Border\x00 talks\x07 in\x1b Tbilisi").replace(
                b"paragraph 2", b"paragraph\x00\x08 2"))
        if path == "/lying-charset.html":
            text = ("<html><head><meta charset='utf-8'><title>Переговоры в Тбилиси</title></head><body><article>"
                    + "<p>Министры иностранных дел Армении и Азербайджана встретились в Тбилиси, чтобы обсудить "
                      "делимитацию границы на Южном Кавказе и открытие дорог.</p>" * 5
                    + "</article></body></html>")
            return self._send(sock, "200 OK", text.encode("windows-1251"), {"Content-Type": "text/html; charset=utf-8"})
        if path == "/loop":
            return self._send(sock, "302 Found", b"", {"Location": "/loop"})
        if path == "/to-loopback-v6":
            return self._send(sock, "302 Found", b"", {"Location": f"http://[::ffff:127.0.0.1]:{self.port}/page-1.html"})
        if path == "/gzip-gzip-bomb":  # stacked codings: the bomb inside a bomb
            return self._send(sock, "200 OK", gzip.compress(gzip_bomb()), {"Content-Encoding": "gzip, gzip"})
        if path == "/to-mailto":
            return self._send(sock, "302 Found", b"", {"Location": "mailto:desk@example.org"})
        if path == "/to-bad-ipv6":
            return self._send(sock, "302 Found", b"", {"Location": "http://[abc/page"})
        if path == "/to-file":
            return self._send(sock, "302 Found", b"", {"Location": "file:///etc/passwd"})
        return self._send(sock, "404 Not Found", b"missing")
