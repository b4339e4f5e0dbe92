"""Feed XML → entries with normalised links (pure: extractors.feeds, extractors.urls)."""

from datetime import datetime, timezone

import pytest

from extractors.errors import ExtractionError
from extractors.feeds import feed_body_hash, parse_feed
from extractors.urls import normalise_url


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("https://Example.com/a/b?utm_source=x&id=3#frag", "https://example.com/a/b?id=3"),
        (" https://example.com/a\n  /b ", "https://example.com/a/b"),
        ("https://example.com/news/some title.html", "https://example.com/news/some%20title.html"),
        ("https://example.com/x?q=two words&id=1", "https://example.com/x?id=1&q=two+words"),
        ("https://example.com/a very\n   long/link", "https://example.com/a%20verylong/link"),
        ("https://example.com/x?gclid=1&fbclid=2&yclid=3&mc_cid=4", "https://example.com/x"),
        ("https://example.com/x?b=2&a=1", "https://example.com/x?a=1&b=2"),
        ("http://example.com:80/x", "http://example.com/x"),
        ("//cdn.example.com/x", "https://cdn.example.com/x"),
        ("https://example.com/news.php?id=77&utm_campaign=y", "https://example.com/news.php?id=77"),
    ],
)
def test_links_are_normalised_to_one_spelling(raw, expected):
    assert normalise_url(raw) == expected


@pytest.mark.parametrize("raw", ["mailto:a@b.c", "javascript:void(0)", "", "ftp://example.com/file"])
def test_non_web_links_are_rejected(raw):
    assert normalise_url(raw) is None


def test_relative_link_resolves_against_base():
    assert normalise_url("../b?utm_medium=x", base="https://e.org/news/a/") == "https://e.org/news/b"


def test_rss_entries_have_normalised_links_dates_and_authors(data_dir):
    body = (data_dir / "feeds" / "rss_relative.xml").read_bytes()
    parsed = parse_feed(body, feed_id="desk", feed_url="https://news.example.org/feed/")
    links = [e.link for e in parsed.entries]
    assert links == [
        "https://news.example.org/politics/border-commission",
        "https://news.example.org/economy/gas-exports?id=42",
        "https://news.example.org/culture/festival",
    ]
    first = parsed.entries[0]
    assert first.published == datetime(2026, 11, 21, 5, 15, tzinfo=timezone.utc)
    assert first.author == "Anna Petrosyan"
    assert first.language == "en"
    assert parsed.entries[2].published is None
    assert not parsed.malformed


def test_atom_links_resolve_against_xml_base(data_dir):
    body = (data_dir / "feeds" / "atom_xml_base.xml").read_bytes()
    parsed = parse_feed(body, feed_id="ge", feed_url="https://ge.example.net/feeds/atom.xml")
    assert [e.link for e in parsed.entries] == [
        "https://ge.example.net/ka/news/2026/11/protest.html",
        "https://ge.example.net/ka/economy/port.html",
    ]
    assert parsed.entries[0].language == "ka"
    assert "Full text paragraph one" in parsed.entries[0].content
    # published wins over updated when both are given
    assert parsed.entries[1].published == datetime(2026, 11, 19, 7, 0, tzinfo=timezone.utc)


def test_malformed_feed_that_yields_entries_is_used_with_a_flag(data_dir):
    parsed = parse_feed((data_dir / "feeds" / "malformed.xml").read_bytes(), feed_id="az", feed_url="https://az.example.com/rss")
    assert parsed.malformed and parsed.problem
    assert [e.link for e in parsed.entries] == ["https://az.example.com/first", "https://az.example.com/second"]


@pytest.mark.parametrize("name", ["not_a_feed.html", "garbage.bin"])
def test_unreadable_feed_is_a_clear_error(data_dir, name):
    with pytest.raises(ExtractionError):
        parse_feed((data_dir / "feeds" / name).read_bytes(), feed_id="x", feed_url="https://x.example/")


def test_feed_body_hash_changes_only_with_the_body():
    assert feed_body_hash(b"<rss/>") == feed_body_hash(b"<rss/>")
    assert feed_body_hash(b"<rss/>") != feed_body_hash(b"<rss />")


def test_a_web_page_given_for_a_feed_names_the_feeds_it_announces(data_dir):
    from extractors.feeds import NotAFeed

    page = (data_dir / "corpus_site" / "index.html").read_bytes()
    with pytest.raises(NotAFeed) as caught:
        parse_feed(page, feed_id="desk", feed_url="https://desk.example/")
    # the site's feed first, its comments feed after; the Russian edition is no feed
    assert caught.value.feed_links == ["https://desk.example/desk/feed.xml", "https://desk.example/desk/comments/feed.xml"]
    assert str(caught.value) == "not a feed: the URL returned an HTML page, which names a feed at https://desk.example/desk/feed.xml"


def test_a_broken_web_page_is_still_called_a_web_page_not_a_broken_feed():
    from extractors.feeds import NotAFeed

    page = b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><div><p>unclosed <b>tags<br></div>\n"
    with pytest.raises(NotAFeed, match="returned an HTML page$"):
        parse_feed(page, feed_id="x", feed_url="https://x.example/")


