"""Publication dates: the local day, the page's own date line, locale month names, numeric forms.

Each date failure class of the extraction issue has a real small page under tests/data/dates/,
extracted through the whole HTML path (extract_html → metadata → choose_date).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from extractors.date_text import find_dates, month_number
from extractors.html import extract_html

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
DATES = Path(__file__).parent / "data" / "dates"


def _published(name: str, url: str | None = None, now: datetime = NOW):
    article = extract_html((DATES / f"{name}.html").read_bytes(), url=url, now=now)
    return article.published, article.published_source


def test_utc_evening_timestamp_gives_the_local_day_when_the_page_carries_its_offset():
    published, source = _published("utc_evening_offset_elsewhere")
    assert published == "2023-11-08T22:35:29-08:00"  # the same instant, in the page's zone
    assert source == "json-ld"


def test_utc_timestamp_gives_the_local_day_the_visible_time_shows():
    # 20:30 UTC shown as "15 հուլիսի 2023, 00:30" on the page: the page is at UTC+4.
    published, _ = _published("utc_instant_visible_local_time")
    assert published == "2023-07-15T00:30:00+04:00"


def test_late_utc_timestamp_takes_the_next_day_the_url_spells():
    url = "https://news.example/esteri/2023/11/02/diretta/vertice-gas/"
    assert _published("utc_instant_url_day", url=url)[0] == "2023-11-02"
    # Without the URL nothing says the zone: the instant is kept as it is.
    assert _published("utc_instant_url_day")[0] == "2023-11-01T23:01:00+00:00"


def test_visible_date_line_wins_over_json_ld_that_disagrees():
    published, source = _published("jsonld_disagrees_with_visible_date")
    assert published[:10] == "2023-11-07" and source == "dateline"


def test_masthead_date_does_not_beat_the_articles_own_date_line():
    published, source = _published("masthead_date")
    assert (published, source) == ("2023-07-14", "dateline")


def test_apostrophe_two_digit_year_is_read():
    assert _published("apostrophe_year")[0] == "2012-06-27"


@pytest.mark.parametrize("name", ["month_ka", "month_hy", "month_az", "month_ru", "month_tr", "month_fr", "month_de"])
def test_regional_month_names_on_a_date_line_are_read(name):
    published, source = _published(name)
    # No zone is written next to "18:05", so only the day is an instant-free fact.
    assert (published, source) == ("2023-07-14", "dateline")


@pytest.mark.parametrize("name", ["numeric_us", "numeric_iso"])
def test_numeric_date_lines_are_read(name):
    assert _published(name)[0] == "2023-07-14"


def test_a_date_line_in_the_future_is_rejected():
    published, _ = _published("future_dateline")
    assert published is None or published[:4] != "2031"


def test_a_local_time_stamped_utc_keeps_its_day_instead_of_reading_as_the_future():
    # 03:40 "+00:00" seen at 00:00 UTC: a site at UTC+4 stamping its wall clock as UTC. Dropping
    # it as a future date lost the date of every item such a site published in the last 4 hours.
    published, source = _published("local_time_labelled_utc")
    assert published[:10] == "2026-01-01" and "+00:00" not in published and source == "json-ld"
    # a whole day ahead is still no date
    assert _published("local_time_labelled_utc", now=NOW - timedelta(days=1))[0] is None


def test_a_masthead_today_is_not_the_date_of_an_article_that_shows_none():
    # a top bar's "today" above the headline, in another region of the page than the headline:
    # neither the date line nor the free-text search may take it
    seen = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
    assert _published("masthead_today_no_article_date_ka", now=seen) == (None, None)


def test_a_georgian_year_first_date_line_is_read():
    seen = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
    published, source = _published("georgian_year_first_date_line", now=seen)  # "2026 წლის 15 ნოემბერი, 13:42"
    assert published[:10] == "2026-11-15" and source == "dateline"


@pytest.mark.parametrize("name", ["day_without_year", "dated_headline_list_only"])
def test_no_date_is_invented_from_a_yearless_day_or_a_headline_list(name):
    assert _published(name) == (None, None)


def test_the_extract_path_keeps_a_date_line_inside_the_fourteen_hour_tolerance():
    # A page in UTC+14 may show tomorrow's day while it is still today in UTC.
    now = datetime(2023, 7, 13, 12, 0, tzinfo=timezone.utc)
    assert _published("numeric_iso", now=now)[0] == "2023-07-14"
    assert _published("numeric_iso", now=now - timedelta(hours=3))[0] is None


@pytest.mark.parametrize("text, expected", [
    ("14.07.2023", date(2023, 7, 14)),
    ("2023-07-14", date(2023, 7, 14)),
    ("07/14/2023", date(2023, 7, 14)),  # 14 cannot be a month
    ("12/25/2020", date(2020, 12, 25)),  # nor 25 (a day past 19 in second place was not read)
    ("27 Jun.'12", date(2012, 6, 27)),
    ("Wed Nov 08 2023", date(2023, 11, 8)),
    ("14 июля 2023 г.", date(2023, 7, 14)),
    ("2023 թ. հուլիսի 14", date(2023, 7, 14)),
    ("14 ივლისი, 2023", date(2023, 7, 14)),
    ("14 iyul 2023", date(2023, 7, 14)),
    ("14 Temmuz 2023", date(2023, 7, 14)),
    ("1er juillet 2023", date(2023, 7, 1)),
    ("14. Juli 2023", date(2023, 7, 14)),
    ("14:10 • 09.11.21", date(2021, 11, 9)),
    ("14 сент. 2023", date(2023, 9, 14)),
    ("14 ივლ. 2023", date(2023, 7, 14)),
    ("14 avq 2023", date(2023, 8, 14)),
])
def test_written_dates_are_read(text, expected):
    assert find_dates(text)[0].day == expected


def test_ambiguous_slashed_date_follows_the_pages_convention():
    assert find_dates("07/08/2023")[0].day == date(2023, 8, 7)
    assert find_dates("07/08/2023", month_first=True)[0].day == date(2023, 7, 8)
    assert find_dates("07.08.2023", month_first=True)[0].day == date(2023, 8, 7)  # dots: day first


def test_time_and_zone_next_to_a_date_are_kept():
    found = find_dates("Nov 8, 2023 / 10:35 PM PST")[0]
    assert (found.at, found.offset) == (time(22, 35), timedelta(hours=-8))
    found = find_dates("14 июля 2023, 12:30 МСК")[0]
    assert (found.at, found.offset) == (time(12, 30), timedelta(hours=3))
    assert find_dates("May 14 2023 18:00 GMT+4")[0].offset == timedelta(hours=4)


@pytest.mark.parametrize("text", ["14 July", "July 2023", "version 3.2", "31.02.2023", "room 12/14"])
def test_no_date_is_read_without_a_full_valid_day_month_and_year(text):
    assert find_dates(text) == []


def test_month_words_are_not_taken_from_ordinary_words():
    assert month_number("marketing") is None and month_number("maintenance") is None
    assert month_number("сентября") == 9 and month_number("Jun.") == 6 and month_number("ივლისს") == 7


def test_a_date_the_page_labels_as_its_date_is_read_away_from_the_headline():
    # "Datum" in a <dt>, the date in the <dd> of a side box, far from the headline.
    assert _published("labelled_date_in_sidebar") == ("2017-01-12", "dateline")


def test_url_day_is_the_last_plain_evidence_when_the_page_shows_none():
    url = "https://news.example/20200428/meet-the-swede-who-tattooed-a-face/"
    assert _published("day_without_year", url=url) == ("2020-04-28", "url")


def test_a_naive_markup_time_gets_the_offset_the_page_writes_elsewhere():
    assert _published("naive_markup_time_offset_elsewhere") == ("2023-11-08T22:35:29+04:00", "meta")


def test_a_date_line_pruned_with_its_caption_bar_is_read_on_the_intact_page():
    # Pruning drops caption-classed paragraphs as chrome; the date line sat in one and the page
    # has no markup date, so the intact page is asked.
    assert _published("dateline_in_pruned_caption") == ("2023-07-14", "dateline")


def test_the_pages_only_h1_is_its_headline_whatever_class_its_container_has():
    # The container's class says a breadcrumb trail sits in it; the sidebar's dated list must
    # not be taken instead of the line under the headline.
    assert _published("headline_in_breadcrumb_classed_intro") == ("2023-07-14", "dateline")


def test_a_future_modification_time_gives_no_date_not_the_first_of_its_month():
    # htmldate spells "only a year and month were seen" as the 1st: an invented date
    published, _ = _published("future_modified_time_only", now=datetime(2026, 12, 4, 11, 0, tzinfo=timezone.utc))
    assert published is None


def test_a_date_line_whose_time_is_tomorrow_in_every_zone_is_no_publication_date():
    now = datetime(2026, 12, 4, 11, 0, tzinfo=timezone.utc)  # 09:00 on 5 December is ahead even at UTC+14
    assert _published("dateline_tomorrow_with_time", now=now)[0] is None
    # a day later the same line is the date
    assert _published("dateline_tomorrow_with_time", now=now + timedelta(days=1))[0] == "2026-12-05"


def test_a_pages_unambiguous_slash_date_sets_how_its_ambiguous_ones_read():
    # "11/28/2026" can only be month first: the byline's "12/04/2026" is 4 December, not 12 April
    published, _ = _published("slash_dates_month_first_by_convention",
                              now=datetime(2026, 12, 5, tzinfo=timezone.utc))
    assert published[:10] == "2026-12-04"
