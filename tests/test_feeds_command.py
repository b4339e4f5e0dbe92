"""``newswatch feeds``: check (no network), health from the store, OPML out and in, try one feed.

Feed lists under tests/data/feed_lists/; the sites are the loopback fixtures (tests/fixtures_http.py
and tests/data/corpus_site).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import listparser
import pytest

from config.settings import Settings, get_settings
from extractors.errors import ConfigError
from flows.cli import main
from flows.feed_list import check_file, from_opml, to_opml
from flows.pipeline import PollOptions, load_feeds
from flows.poll import run_poll
from flows.sample_site import SampleSite

DATA = Path(__file__).resolve().parent / "data"
LISTS = DATA / "feed_lists"
CORPUS_SITE = DATA / "corpus_site"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def environment(monkeypatch):
    """Set NEWSWATCH_* variables for an in-process command (settings are read once per process)."""

    def apply(**values):
        for name, value in values.items():
            monkeypatch.setenv("NEWSWATCH_" + name.upper(), str(value))
        get_settings.cache_clear()

    yield apply
    get_settings.cache_clear()


def with_base(template: Path, base: str, tmp_path: Path) -> Path:
    path = tmp_path / template.name
    path.write_text(template.read_text(encoding="utf-8").replace("{base}", base), encoding="utf-8")
    return path


# feeds check ------------------------------------------------------------------------------------


def test_check_reports_one_line_per_problem_and_exits_2(capsys):
    bad = LISTS / "bad.yaml"
    assert main(["feeds", "check", str(bad)]) == 2
    lines = capsys.readouterr().out.splitlines()
    expected = [line.split("# expect: ", 1)[1] for line in bad.read_text(encoding="utf-8").splitlines() if "# expect: " in line]
    assert len(lines) == len(expected) >= 8
    for line, fragment in zip(lines, expected):
        assert line.startswith(f"{bad}: feed ") and fragment in line, (line, fragment)


def test_ids_that_share_a_state_object_are_an_error():
    _feeds, problems = check_file(LISTS / "bad.yaml")
    collisions = [str(p) for p in problems if "collides" in p.message]
    assert collisions and "state/feeds/oc-media.json" in collisions[0]


def test_a_good_list_passes(capsys):
    assert main(["feeds", "check", str(LISTS / "good.yaml")]) == 0
    assert capsys.readouterr().out == ""


def test_not_a_list_and_broken_yaml_are_one_line_each(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("feeds: [unclosed\n", encoding="utf-8")
    [problem] = check_file(broken)[1]
    assert "not valid YAML" in str(problem) and "\n" not in str(problem)
    other = tmp_path / "other.yaml"
    other.write_text("- just a list\n", encoding="utf-8")
    assert "not a feed list" in str(check_file(other)[1][0])


def test_the_poll_refuses_a_bad_list_before_any_network(site, tmp_path):
    bad = with_base(LISTS / "bad_with_site.yaml", site.base, tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_feeds(bad)
    assert "\n" not in str(caught.value) and "feeds check" in str(caught.value)
    env = {**os.environ, "NEWSWATCH_ALLOW_PRIVATE_HOSTS": "true"}
    result = subprocess.run([sys.executable, "-m", "flows.cli", "poll", "--feeds", str(bad), "--store", str(tmp_path / "s")],
                            capture_output=True, cwd=REPO, env=env, timeout=120)
    assert result.returncode == 2 and len(result.stderr.decode().strip().splitlines()) == 1
    assert site.requests == [] and not (tmp_path / "s").exists()


# feeds (health) ----------------------------------------------------------------------------------


def test_health_lists_last_ok_errors_in_words_failures_and_new_articles(site, tmp_path, capsys, environment):
    feeds_file = with_base(LISTS / "site_with_a_dead_feed.yaml", site.base, tmp_path)
    store = tmp_path / "store"
    for _ in range(2):
        run_poll(str(store), load_feeds(feeds_file), PollOptions(), Settings(allow_private_hosts=True))
    environment(store=store)
    assert main(["feeds", "--feeds", str(feeds_file), "--format", "json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    news, dead = rows["news"], rows["dead"]
    assert news["health"] == "ok" and news["last_ok"] and news["last_error"] == "" and news["failures_in_a_row"] == 0
    assert news["new_per_day"] > 0 and news["days_silent"] == 0
    assert dead["health"] == "failing" and dead["last_ok"] is None and dead["last_error"] == "feed gone (404)"
    assert dead["failures_in_a_row"] == 2 and dead["days_silent"] is None and dead["status"] == "unverified"

    assert main(["feeds", "--feeds", str(feeds_file)]) == 0
    table = capsys.readouterr().out
    assert "feed gone (404)" in table and "dead?" in table

    # the list trimmed to one feed: the other keeps its health, marked as known to the store only
    trimmed = tmp_path / "trimmed.yaml"
    trimmed.write_text("\n".join(line for line in feeds_file.read_text("utf-8").splitlines()
                                 if "dead" not in line) + "\n", encoding="utf-8")
    assert main(["feeds", "--feeds", str(trimmed), "--format", "json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["dead"]["status"] == "not in the list" and rows["dead"]["last_error"] == "feed gone (404)"


# OPML ---------------------------------------------------------------------------------------------


def test_export_then_import_gives_back_the_same_feeds(capsys, tmp_path):
    good = LISTS / "good.yaml"
    assert main(["feeds", "export", "--feeds", str(good)]) == 0
    opml = capsys.readouterr().out
    parsed = listparser.parse(opml.encode("utf-8"))
    assert not parsed.bozo and len(parsed.feeds) == len(load_feeds(good))

    entries, skipped = from_opml(opml.encode("utf-8"))
    assert skipped == []
    original = {f.id: (f.url, f.name, f.country, f.language) for f in load_feeds(good)}
    assert {e["id"]: (e["url"], e["name"], e.get("country"), e.get("language")) for e in entries} == original


def test_import_appends_only_new_valid_subscriptions_and_keeps_the_list_valid(capsys, tmp_path):
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text((LISTS / "good.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    before = len(load_feeds(feeds_file))
    assert main(["feeds", "import", str(LISTS / "reader_export.opml"), "--feeds", str(feeds_file), "--write"]) == 0
    feeds = load_feeds(feeds_file)  # the poll's own validation accepts the result
    new = feeds[before:]
    assert [f.url for f in new] == ["https://example.am/rss", "https://example.ge/ka/feed/"]
    assert all(f.status == "unverified" for f in new)
    assert {f.country for f in new} == {"am", "ge"}
    err = capsys.readouterr().err
    assert "ftp://" in err and "already in the list" in err


def test_opml_of_the_bundled_list_parses():
    from config import FEEDS_FILE

    feeds = load_feeds(FEEDS_FILE)
    assert len(listparser.parse(to_opml(feeds).encode("utf-8")).feeds) == len(feeds)


# feeds try -----------------------------------------------------------------------------------------


def test_try_shows_what_would_be_stored_and_stores_nothing(tmp_path, capsys, environment):
    from tests.test_corpus import expected_flags

    environment(allow_private_hosts="true", store=tmp_path / "store")
    with SampleSite(CORPUS_SITE) as site:
        assert main(["feeds", "try", site.url("/desk/feed.xml"), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["entries"] == len(expected_flags()) and report["title"] == "Caucasus Desk" and report["language"] == "en"
    judged = {entry["link"].rsplit("/", 1)[1]: entry["relevant"] for entry in report["tried"]}
    assert judged == expected_flags()
    assert all(entry["reason"] and not entry["problem"] for entry in report["tried"])
    assert not (tmp_path / "store").exists()


def test_try_on_a_page_that_is_not_a_feed_says_so_in_one_line(site, capsys, environment):
    environment(allow_private_hosts="true")
    assert main(["feeds", "try", site.url("/news/a1.html"), "--no-pages"]) == 2
    captured = capsys.readouterr()
    out = captured.err  # an error, so on stderr: a script reading stdout gets no error text as data
    assert not captured.out
    assert out.splitlines()[0].startswith(site.url("/news/a1.html") + ": ") and "nothing stored" in out


def test_try_on_a_site_front_page_tries_the_feed_the_page_names(tmp_path, capsys, environment):
    """Users paste a site's address for its feed: the page names the feed (autodiscovery), which is tried."""
    environment(allow_private_hosts="true", store=tmp_path / "store")
    with SampleSite(CORPUS_SITE) as site:
        assert main(["feeds", "try", site.url("/index.html"), "--no-pages"]) == 0
        out = capsys.readouterr().out
        assert main(["feeds", "try", site.url("/index.html"), "--no-pages", "--format", "json"]) == 0
        report = json.loads(capsys.readouterr().out)
        feed_url = site.url("/desk/feed.xml")
    assert out.splitlines()[0].startswith(site.url("/index.html") + " is a web page; it names its feed")
    assert out.splitlines()[1].startswith(feed_url) and "Caucasus Desk" in out
    assert report["discovered"] == feed_url and report["entries"] > 0 and not report["problem"]
    assert not (tmp_path / "store").exists()


