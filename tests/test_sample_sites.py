"""The two static sample sites are what the demo and the poll tests say they are.

Quick checks on the files themselves, without the pipeline: feeds parse (the malformed one
too), every linked page exists except the intended 404s, pages carry a title, metadata and
a real body, the feed lists load, and the sample server answers a conditional GET with 304.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import httpx
import lxml.html
import pytest
import yaml

from config import CONFIG_DIR
from flows.sample_site import SampleSite

DEMO = CONFIG_DIR / "demo_site"
SITE = Path(__file__).resolve().parent / "data" / "site"
BASE = "http://127.0.0.1:8765"  # any address will do: the files only hold the {base} placeholder

# Links that must 404, on purpose (and must therefore have no file behind them).
INTENDED_404 = {SITE: {"/news/gone.html"}, DEMO: {"/civilmonitor/news/energy-tariffs-rise.html"}}
# feed path → (entries, malformed?)
FEEDS = {
    (SITE, "/news/feed.xml"): (4, False),
    (SITE, "/wire/atom.xml"): (3, False),
    (SITE, "/broken/feed.xml"): (2, True),
    (DEMO, "/azemedia/feed.xml"): (4, False),
    (DEMO, "/civilmonitor/atom/feed.xml"): (4, False),
    (DEMO, "/caucasuswire/feed.xml"): (4, False),
    (DEMO, "/worlddesk/world/feed.xml"): (3, False),
}
# Body length the brief sets for each site, in words.
BODY_RANGE = {SITE: (120, 250), DEMO: (150, 500)}
CHROME = ("ancestor::header or ancestor::footer or ancestor::nav or ancestor::aside or ancestor::form"
          " or ancestor::*[contains(@class, 'footer') or contains(@id, 'footer')]")


def parse_feed(root: Path, path: str):
    body = (root / path.lstrip("/")).read_text(encoding="utf-8").replace("{base}", BASE)
    return feedparser.parse(body, response_headers={"content-type": "application/xml; charset=utf-8",
                                                    "content-location": BASE + path})


def file_for(root: Path, link: str) -> Path:
    path = urlsplit(link).path
    target = root / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


def html_pages(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


def load_page(path: Path):
    return lxml.html.fromstring(path.read_text(encoding="utf-8").replace("{base}", BASE))


def body_words(tree) -> list[str]:
    """Words of the paragraphs outside the page chrome (header, footer, nav, aside, forms): roughly the body."""
    text = " ".join(p.text_content() for p in tree.xpath(f"//p[not({CHROME})]"))
    return re.findall(r"\w+", text)


ALL_PAGES = [(root, p) for root in (SITE, DEMO) for p in html_pages(root)]


# Feeds ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("root,path", list(FEEDS), ids=lambda v: v if isinstance(v, str) else v.name)
def test_every_feed_parses_and_yields_its_entries(root, path):
    count, malformed = FEEDS[(root, path)]
    parsed = parse_feed(root, path)
    assert len(parsed.entries) == count
    assert bool(parsed.bozo) is malformed, parsed.get("bozo_exception")
    assert all(e.get("link", "").startswith(BASE + "/") for e in parsed.entries)
    assert all(e.get("title") for e in parsed.entries)


def test_malformed_feed_still_gives_both_links_and_dates():
    parsed = parse_feed(SITE, "/broken/feed.xml")
    assert parsed.bozo == 1
    assert [e.link for e in parsed.entries] == [BASE + "/broken/b1.html", BASE + "/broken/b2.html"]
    assert all(e.get("published_parsed") for e in parsed.entries)


def test_relative_atom_links_resolve_through_xml_base_not_the_feed_url():
    # The Civil Monitor feed sits in /civilmonitor/atom/ but its links are relative to /civilmonitor/.
    links = [e.link for e in parse_feed(DEMO, "/civilmonitor/atom/feed.xml").entries]
    assert all(link.startswith(BASE + "/civilmonitor/") and "/atom/" not in link for link in links)
    raw = (DEMO / "civilmonitor/atom/feed.xml").read_text(encoding="utf-8")
    assert 'href="news/' in raw and 'xml:base="{base}/civilmonitor/"' in raw
    wire = parse_feed(SITE, "/wire/atom.xml").entries[0]
    assert wire.link == BASE + "/news/a2.html"


def test_test_site_cases_are_all_present():
    news = [e.link for e in parse_feed(SITE, "/news/feed.xml").entries]
    wire = [e.link for e in parse_feed(SITE, "/wire/atom.xml").entries]
    assert BASE + "/news/a1.html?utm_source=rss&utm_medium=feed" in news and BASE + "/news/a1.html" in news
    assert set(news) & set(wire) == {BASE + "/news/a1.html"}  # the same page in two feeds
    assert BASE + "/news/amp/a3.html" in news and BASE + "/news/a3.html" in wire
    amp = load_page(SITE / "news/amp/a3.html")
    assert amp.xpath("//link[@rel='canonical']/@href") == [BASE + "/news/a3.html"]


def test_every_dated_test_entry_is_in_november_2026_and_one_is_undated():
    entries = [e for _root, path in [k for k in FEEDS if k[0] == SITE] for e in parse_feed(SITE, path).entries]
    dates = [e.get("published_parsed") or e.get("updated_parsed") for e in entries]
    assert sum(d is None for d in dates) == 1
    assert all((d.tm_year, d.tm_mon) == (2026, 11) for d in dates if d)


def test_every_linked_page_exists_except_the_intended_404():
    for (root, path) in FEEDS:
        for entry in parse_feed(root, path).entries:
            target = file_for(root, entry.link)
            if urlsplit(entry.link).path in INTENDED_404[root]:
                assert not target.exists(), f"{entry.link} is meant to 404"
            else:
                assert target.is_file(), f"{path}: {entry.link} has no page"


def test_each_site_has_its_intended_404_linked_from_a_feed():
    for root, missing in INTENDED_404.items():
        linked = {urlsplit(e.link).path for (r, path) in FEEDS if r == root for e in parse_feed(r, path).entries}
        assert missing <= linked


# Pages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("root,path", ALL_PAGES, ids=[str(p.relative_to(r)) for r, p in ALL_PAGES])
def test_every_page_has_a_title_metadata_and_a_body_of_the_right_length(root, path):
    tree = load_page(path)
    assert (tree.findtext(".//title") or "").strip()
    assert tree.xpath("//meta[@property='og:title']/@content")
    assert tree.xpath("//meta[@property='og:url']/@content")[0].startswith(BASE + "/")
    assert tree.xpath("//meta[@property='article:published_time']/@content")[0].startswith("2026-11-")
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    assert len(canonical) == 1 and file_for(root, canonical[0]).is_file()
    low, high = BODY_RANGE[root]
    assert low <= len(body_words(tree)) <= high


def test_some_demo_pages_carry_json_ld_and_some_do_not():
    with_ld = [p for p in html_pages(DEMO) if '"@type": "NewsArticle"' in p.read_text(encoding="utf-8")]
    assert 0 < len(with_ld) < len(html_pages(DEMO))


def test_demo_has_about_fourteen_pages_in_four_outlets():
    pages = html_pages(DEMO)
    assert 12 <= len(pages) <= 16
    assert {p.relative_to(DEMO).parts[0] for p in pages} == {"azemedia", "civilmonitor", "caucasuswire", "worlddesk"}


def test_demo_has_a_russian_page_and_a_georgian_script_page():
    by_lang = {load_page(p).get("lang"): p for p in html_pages(DEMO)}
    assert re.search(r"[а-яё]{4}", " ".join(body_words(load_page(by_lang["ru"]))))
    georgian = " ".join(body_words(load_page(by_lang["ka"])))
    assert len(re.findall(r"[\u10d0-\u10ff]+", georgian)) >= 100


def test_aze_media_page_has_its_wordpress_chrome():
    text = re.sub(r"\s+", " ", load_page(DEMO / "azemedia/2026/11/families-return-lachin/index.html").text_content())
    for chrome in ("Share6Tweet4SendShare", "No Result", "View All Result", "Related Posts", "New articles", "© 2022"):
        assert chrome in text
    main_menu = load_page(DEMO / "azemedia/2026/11/families-return-lachin/index.html").xpath(
        "//ul[contains(@class,'jeg_main_menu')]//a/text()")
    assert main_menu == ["Opinion", "News", "Economy", "Energy", "Ecology", "Culture", "Diaspora", "Interview",
                         "Science", "Logistics-Transport", "Gender", "History", "Defense", "Karabakh"]


def _shingles(words: list[str], n: int = 5) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_syndicated_wire_story_is_a_near_duplicate_under_another_title_and_byline():
    original = load_page(DEMO / "caucasuswire/en/2026/11/14/armenia-azerbaijan-border-talks.html")
    copy = load_page(DEMO / "worlddesk/world/2026/nov/15/armenia-azerbaijan-fresh-border-talks.html")
    # Compare the article bodies only: the copy's standfirst is a <p> too.
    a = [w.lower() for w in re.findall(r"\w+", " ".join(original.xpath("//div[@itemprop='articleBody']//p/text()")))]
    b = [w.lower() for w in re.findall(r"\w+", " ".join(copy.xpath("//div[@id='maincontent']//p/text()")))]
    jaccard = len(_shingles(a) & _shingles(b)) / len(_shingles(a) | _shingles(b))
    assert 0.7 < jaccard < 1.0
    assert original.findtext(".//h1") != copy.findtext(".//h1")
    byline_original = original.xpath("string(//*[@itemprop='author'])")
    byline_copy = copy.xpath("string(//address//a[@rel='author'])")
    assert byline_original and byline_copy and byline_copy not in byline_original


def test_irrelevant_demo_pages_do_not_name_the_region():
    region = re.compile(r"\b(?:Caucasus|Armenia\w*|Azerbaijan\w*|Tbilisi|Baku|Yerevan|Karabakh|Dagestan|Chechnya)\b")
    for name in ("us-news/2026/nov/17/atlanta-transit-expansion-beltline.html",
                 "environment/2026/nov/12/olive-harvest-drought-mediterranean.html"):
        assert not region.search(" ".join(body_words(load_page(DEMO / "worlddesk" / name))))
    assert not region.search(" ".join(body_words(load_page(SITE / "broken/b2.html"))))


# Feed lists -------------------------------------------------------------------------------------


@pytest.mark.parametrize("root", [DEMO, SITE], ids=["demo", "tests"])
def test_feed_list_parses_and_points_at_the_site_feeds(root):
    feeds = yaml.safe_load((root / "feeds.yaml").read_text(encoding="utf-8"))["feeds"]
    assert len({f["id"] for f in feeds}) == len(feeds)
    for feed in feeds:
        assert feed["name"] and feed["language"] and feed["country"]
        assert feed["url"].startswith("{base}/")
        assert (root, feed["url"][len("{base}"):]) in FEEDS
    assert {path for r, path in FEEDS if r == root} == {f["url"][len("{base}"):] for f in feeds}


# The server -------------------------------------------------------------------------------------


def test_sample_site_answers_a_repeated_get_with_304():
    with SampleSite(SITE) as site, httpx.Client(timeout=5) as client:
        first = client.get(site.url("/news/a1.html"))
        assert first.status_code == 200 and site.base.encode() in first.content and b"{base}" not in first.content
        etag = first.headers["etag"]
        second = client.get(site.url("/news/a1.html"), headers={"If-None-Match": etag})
        assert second.status_code == 304 and second.content == b""
        assert client.get(site.url("/news/gone.html")).status_code == 404
        assert site.statuses("/news/a1.html") == [200, 304]
