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


def test_an_item_a_few_hours_ahead_is_local_time_in_the_wrong_zone_and_dated_by_now():
    # 15:30 "GMT" at 12:00 UTC: a site stamping its wall clock (UTC+3/+4) as GMT. Dropped, every
    # item of such a site lost its date on the poll that first saw it.
    entry = by_slug(parsed("dates.xml"))["nodate-local-as-gmt"]
    assert entry.published == NOW
    page = "<html><body><article><p>" + "Gyumri residents gathered in the central square on Sunday. " * 8 + "</p></article></body></html>"
    record = make_record(extract_document(page, url=entry.link, now=NOW), article_id="a", url=entry.link,
                         canonical_url=entry.link, source="odd", first_seen=NOW, entry=entry)
    assert record.published == NOW.isoformat() and record.published_source == "feed"


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


@pytest.mark.parametrize("name", ["r2_dates_ru_months.xml", "r2_dates_hy_ka_az_months.xml"])
def test_item_dates_with_the_regions_month_names_or_numeric_forms_are_read(name):
    """feedparser reads English RFC 822 and ISO 8601 only: "2 декабря 2026 г., 14:30",
    "02 Դեկ 2026", "02 dekabr 2026" and "02.12.2026 14:30" gave no date."""
    entries = parsed(name).entries
    assert entries and all(entry.published is not None for entry in entries)
    assert {entry.published.date().isoformat() for entry in entries} == {"2026-12-02"}
    # with a zone written, the instant is exact; without one, the time is taken as UTC
    with_zone = [e for e in entries if e.published.hour == 10]
    assert with_zone and all(e.published.minute == 30 for e in entries)


def test_zone_names_of_the_region_and_gmt_offsets_give_the_right_instant():
    hours = {slug: entry.published.hour for slug, entry in by_slug(parsed("r2_dates_zone_names.xml")).items()}
    assert hours["tz-msk"] == 11  # 14:30 Moscow time is 11:30 UTC, not 14:30
    for slug in ("tz-amt", "tz-get", "tz-azt", "tz-gmt4", "tz-gmtp0400", "tz-plus0400", "tz-utc0400", "tz-iso"):
        assert hours[slug] == 10, slug
    # no zone written, in a feed whose other items write UTC+4 (8 of its 9 zoned dates): UTC+4 too
    assert hours["tz-none"] == 10


def test_a_time_without_a_zone_is_in_the_zone_the_feeds_other_items_write():
    from extractors.feeds import feed_zone

    feed = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Desk</title>'
            b'<link>https://desk.example.am/</link><description>d</description>'
            b'<item><title>One</title><link>https://desk.example.am/a/1</link><pubDate>Thu, 03 Dec 2026 09:40:00 AMT</pubDate></item>'
            b'<item><title>Two</title><link>https://desk.example.am/a/2</link><pubDate>Thu, 03 Dec 2026 08:10:00 +0400</pubDate></item>'
            b'<item><title>Three</title><link>https://desk.example.am/a/3</link><pubDate>03 \xd4\xb4\xd5\xa5\xd5\xaf 2026 09:15</pubDate></item>'
            b'<item><title>Four</title><link>https://desk.example.am/a/4</link><pubDate>2026-12-02</pubDate></item>'
            b'</channel></rss>')
    entries = {e.title: e.published for e in parse_feed(feed, feed_id="d", feed_url="https://desk.example.am/rss", now=NOW).entries}
    assert entries["Three"] == datetime(2026, 12, 3, 5, 15, tzinfo=timezone.utc)  # 09:15 in Yerevan, not 09:15 UTC
    assert entries["Four"] == datetime(2026, 12, 2, tzinfo=timezone.utc)  # a day alone stays that day
    assert feed_zone([{"published": "Thu, 03 Dec 2026 09:40:00 +0400"}]) is None  # one item says too little


def test_items_sharing_a_section_link_keep_their_own_permalink_guids():
    links = [entry.link for entry in parsed("r2_section_link_guid.xml").entries]
    assert links == [f"https://news.example.org/a/sec-{n}" for n in (1, 2, 3)]