def test_a_gone_feed_says_where_the_site_announces_its_feed_now(tmp_path, capsys, environment):
    """Feed URLs go stale (a new CMS: /rss.xml becomes /feed/): on a 404 the site's front page is read
    for the feed it announces, and the poll's reason, the feed's state, the digest and feeds try say so."""
    from flows.digest_health import reason_in_words
    from flows.pipeline import PollOptions
    from flows.poll import run_poll
    from extractors.records import Feed
    from storage.local import LocalStore
    from storage.state import load_feed_state

    environment(allow_private_hosts="true", store=tmp_path / "store")
    with SampleSite(CORPUS_SITE) as site:
        gone, announced = site.url("/rss.xml"), site.url("/desk/feed.xml")
        summary = run_poll(str(tmp_path / "store"), [Feed(id="moved", name="Moved", url=gone)], PollOptions(),
                           Settings(allow_private_hosts=True))
        assert main(["feeds", "try", gone, "--no-pages"]) == 2
        tried = capsys.readouterr().err
    [result] = summary.feeds
    assert result.outcome == "failed" and result.error.endswith(f"the site's front page names a feed at {announced}")
    state = load_feed_state(LocalStore(tmp_path / "store"), "moved")
    assert reason_in_words(state) == f"feed gone (404); the site names its feed at {announced}"
    assert tried.splitlines()[0].startswith(gone + ": http: HTTP 404") and announced in tried.splitlines()[0]


