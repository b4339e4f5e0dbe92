"""Digest sections follow the story's country (the entities that made it relevant), not the outlet's.

Fixture: tests/data/digest_countries (its README.md has the expected sections).
"""

import json
from datetime import date, datetime, timezone
from pathlib import Path

from config.settings import Settings
from extractors.records import ArticleRecord
from flows.digest import render
from flows.digest_content import build_stories, load_feeds, sections_of

DATA = Path(__file__).resolve().parent / "data"
FEEDS = load_feeds(DATA / "digest" / "feeds.yaml")


def fixture_records() -> list[ArticleRecord]:
    return [ArticleRecord.from_dict(json.loads(p.read_text(encoding="utf-8")))
            for p in sorted((DATA / "digest_countries").glob("*.json"))]


def section_of_each_story() -> dict[str, str]:
    return {story.article_id: section.name for section in sections_of(build_stories(fixture_records(), FEEDS))
            for story in section.stories}


def test_a_dagestan_story_from_an_armenian_outlet_goes_under_the_north_caucasus():
    assert section_of_each_story()["kto1"] == "North Caucasus"


def test_the_strongest_country_of_the_entities_wins_over_the_outlets_country():
    sections = section_of_each_story()
    assert sections["ge1"] == "Georgia"  # an international outlet, a Georgian story
    assert sections["talks1"] == "Armenia"  # am,az and az,am tie: the headline's order decides


def test_the_outlets_country_is_the_fallback_when_no_entity_names_one():
    sections = section_of_each_story()
    assert sections["wide1"] == "Georgia"  # region-wide terms only
    assert sections["old1"] == "Armenia"  # a record judged before countries were recorded


def test_also_reported_by_shows_the_other_outlets_headline():
    stories = build_stories(fixture_records(), FEEDS)
    settings = Settings(timezone="UTC", feeds_file=DATA / "digest" / "feeds.yaml")
    html, text = render(date(2026, 11, 21), stories, [], settings, datetime(2026, 11, 22, 7, tzinfo=timezone.utc))
    kto = next(s for s in stories if s.article_id == "kto1")
    assert [(m.source_name, m.title) for m in kto.also] == [("APA", "Dagestan: KTO regime introduced in Karabudakhkent")]
    assert 'APA: "Dagestan: KTO regime introduced in Karabudakhkent"' in text
    assert "Dagestan: KTO regime introduced in Karabudakhkent" in html
    north = text.index("== North Caucasus ==")
    assert north < text.index("Counter-terrorist operation declared") < text.index('APA: "Dagestan')


def test_a_follow_up_from_an_outlet_already_named_is_shown_and_its_translation_is_not():
    import dataclasses

    records = fixture_records()
    kto1 = next(r for r in records if r.id == "kto1")
    follow_up = dataclasses.replace(kto1, id="kto3", url="https://news.am/eng/news/910077.html",
                                    canonical_url="https://news.am/eng/news/910077.html",
                                    title="Counter-terrorist operation lifted in Karabudakhkent", content_hash="kto3",
                                    first_seen="2026-11-21T15:00:00+00:00")
    translation = dataclasses.replace(follow_up, id="kto4", language="ru", title="В Карабудахкенте отменили режим КТО",
                                      url="https://news.am/rus/news/910078.html", content_hash="kto4")
    stories = build_stories([*records, follow_up, translation], FEEDS)
    kto = next(s for s in stories if s.article_id == "kto1")
    assert [m.title for m in kto.more] == ["Counter-terrorist operation lifted in Karabudakhkent"]
    settings = Settings(timezone="UTC", feeds_file=DATA / "digest" / "feeds.yaml")
    html, text = render(date(2026, 11, 21), stories, [], settings, datetime(2026, 11, 22, 7, tzinfo=timezone.utc))
    assert "More on this story:" in text and "Counter-terrorist operation lifted in Karabudakhkent" in html
    assert "В Карабудахкенте" not in text


def test_an_aggregators_items_are_credited_to_the_sites_they_led_to():
    import dataclasses

    records = fixture_records()
    kto1 = next(r for r in records if r.id == "kto1")
    via = [dataclasses.replace(kto1, id=f"g{i}", source=kto1.source, url=f"https://news.google.com/rss/articles/CBMi{i}",
                               canonical_url=site, duplicate_of=None, content_hash=f"g{i}",
                               first_seen=f"2026-11-21T1{i}:00:00+00:00")
           for i, site in enumerate(("https://www.azatutyun.am/a/1.html", "https://eurasianet.org/dagestan-kto"))]
    stories = build_stories([kto1, *via], FEEDS)
    kto = next(s for s in stories if s.article_id == "kto1")
    assert kto.sources == 3  # the feed's outlet and the two sites its aggregated items led to
    assert sorted(m.source_name.split(" (via")[0] for m in kto.also) == ["azatutyun.am", "eurasianet.org"]