@pytest.mark.parametrize("name", ["r2_yandex_full_text.xml", "r2_turbo_content.xml", "r2_description_full_text.xml"])
def test_the_items_full_text_is_found_in_the_extensions_and_descriptions_servers_use(name):
    from flows.pipeline import FEED_TEXT_MIN_CHARS, page_from_feed
    from extractors.errors import FetchError

    entry = parsed(name).entries[0]
    assert "negotiators met in Tbilisi" in entry.content
    page = page_from_feed(entry, FetchError("HTTP 403 (blocked)", url=entry.link, status=403, reason="blocked"))
    assert page is not None and len(page.body) > FEED_TEXT_MIN_CHARS
    assert "border delimitation" in extract_document(page.body, url=entry.link, now=NOW).text


@pytest.mark.parametrize("content_type", ["application/rss+xml; charset=utf-8", "text/xml", None])
def test_a_utf16_feed_is_read_by_its_byte_order_mark_whatever_the_header_says(content_type):
    feed = parse_feed((DATA / "r2_utf16_bom.xml").read_bytes(), feed_id="odd", feed_url="https://news.example.org/f",
                      content_type=content_type, now=NOW)
    assert feed.entries and feed.entries[0].title == "Пашинян и Алиев — переговоры" and not feed.malformed


@pytest.mark.parametrize("name", ["r2_php_warning_first.xml", "r2_bom_blank_lines_first.xml"])
def test_junk_before_the_xml_declaration_does_not_make_a_feed_malformed(name):
    feed = parsed(name)
    assert feed.entries and not feed.malformed and feed.entries[0].title == "Пашинян и Алиев — переговоры"


def test_a_proxied_items_original_address_is_its_link_not_the_click_counter():
    links = [entry.link for entry in parsed("r3_feedburner_origlink.xml").entries]
    assert links == ["https://news.example.am/2026/12/03/transit-lars.html",
                     "https://news.example.am/2026/12/03/rates.html",  # trackers dropped as from any link
                     "https://news.example.am/2026/12/03/plain.html"]


# --- fifth probe: labels the bytes contradict, bare ampersands, guids that are no address -------

def test_utf8_bytes_labelled_windows_1251_are_read_as_utf8():
    # the declaration says windows-1251 (header: no charset); the bytes are valid UTF-8 Cyrillic
    for content_type in ("application/rss+xml", "text/xml; charset=windows-1251"):
        feed = parse_feed((DATA / "r4_utf8_declared_cp1251.xml").read_bytes(), feed_id="odd",
                          feed_url="https://news.example.org/rss", content_type=content_type, now=NOW)
        assert feed.title == "Новости Кавказа" and feed.entries[0].title.startswith("Пашинян прибыл в Тбилиси")


def test_a_servers_default_latin1_header_yields_to_the_feeds_own_single_byte_declaration():
    feed = parse_feed((DATA / "r4_latin5_declared.xml").read_bytes(), feed_id="odd", feed_url="https://news.example.org/rss",
                      content_type="application/rss+xml; charset=ISO-8859-1", now=NOW)
    assert feed.entries[0].title.startswith("Iğdır'da Nahçıvan ile ağır")


def test_a_bare_ampersand_in_a_link_is_the_character_not_an_entity():
    feed = parsed("r4_bare_ampersands.xml")
    links = [entry.link for entry in feed.entries]
    assert "https://news.example.org/a.php?id=5&lang=ru&section=2" in links  # not "id=5〈=ru"
    assert "https://news.example.org/a.php?id=6&lang=ru" in links
    assert any(entry.title == "Tom & Jerry & Co" for entry in feed.entries)  # CDATA left as written


def test_a_guid_that_is_no_address_never_becomes_one():
    links = [entry.link for entry in parsed("r4_shared_link_plain_guids.xml").entries]
    assert not any(link.endswith(("/g1", "/12345")) for link in links)
    assert "https://news.example.org/news/2026/12/03/bridge.html" in links  # a path guid still is the item's own