def test_try_takes_the_feeds_full_text_where_a_poll_would(capsys, environment):
    """A page robots.txt forbids, in a feed carrying the article's text: `feeds try` shows the record
    a poll stores from that text, and says so; a teaser-only item stays "page not fetched"."""
    environment(allow_private_hosts="true")
    folder = Path(__file__).resolve().parent / "data" / "fulltext_site"
    with SampleSite(folder) as plain:
        assert main(["feeds", "try", plain.url("/feed.xml"), "--format", "json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert main(["feeds", "try", plain.url("/feed.xml")]) == 0
        text = capsys.readouterr().out
    taken = [entry for entry in report["tried"] if entry["from_feed"]]
    assert [entry["title"] for entry in taken] == ["Gyumri textile workers strike over unpaid wages"]
    assert taken[0]["relevant"] and taken[0]["from_feed"].startswith("robots:")
    assert [entry for entry in report["tried"] if entry["problem"].startswith("page not fetched: robots")]
    assert "from the feed's full text (page not fetched: robots" in text


@pytest.mark.parametrize("name, message", [
    ("not_opml.txt", "no <opml> document"),
    ("empty.opml", "the file is empty"),
])
def test_import_of_a_file_that_is_no_opml_is_one_line_error_not_an_empty_list(capsys, name, message):
    assert main(["feeds", "import", str(LISTS / name)]) == 2
    assert message in capsys.readouterr().err


def test_import_of_a_truncated_opml_takes_what_stands_before_the_damage_and_says_so(capsys):
    entries, skipped = from_opml((LISTS / "reader_export_truncated.opml").read_bytes())
    assert "https://netgazeti.ge/feed/" in [e["url"] for e in entries]
    assert any("damaged" in line for line in skipped)


def test_a_feed_that_moved_permanently_is_shown_with_its_new_address(tmp_path):
    from extractors.records import Feed
    from flows.feed_status import feed_statuses, status_table
    from storage.local import LocalStore
    from storage.state import FeedState, save_feed_state

    store = LocalStore(tmp_path)
    save_feed_state(store, FeedState("armwire", url="https://armwire.example/rss", last_polled="2026-12-01T08:00:00+00:00",
                                     last_ok="2026-12-01T08:00:00+00:00", last_outcome="ok",
                                     moved_to="https://armwire.example/feed/"))
    rows = feed_statuses(store, [Feed(id="armwire", name="ArmWire", url="https://armwire.example/rss")])
    assert rows[0].moved_to == "https://armwire.example/feed/"
    assert "moved permanently to https://armwire.example/feed/: update the list" in status_table(rows)


def test_import_of_titles_yaml_reads_as_numbers_or_booleans_writes_a_list_that_loads(tmp_path):
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text((LISTS / "good.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    before = len(load_feeds(feeds_file))
    assert main(["feeds", "import", str(LISTS / "r4_yaml_words.opml"), "--feeds", str(feeds_file), "--write"]) == 0
    new = load_feeds(feeds_file)[before:]
    assert [(f.id, f.name) for f in new] == [("1", "1"), ("yes", "yes"), ("null", "null")]


def test_import_of_an_opml_file_in_windows_1251_reads_its_titles():
    entries, _skipped = from_opml((LISTS / "r4_cp1251.opml").read_bytes())
    assert [e["name"] for e in entries] == ["Кавказский узел"]


def test_an_exported_private_feed_carries_no_password(capsys, tmp_path):
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text("feeds:\n  - id: wire\n    url: https://alice:hunter2pw@wire.example.am/rss\n    name: Wire\n",
                          encoding="utf-8")
    assert main(["feeds", "export", "--feeds", str(feeds_file)]) == 0
    out, err = capsys.readouterr()
    assert "hunter2pw" not in out + err and "https://wire.example.am/rss" in out
    assert "1 private feed(s) exported without" in err


def test_an_opml_file_without_an_xml_declaration_is_read_as_utf8(capsys, tmp_path):
    # XML with no declaration and no byte order mark is UTF-8 by definition
    opml = tmp_path / "reader.opml"
    opml.write_bytes('<opml version="2.0"><body><outline type="rss" text="Новый канал" '
                     'xmlUrl="https://kanal.example.ru/rss"/></body></opml>'.encode("utf-8"))
    entries, skipped = from_opml(opml.read_bytes())
    assert [e["name"] for e in entries] == ["Новый канал"]


def test_a_refreshed_record_still_counts_as_its_feeds_arrival_and_a_new_feed_is_not_silent(tmp_path):
    from datetime import datetime, timedelta, timezone

    from flows.feed_status import _health, new_articles_by_feed
    from storage.articles import ArticleStore, ManifestLine
    from storage.local import LocalStore
    from storage.state import FeedState

    now = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)
    articles = ArticleStore(LocalStore(tmp_path))
    line = ManifestLine(id="a1", key="articles/2026/12/04/a1.json", url="https://e.ge/1", source="geonews",
                        first_seen=now.isoformat(), status="stored")
    articles.write_manifest("run-1", now, [line])
    articles.write_manifest("run-2", now, [ManifestLine(**{**line.__dict__, "status": "refreshed"})])  # poll --force
    assert new_articles_by_feed(articles, now)["geonews"] == 1
    added_today = FeedState("new", last_polled=now.isoformat(), last_outcome="ok", first_ok=(now - timedelta(hours=1)).isoformat())
    assert _health(added_today, now, None, 3) == "ok"
    assert _health(FeedState("old", last_polled=now.isoformat(), last_outcome="ok",
                             first_ok=(now - timedelta(days=5)).isoformat()), now, None, 3) == "silent"


def test_opml_folders_named_after_a_country_give_its_code():
    opml = ('<?xml version="1.0" encoding="utf-8"?><opml version="2.0"><body>'
            '<outline text="Azerbaijan"><outline type="rss" text="APA" xmlUrl="https://apa.example.az/rss"/></outline>'
            '<outline text="Russia"><outline type="rss" text="TASS" xmlUrl="https://tass.example.ru/rss"/></outline>'
            '<outline text="North Caucasus"><outline type="rss" text="Kavkaz" xmlUrl="https://kavkaz.example.ru/rss"/></outline>'
            '<outline text="Tech"><outline type="rss" text="Gadgets" xmlUrl="https://gadgets.example.com/rss"/></outline>'
            '</body></opml>').encode("utf-8")
    entries, _ = from_opml(opml)
    assert {e["name"]: e.get("country") for e in entries} == {"APA": "az", "TASS": "ru", "Kavkaz": "ru-north-caucasus",
                                                              "Gadgets": None}


def test_a_feed_url_listed_twice_in_another_spelling_is_reported():
    from flows.feed_list import validate

    feeds = {"feeds": [{"id": "a", "url": "https://Desk.example.am/feed"},
                       {"id": "b", "url": "https://desk.example.am/feed#latest"},
                       {"id": "c", "url": "https://desk.example.am/feed?utm_source=list"},
                       {"id": "d", "url": "https://desk.example.am/feed?lang=hy"}]}
    _, problems = validate(feeds, "feeds.yaml")
    assert [p.where for p in problems] == ["feeds.yaml: feed 2 (b)", "feeds.yaml: feed 3 (c)"]
    assert all("is already the url of feed 'a'" in p.message for p in problems)
