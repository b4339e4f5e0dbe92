"""Feeds as real servers write them: dates a CMS made up, titles carrying markup, links that are
empty or point back at the feed, and XML that is not a feed at all (tests/data/feeds_odd/)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from extractors.article import extract_document, make_record
from extractors.errors import ExtractionError
from extractors.feeds import parse_feed

DATA = Path(__file__).resolve().parent / "data" / "feeds_odd"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)


def parsed(name: str):
    return parse_feed((DATA / name).read_bytes(), feed_id="odd", feed_url=f"https://news.example.org/{name}", now=NOW)


def by_slug(feed) -> dict:
    return {entry.link.rsplit("/", 1)[1]: entry for entry in feed.entries}


def test_impossible_feed_dates_are_dropped_and_real_ones_kept():
    entries = by_slug(parsed("dates.xml"))
    for slug in ("nodate-year-1970", "nodate-epoch-neg", "nodate-year-0001", "nodate-year-9999",
                 "nodate-far-future", "nodate-near-future"):
        assert entries[slug].published is None, slug
    assert entries["nodate-iso-offset"].published == datetime(2024, 12, 2, 20, 0, tzinfo=timezone.utc)
    assert entries["nodate-two-digit-year"].published == datetime(2024, 12, 3, 10, 0, tzinfo=timezone.utc)


def test_a_record_never_takes_a_future_feed_date_when_the_page_has_none():
    entry = by_slug(parse_feed((DATA / "dates.xml").read_bytes(), feed_id="odd", feed_url="https://news.example.org/f",
                               now=datetime(2101, 1, 1, tzinfo=timezone.utc)))["nodate-far-future"]
    assert entry.published is not None  # believable in 2101: the record decides by its own first_seen
    page = "<html><body><article><p>" + "Gyumri residents gathered in the central square on Sunday. " * 8 + "</p></article></body></html>"
    record = make_record(extract_document(page, url=entry.link, now=NOW), article_id="a", url=entry.link,
                         canonical_url=entry.link, source="odd", first_seen=NOW, entry=entry)
    assert record.published is None


@pytest.mark.parametrize("name, slug, title", [
    ("html_titles.xml", "ht-one", "Breaking: Pashinyan & Aliyev meet"),
    ("html_titles.xml", "ht-two", "Tbilisi & Baku — talks"),
    ("html_titles.xml", "ht-three", 'Untitled page "quoted"'),
    ("atom_xhtml.xml", "xh-one", "Entry with xhtml title"),
    ("atom_xhtml.xml", "xh-two", "HTML typed & title"),
    ("atom_xhtml.xml", "xh-three", "Text typed <tag> & title"),  # a text title's "<tag>" is literal
])
def test_item_titles_are_plain_text_whatever_markup_the_feed_used(name, slug, title):
    assert by_slug(parsed(name))[slug].title == title


@pytest.mark.parametrize("name, expected", [
    ("emptylinks.xml", {"el-one", "el-two", "el-three", "el-four"}),  # empty, blank, "#", the site's front page
    ("atom_emptyhref.xml", {"eh-one", "eh-two"}),  # href="": the entry's id is its address
    ("guid.xml", {"guid-one", "guid-two", "guid-four", "guid-five"}),  # isPermaLink="false" alone is no address
])
def test_an_unusable_link_gives_way_to_the_items_web_guid(name, expected):
    feed = parsed(name)
    assert set(by_slug(feed)) == expected
    assert all(entry.link != f"https://news.example.org/{name}" for entry in feed.entries)


@pytest.mark.parametrize("name, words", [
    ("sitemap_news.xml", "a sitemap"),
    ("feeds.opml", "feeds import"),
    ("api_error.xml", "root is <error>"),
    ("nolinks.xml", "none of its 3 items has a web link"),
])
def test_xml_that_is_no_feed_is_refused_in_one_line(name, words):
    with pytest.raises(ExtractionError) as refused:
        parsed(name)
    assert words in str(refused.value) and "\n" not in str(refused.value)


def test_a_valid_feed_with_no_items_is_still_an_empty_feed():
    body = b"<?xml version='1.0'?><rss version='2.0'><channel><title>Quiet</title><link>https://news.example.org/</link></channel></rss>"
    feed = parse_feed(body, feed_id="odd", feed_url="https://news.example.org/feed", now=NOW)
    assert feed.entries == [] and feed.title == "Quiet"


def test_a_json_feed_date_in_the_future_is_dropped_too():
    body = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
            b'{"id": "1", "url": "https://news.example.org/a", "date_published": "2100-01-01T00:00:00Z"},'
            b'{"id": "2", "url": "https://news.example.org/b", "date_published": "2024-12-02T10:00:00+04:00"}]}')
    entries = by_slug(parse_feed(body, feed_id="odd", feed_url="https://news.example.org/feed.json", now=NOW))
    assert entries["a"].published is None
    assert entries["b"].published == datetime(2024, 12, 2, 6, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("header", ["windows-1251", "utf-8"])
def test_a_charset_header_the_bytes_contradict_does_not_garble_a_russian_feed(header):
    """KOI8-R bytes declared koi8-r by the XML, served as windows-1251 (or UTF-8) by the server:
    either label would decode the bytes, one into Russian, one into "рБЫЙОСО ЧУФТЕФЙМУС"."""
    feed = parse_feed((DATA / "koi8r_declared.xml").read_bytes(), feed_id="odd", feed_url="https://news.example.org/f",
                      content_type=f"application/rss+xml; charset={header}", now=NOW)
    assert feed.entries[0].title == "Пашинян встретился с президентом Грузии"


def test_a_page_whose_header_and_meta_disagree_is_read_in_the_charset_its_bytes_bear_out():
    from extractors.html import decode_html

    text = ("В Тбилиси прошла встреча министров иностранных дел Армении и Азербайджана. "
            "Стороны обсудили делимитацию границы и открытие коммуникаций в регионе. ") * 3
    koi8 = f'<html><head><meta charset="koi8-r"></head><body><p>{text}</p></body></html>'.encode("koi8-r")
    assert text in decode_html(koi8, "text/html; charset=windows-1251")
    # the same bytes labelled the other way round: still the reading that is Russian
    cp1251 = f'<html><head><meta charset="koi8-r"></head><body><p>{text}</p></body></html>'.encode("cp1251")
    assert text in decode_html(cp1251, "text/html; charset=windows-1251")
