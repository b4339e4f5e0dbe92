"""The bundled feed list: parses, safe ids, absolute URLs, the region covered."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import yaml

from config import FEEDS_FILE
from extractors.language import normalise_language_code
from extractors.records import Feed

COUNTRIES = {"am", "az", "ge", "ru-north-caucasus", "intl"}
KEY_SAFE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    data = yaml.safe_load(FEEDS_FILE.read_text("utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("feeds"), list)
    return data["feeds"]


def test_every_entry_makes_a_feed_record(entries):
    allowed = {"id", "name", "url", "country", "language", "status", "note"}
    for item in entries:
        assert isinstance(item, dict), item
        assert set(item) <= allowed, item
        feed = Feed(**item)
        assert feed.id and feed.name and feed.url


def test_ids_are_unique_and_key_safe(entries):
    ids = [item["id"] for item in entries]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    for feed_id in ids:
        # The id names the state object (state/feeds/<id>.json) on disk and on S3.
        assert KEY_SAFE_ID.match(feed_id), feed_id
        assert len(feed_id) <= 64


def test_urls_are_absolute_http_and_unique(entries):
    urls = [item["url"] for item in entries]
    assert len(urls) == len(set(urls))
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme in {"http", "https"}, url
        assert parts.netloc and "." in parts.hostname, url
        assert not re.search(r"\s", url), url


def test_countries_and_languages_are_known_codes(entries):
    for item in entries:
        assert item.get("country") in COUNTRIES, item
        language = item.get("language")
        assert language is None or normalise_language_code(language) == language, item


def test_at_least_twenty_outlets(entries):
    # "<Outlet> (<Language>)": the part before " (" names the outlet.
    outlets = {item["name"].split(" (")[0].strip() for item in entries}
    assert len(outlets) >= 20, sorted(outlets)


def test_every_country_group_is_present(entries):
    assert {item["country"] for item in entries} == COUNTRIES


def test_the_regions_own_languages_are_covered(entries):
    assert {"hy", "az", "ka", "ru", "en"} <= {item.get("language") for item in entries}


def test_some_outlets_have_several_language_feeds(entries):
    by_outlet: dict[str, set[str]] = {}
    for item in entries:
        by_outlet.setdefault(item["name"].split(" (")[0], set()).add(item.get("language"))
    assert sum(len(langs) >= 3 for langs in by_outlet.values()) >= 3


def test_header_says_the_urls_were_not_checked():
    head = FEEDS_FILE.read_text("utf-8").split("\nfeeds:")[0]
    assert "NOT CHECKED" in head and "verify" in head


def test_the_list_passes_the_validation_the_poll_uses():
    from flows.feed_list import check_file

    feeds, problems = check_file(FEEDS_FILE)
    assert problems == [] and feeds


def test_every_unverified_entry_says_why(entries):
    for item in entries:
        if item.get("status") == "unverified":
            assert item.get("note"), item


def test_addresses_found_wrong_by_live_checks_are_gone(entries):
    """Issue 12's live checks: HTML instead of a feed, no feed, a 404, a dead outlet, a moved edition."""
    urls = [item["url"] for item in entries]
    gone = ("apa.az/en/rss", "interpressnews.ge", "agenda.ge", "dfwatch.net", "armenpress.am/rss/eng",
            "eng.kavkaz-uzel.eu", "civil.ge/ka/feed")
    assert not [url for url in urls if any(bad in url for bad in gone)]
    assert "https://apa.az/rss" in urls and "https://armenpress.am/en/rss/articles" in urls
    assert any("caucasianknot.info" in url for url in urls)


def test_a_feed_list_with_a_key_given_twice_is_refused_not_read_as_its_last_value(tmp_path):
    from flows.feed_list import check_file

    listed = tmp_path / "feeds.yaml"
    listed.write_text("feeds:\n  - id: a\n    name: A\n    url: https://a.example/feed\n    url: https://b.example/feed\n")
    feeds, problems = check_file(listed)
    assert not feeds and "'url' given twice" in problems[0].message


def test_a_huge_file_given_as_the_feed_list_is_refused_without_reading_it_all(tmp_path):
    from flows.feed_list import MAX_FEED_LIST_BYTES, check_file

    listed = tmp_path / "dump.yaml"
    listed.write_bytes(b"#" * (MAX_FEED_LIST_BYTES + 10))
    feeds, problems = check_file(listed)
    assert not feeds and "not a feed list" in problems[0].message