def test_a_json_feed_gives_entries_like_rss(data_dir):
    parsed = parse_feed((data_dir / "feeds" / "json_feed.json").read_bytes(), feed_id="notes",
                        feed_url="https://notes.example.ge/feed.json", content_type="application/feed+json")
    assert parsed.title == "Kavkaz Notes" and parsed.language == "ka" and not parsed.malformed
    first, second = parsed.entries  # the item without a URL is skipped
    assert first.link == "https://notes.example.ge/2026/11/batumi-port" and first.author == "Nino Beridze"
    assert first.published == datetime(2026, 11, 19, 6, 0, tzinfo=timezone.utc) and "პორტის" in first.content
    assert second.link == "https://notes.example.ge/2026/11/kutaisi-airport" and second.language == "en"
    assert second.published == datetime(2026, 11, 18, 7, 0, tzinfo=timezone.utc) and second.author == "Kavkaz Notes"


def test_a_json_feed_item_whose_id_is_its_address_needs_no_url():
    feed = ('{"version": "https://jsonfeed.org/version/1.1", "title": "Sumqayit Today", "items": ['
            '{"id": "https://sumqayit.example.az/xeber/4512", "title": "Sumqayıtda yeni park", '
            '"content_text": "Sumqayıtda yeni park açıldı.", "date_published": "2026-12-03T10:00:00+04:00"},'
            '{"id": "4513", "title": "No address at all", "content_text": "nothing to fetch"}]}').encode()
    parsed = parse_feed(feed, feed_id="sq", feed_url="https://sumqayit.example.az/feed.json",
                        content_type="application/feed+json")
    assert [entry.link for entry in parsed.entries] == ["https://sumqayit.example.az/xeber/4512"]
    assert parsed.unlinked == 1


def test_a_broken_json_feed_is_a_clear_error():
    with pytest.raises(ExtractionError, match="^not a readable feed: bad JSON Feed"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1", "items": [', feed_id="x", feed_url="https://x.example/")


def test_percent_escapes_in_either_case_are_one_address():
    assert normalise_url("https://news.example.am/%d5%a1%d5%b4/1") == normalise_url("https://news.example.am/%D5%A1%D5%B4/1")


@pytest.mark.parametrize("tracker", ["_openstat=dGVzdDsxOzE7", "fb_action_ids=123", "fb_source=feed", "PHPSESSID=ab12",
                                     "jsessionid=77", "cmp=rss"])
def test_campaign_share_and_session_parameters_are_not_part_of_an_address(tracker):
    assert normalise_url(f"https://news.example.am/a/1?id=5&{tracker}") == "https://news.example.am/a/1?id=5"


@pytest.mark.parametrize("article_id", ["refid=101", "ref_id=7", "source_id=8", "sourceid=9", "uid=12", "cid=3",
                                        "referendum=2026"])
def test_parameters_that_name_the_article_stay_even_when_they_contain_a_tracker_word(article_id):
    # dropping one merges distinct articles into one address: two items, one fetch, one lost
    assert normalise_url(f"https://news.example.az/news.php?{article_id}&utm_source=rss&ref=home") == \
        f"https://news.example.az/news.php?{article_id}"


@pytest.mark.parametrize("query, kept", [("t=1733312345678", ""), ("_=1733312345", ""), ("cb=1733312345", ""),
                                          ("id=1733312345", "?id=1733312345"), ("t=12", "?t=12"), ("v=abc", "?v=abc")])
def test_a_time_stamp_under_a_cache_busters_name_is_dropped_and_an_id_of_as_many_digits_stays(query, kept):
    # a cache-buster changes on every fetch: kept, every poll stored the article once more
    assert normalise_url(f"https://news.example.ge/a/sess-2?{query}&from=rss") == f"https://news.example.ge/a/sess-2{kept}"


def test_a_sites_own_page_loading_recaptcha_for_its_forms_is_no_bot_check():
    from extractors.feeds import NotAFeed

    page = (b'<html><head><title>News</title><script src="https://www.google.com/recaptcha/api.js"></script>'
            b"</head><body><p>Read the day's news from Yerevan.</p></body></html>")
    with pytest.raises(NotAFeed):
        parse_feed(page, feed_id="x", feed_url="https://desk.example/news")


def test_a_canonical_link_to_another_site_is_a_republication_not_the_same_article():
    from extractors.article import canonical_for, extract_document

    def canonical(page_url: str, canonical_url: str) -> str:
        page = (f'<html><head><link rel="canonical" href="{canonical_url}"><title>Law adopted</title></head><body>'
                "<article><h1>Law adopted</h1>" + "<p>The parliament of Georgia adopted the law on Tuesday, "
                "officials in Tbilisi said after the vote.</p>" * 3 + "</article></body></html>")
        return canonical_for(extract_document(page, url=page_url), page_url)

    # the same site: a mobile host, a language subdomain, an AMP path all fold into the canonical
    assert canonical("https://m.bbc.co.uk/news/amp/123", "https://www.bbc.co.uk/news/123") == "https://www.bbc.co.uk/news/123"
    assert canonical("https://en.news.am/eng/news/1.html", "https://news.am/eng/news/1.html") == "https://news.am/eng/news/1.html"
    # another outlet's article named as canonical: the copy keeps its own identity
    assert canonical("https://baku-xeber.az/en/georgia-law-12348.html",
                     "https://tbilisi-news.ge/en/law-adopted") == "https://baku-xeber.az/en/georgia-law-12348.html"


@pytest.mark.parametrize("written", ["2026-12-03 10:00:00 +04", "2026-12-03 10:00:00 +0400", "Thu, 03 Dec 2026 10:00:00 +04:00"])
def test_a_feed_date_with_a_two_digit_offset_keeps_its_zone(written):
    from extractors.feeds import _written_date

    assert _written_date(written) == datetime(2026, 12, 3, 6, 0, tzinfo=timezone.utc)
