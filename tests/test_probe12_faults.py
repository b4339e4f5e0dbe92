"""Faults of the twelfth probe (a helper's hostile servers), polled end to end on loopback."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from config.settings import Settings
from extractors.records import Feed
from flows.pipeline import PollOptions
from flows.poll import run_poll
from storage.articles import ArticleStore
from storage.local import LocalStore
from storage.state import load_feed_state


@pytest.fixture
def server():
    answers: dict[str, tuple[int, dict[str, str], bytes]] = {}
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            asked.append(self.path)
            status, headers, body = answers.get(self.path, (404, {"Content-Type": "text/plain"}, b"not found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", answers, asked
    httpd.shutdown()
    httpd.server_close()


def poll(tmp_path, url, **settings):
    return run_poll(LocalStore(tmp_path / "store"), [Feed(id="wire", name="Wire", url=url)], PollOptions(),
                    Settings(allow_private_hosts=True, respect_robots=False, timeout_seconds=5, **settings))


def rss(base: str, links: list[str]) -> bytes:
    items = "".join(f"<item><title>Item {i}</title><link>{base}{link}</link></item>" for i, link in enumerate(links))
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Wire</title>{items}"
            "</channel></rss>").encode()


def test_a_feed_asking_for_an_absurd_wait_is_backed_off_six_hours_not_a_crash(server, tmp_path):
    base, answers, _ = server
    answers["/feed.xml"] = (429, {"Retry-After": "1" + "0" * 21, "Content-Type": "text/plain"}, b"slow down")
    summary = poll(tmp_path, base + "/feed.xml")
    state = load_feed_state(LocalStore(tmp_path / "store"), "wire")
    assert summary.feeds[0].outcome in ("blocked", "failed") and state.last_polled
    wait = datetime.fromisoformat(state.next_poll) - datetime.now(timezone.utc)
    assert timedelta(hours=5) < wait <= timedelta(hours=6)


def page(title: str, body: str, charset_meta: str = "", canonical: str = "") -> bytes:
    head = (f'<meta charset="{charset_meta}">' if charset_meta else "") + (
        f'<link rel="canonical" href="{canonical}">' if canonical else "")
    return (f"<html><head>{head}<title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{body}</article></body></html>").encode("utf-8")


def records(tmp_path):
    return [r for _k, r in ArticleStore(LocalStore(tmp_path / "store")).all_articles()]


@pytest.mark.parametrize("title, text, header, meta", [
    ("Երևանում բացվել է նոր դպրոց", "Երևանի Արաբկիր վարչական շրջանում բացվել է նոր դպրոց, որը կընդունի 900 աշակերտ։", None, "windows-1251"),
    ("В Ереване открылась новая школа", "В Ереване в четверг открылась новая школа на 900 учеников, сообщили в мэрии.", "windows-1251", None),
    ("Bakıda hökumət yeni məktəb açıb", "Bakının Nərimanov rayonunda 900 şagird üçün yeni məktəb açılıb, nazirlik bildirib.", None, "iso-8859-1"),
])
def test_a_page_in_utf8_under_a_single_byte_label_is_read_as_utf8(title, text, header, meta):
    from extractors.charsets import decode_html

    body = page(title, f"<p>{text}</p>" * 3, charset_meta=meta or "")
    decoded = decode_html(body, f"text/html; charset={header}" if header else None)
    assert title in decoded and text in decoded
    legacy = f"<html><head><meta charset='windows-1251'></head><body><p>{text}</p></body></html>"
    if "В Ереване" in text:  # a real windows-1251 page stays windows-1251
        assert text in decode_html(legacy.encode("windows-1251"))


def test_a_sites_templated_items_whose_paragraphs_differ_in_figures_keep_their_text():
    from extractors.boilerplate import paragraph_fingerprint
    from extractors.html_cleanup import clean_paragraphs

    template = ["The Armenian government said on Tuesday that {n} families in Syunik would receive housing support.",
                "According to the ministry, {m} kilometres of road between Goris and Kapan will be repaired next year.",
                "Officials added that talks on border delimitation would continue in the coming weeks in Baku and Yerevan."]
    learnt = frozenset(paragraph_fingerprint(p.format(n=1000, m=10)) for p in template)  # three earlier items
    today = [p.format(n=1148, m=13) for p in template]
    assert clean_paragraphs("\n".join(today), learnt, paragraph_fingerprint) == today
    story = ["Heavy snow closed the Upper Lars crossing on Thursday, stranding 400 lorries near the checkpoint for hours.",
             "Georgian road services said the road would reopen once avalanche control work was complete on Friday.",
             "Drivers complained of a lack of heated rest areas and food at the crossing."]
    footer = "Officials added that talks on border delimitation would continue in the coming weeks in Baku and Yerevan."
    assert clean_paragraphs("\n".join([*story, footer]), learnt, paragraph_fingerprint) == story  # a real footer goes


def test_different_articles_naming_one_canonical_address_are_each_stored_and_copies_still_fold(server, tmp_path):
    base, answers, _ = server
    texts = ["Heavy snow closed the Upper Lars crossing on Thursday, stranding 400 lorries near the checkpoint.",
             "The Armenian parliament passed the 2027 budget after a nine-hour debate in Yerevan on Wednesday.",
             "Georgia's central bank kept its key rate at eight percent, citing inflation close to its target."]
    links = []
    for i, text in enumerate(texts):
        answers[f"/a/story-{i}"] = (200, {"Content-Type": "text/html; charset=utf-8"},
                                    page(f"Story {i}", f"<p>{text}</p>" * 4, canonical=f"{base}/news/"))
        links.append(f"/a/story-{i}")
    answers["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(base, links))
    summary = poll(tmp_path, base + "/feed.xml")
    stored = records(tmp_path)
    assert len(stored) == 3 and len({r.text for r in stored}) == 3, summary.to_text()
    assert {r.canonical_url for r in stored} == {f"{base}/news/", f"{base}/a/story-1", f"{base}/a/story-2"}
    # a copy naming the same address (an AMP page, a tracking link) still folds into the stored article
    answers["/a/story-2/amp"] = (200, {"Content-Type": "text/html; charset=utf-8"},
                                 page("Story 2 (AMP)", f"<p>{texts[2]}</p>" * 4, canonical=f"{base}/a/story-2"))
    answers["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(base, [*links, "/a/story-2/amp"]))
    second = poll(tmp_path, base + "/feed.xml")
    assert len(records(tmp_path)) == 3 and second.totals["stored_elsewhere"] == 1, second.to_text()


def test_a_session_in_a_link_is_no_part_of_the_articles_address_and_a_path_parameter_is_sent_as_written():
    from extractors.urls import normalise_url

    assert normalise_url("https://news.example.am/a/1;jsessionid=9F2C1A77B0") == "https://news.example.am/a/1"
    assert normalise_url("https://news.example.am/a/1?PHPSESSID=abc123&id=3") == "https://news.example.am/a/1?id=3"
    assert normalise_url("https://news.example.am/a?sid=a8f9c0d1e2b3a4f5c6d7&id=3") == "https://news.example.am/a?id=3"
    assert normalise_url("https://news.example.am/a?sid=4512") == "https://news.example.am/a?sid=4512"  # a story id
    assert normalise_url("https://news.example.am/view;id=5") == "https://news.example.am/view;id=5"


def test_a_server_closing_kept_alive_connections_unannounced_loses_no_page(tmp_path):
    import socket
    import socketserver

    base_holder = {}
    article = page("Border talks", "<p>Negotiators of Armenia and Azerbaijan met in Tbilisi on the border commission's work.</p>" * 5)

    class OneAnswer(socketserver.BaseRequestHandler):
        """Answers one request as HTTP/1.1 without "Connection: close", then hangs up."""

        def handle(self):
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = self.request.recv(4096)
                if not chunk:
                    return
                data += chunk
            path = data.split(b" ", 2)[1].decode()
            if path == "/feed.xml":
                body, kind = rss(base_holder["base"], [f"/a/story-{i}" for i in range(8)]), "application/rss+xml"
            else:
                body, kind = article, "text/html; charset=utf-8"
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + kind.encode() + b"\r\nContent-Length: "
                                 + str(len(body)).encode() + b"\r\n\r\n" + body)
            self.request.shutdown(socket.SHUT_RDWR)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), OneAnswer)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base_holder["base"] = f"http://127.0.0.1:{server.server_address[1]}"
        summary = poll(tmp_path, base_holder["base"] + "/feed.xml")
    finally:
        server.shutdown()
        server.server_close()
    feed = summary.feeds[0]
    assert feed.page_failures == 0 and feed.pages_fetched == 8, summary.to_text()


def test_a_search_over_a_record_with_tens_of_thousands_of_hits_takes_seconds_at_most(tmp_path):
    import time

    from extractors.records import ArticleRecord
    from storage.search_index import SearchIndex

    huge = ArticleRecord(id="huge", url="https://x.test/huge", canonical_url="https://x.test/huge", source="wire",
                         title="A page dump", author="", published=None, content_hash="h", first_seen="2026-12-04T10:00:00+00:00", language="en",
                         text="Yerevan " * 50_000, caucasus={"relevant": True, "score": 3.0})
    index = SearchIndex(tmp_path / "index.sqlite")
    index._put("articles/huge.json", huge, None)
    started = time.monotonic()
    hits = index.search("Yerevan", relevant_only=False)
    assert hits and time.monotonic() - started < 5


def test_a_feed_date_no_calendar_has_is_no_date():
    from extractors.feeds import parse_feed

    dates = ["Fri, 04 Dec 2026 12:31:00 +9900", "2024-13-45T99:99:99Z", "Fri, 04 Dec 2026 12:31:00 +2400",
             "Fri, 04 Dec 2026 10:00:00 +0400"]
    items = "".join(f"<item><title>Item {i}</title><link>https://x.test/a/{i}</link><pubDate>{d}</pubDate></item>"
                    for i, d in enumerate(dates))
    feed = f"<?xml version='1.0'?><rss version='2.0'><channel><title>W</title>{items}</channel></rss>".encode()
    parsed = parse_feed(feed, feed_id="w", feed_url="https://x.test/feed", now=datetime(2026, 12, 5, tzinfo=timezone.utc))
    assert [e.published for e in parsed.entries][:3] == [None, None, None]
    assert parsed.entries[3].published == datetime(2026, 12, 4, 6, tzinfo=timezone.utc)


def test_an_article_nested_three_hundred_elements_deep_keeps_its_text():
    from pathlib import Path

    from extractors.article import extract_document

    for name in ("deep300.html", "font300.html"):  # 300 nested divs; 300 unclosed <font>s before the text
        data = (Path(__file__).resolve().parent / "data" / "probe12" / "faults" / name).read_bytes()
        assert len(extract_document(data).text) > 4000, name
