"""The poll end to end against a real HTTP site on loopback (plain functions, no Prefect).

The fixture site (tests/data/site, described in its EXPECTED.md) has an RSS feed, an Atom
feed with xml:base, and a malformed feed; a link repeated with utm_ parameters, a link
present in two feeds, a 404, an irrelevant page and an AMP page whose canonical is another URL.
"""

import contextlib
import json
import re
from collections import Counter
from pathlib import Path


from config.settings import Settings
from flows.pipeline import PollOptions, load_feeds
from flows.poll import parse_since, run_poll
from storage.articles import ArticleStore
from storage.check import check_store
from storage.local import LocalStore

SITE = Path(__file__).resolve().parent / "data" / "site"


def expected_stored() -> int:
    match = re.search(r"must be stored after the first poll\D*(\d+)", (SITE / "EXPECTED.md").read_text(), re.I)
    return int(match.group(1))


def settings(**overrides) -> Settings:
    return Settings(allow_private_hosts=True, task_retry_delays=[0, 0, 0], **overrides)


def records(store: Path):
    return [r for _k, r in ArticleStore(LocalStore(store)).all_articles() if r.source != "seed"]


def poll(store: Path, feeds_file: Path, **options):
    return run_poll(str(store), load_feeds(feeds_file), PollOptions(**options), settings())


def test_first_poll_stores_every_article_once(site, site_feeds, tmp_path):
    summary = poll(tmp_path, site_feeds)
    stored = records(tmp_path)
    assert len(stored) == expected_stored()
    assert max(Counter(r.id for r in stored).values()) == 1
    assert max(Counter(r.canonical_url for r in stored).values()) == 1
    # a1 reached through a utm_ link and a plain link, and through two feeds: fetched once
    assert site.statuses("/news/a1.html") == [200]
    assert all("utm_" not in r.url for r in stored)
    totals = summary.totals
    assert totals["stored"] + totals["duplicates"] + totals["irrelevant"] == len(stored)
    assert totals["page_failures"] >= 1
    assert any("gone.html" in p for f in summary.feeds for p in f.problems)
    assert totals["irrelevant"] >= 1
    assert check_store(LocalStore(tmp_path)).ok


def test_malformed_feed_still_yields_its_entries_and_its_health_says_so(site, site_feeds, tmp_path):
    from flows.feed_status import feed_statuses, status_table

    summary = poll(tmp_path, site_feeds)
    broken = next(f for f in summary.feeds if f.malformed)
    assert broken.outcome == "ok" and broken.entries >= 2 and broken.stored + broken.duplicates >= 1
    rows = {row.id: row for row in feed_statuses(LocalStore(tmp_path), load_feeds(site_feeds))}
    assert rows[broken.feed_id].health == "ok" and rows[broken.feed_id].malformed
    line = next(line for line in status_table(list(rows.values())).splitlines() if line.startswith(broken.feed_id))
    assert "malformed feed, its entries used anyway" in line
    assert not any(row.malformed for fid, row in rows.items() if fid != broken.feed_id)


def test_amp_page_is_stored_under_its_canonical_url(site, site_feeds, tmp_path):
    poll(tmp_path, site_feeds)
    canonical = {r.canonical_url for r in records(tmp_path)}
    assert site.url("/news/a3.html") in canonical
    assert site.url("/news/amp/a3.html") not in canonical


def test_second_poll_stores_nothing_and_is_answered_with_304(site, site_feeds, tmp_path):
    poll(tmp_path, site_feeds)
    before = sorted(p.name for p in tmp_path.rglob("*.json") if "articles" in p.parts)
    second = poll(tmp_path, site_feeds)
    assert second.totals["stored"] == second.totals["duplicates"] == 0
    assert second.totals["feeds_not_modified"] == len(second.feeds)
    assert site.statuses("/news/feed.xml")[-1] == 304
    assert sorted(p.name for p in tmp_path.rglob("*.json") if "articles" in p.parts) == before


def test_force_refetches_but_never_stores_a_second_copy(site, site_feeds, tmp_path):
    poll(tmp_path, site_feeds)
    first = {r.id: r for r in records(tmp_path)}
    forced = poll(tmp_path, site_feeds, force=True)
    again = {r.id: r for r in records(tmp_path)}
    assert sorted(again) == sorted(first)
    assert forced.totals["stored"] == 0 and forced.totals["refreshed"] == len(first)  # each once, AMP link or not
    assert all(again[i].first_seen == first[i].first_seen for i in first)


def test_since_skips_entries_published_before_it(site, site_feeds, tmp_path):
    summary = poll(tmp_path, site_feeds, since=parse_since("2099-01-01"))
    # only entries without a date are accepted
    assert summary.totals["skipped_old"] >= 1
    assert summary.totals["new_entries"] == summary.totals["entries"] - summary.totals["skipped_old"] - summary.totals["skipped_seen"]


def test_entries_a_since_poll_skipped_are_polled_by_the_next_plain_poll(site, site_feeds, tmp_path):
    skipped = poll(tmp_path / "a", site_feeds, since=parse_since("2099-01-01"))
    assert skipped.totals["skipped_old"] >= 1
    poll(tmp_path / "a", site_feeds)  # the feeds have not changed: no 304, no "unchanged" hiding them
    poll(tmp_path / "b", site_feeds)  # one plain poll of the same feeds
    assert sorted(r.id for r in records(tmp_path / "a")) == sorted(r.id for r in records(tmp_path / "b"))


def test_only_the_named_feeds_are_polled(site, site_feeds, tmp_path):
    feeds = load_feeds(site_feeds)
    summary = run_poll(str(tmp_path), load_feeds(site_feeds, [feeds[0].id]), PollOptions(), settings())
    assert [f.feed_id for f in summary.feeds] == [feeds[0].id]


def test_unreachable_feeds_are_reported_and_the_run_goes_on(site, site_feeds, tmp_path):
    feeds_file = tmp_path / "feeds.yaml"
    feeds_file.write_text(site_feeds.read_text() + (
        "  - {id: dead-dns, name: Dead, url: 'http://no-such-host.invalid/feed.xml'}\n"
        "  - {id: dead-port, name: Closed, url: 'http://127.0.0.1:9/feed.xml'}\n"))
    summary = poll(tmp_path / "store", feeds_file)
    failed = {f.feed_id: f for f in summary.feeds if f.outcome == "failed"}
    assert set(failed) == {"dead-dns", "dead-port"}
    assert failed["dead-dns"].error.startswith("dns")
    assert summary.totals["stored"] >= 1
    text = summary.to_text()
    # the summary says it in words; the raw error ("dns: … [Errno -2] …") is in the log
    assert "dead-dns: site unreachable (name not found)" in text and "dead-port: site unreachable" in text
    assert "Errno" not in text


def test_server_ignoring_validators_is_skipped_by_the_body_hash(tmp_path):
    from flows.sample_site import SampleSite

    with SampleSite(SITE, honour_conditional=False) as plain:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text((SITE / "feeds.yaml").read_text().replace("{base}", plain.base))
        poll(tmp_path / "store", feeds_file)
        second = poll(tmp_path / "store", feeds_file)
    assert {f.outcome for f in second.feeds} == {"unchanged"}


def test_irrelevant_pages_are_stored_flagged_and_not_fetched_again(site, site_feeds, tmp_path):
    summary = poll(tmp_path, site_feeds)
    flagged = [r for r in records(tmp_path) if not r.caucasus["relevant"]]
    assert summary.totals["irrelevant"] >= 1 and len(flagged) == summary.totals["irrelevant"]
    assert all(r.caucasus["reason"] and r.raw_key and r.duplicate_of is None for r in flagged)
    totals = summary.totals
    assert totals["stored"] + totals["duplicates"] + totals["irrelevant"] == len(records(tmp_path))
    # the irrelevant URL is not fetched again by the next poll
    again = poll(tmp_path, site_feeds, force=False)
    assert again.totals["irrelevant"] == 0


def test_keep_irrelevant_is_an_accepted_no_op(site, site_feeds, tmp_path):
    poll(tmp_path / "a", site_feeds)
    poll(tmp_path / "b", site_feeds, keep_irrelevant=True)
    assert sorted(r.id for r in records(tmp_path / "a")) == sorted(r.id for r in records(tmp_path / "b"))


def test_records_carry_language_relevance_and_raw_page(site, site_feeds, tmp_path):
    poll(tmp_path, site_feeds)
    articles = ArticleStore(LocalStore(tmp_path))
    for record in records(tmp_path):
        relevant = record.caucasus["relevant"]
        assert record.language and record.caucasus["reason"] and (record.caucasus["terms"] or not relevant)
        assert record.text and record.title and record.extractor
        assert articles.get_raw(record.raw_key).lstrip().lower().startswith((b"<!doctype", b"<html"))
        assert record.first_seen.endswith("+00:00")
    manifests = [json.loads(line) for p in tmp_path.rglob("manifests/**/*.jsonl") for line in p.read_text().splitlines()]
    assert sorted(m["id"] for m in manifests) == sorted(r.id for r in records(tmp_path))


def test_since_keeps_entries_on_or_after_the_date_and_undated_ones(site, site_feeds, tmp_path):
    summary = poll(tmp_path, site_feeds, since=parse_since("2026-11-04"))
    canonical = sorted(r.canonical_url.rsplit("/", 1)[1] for r in records(tmp_path))
    assert canonical == ["a2.html", "a3.html", "b1.html", "b2.html"]
    assert summary.totals["skipped_old"] == 3


def _poll_site(folder_name: str, tmp_path):
    """A poll of a fixture site served on loopback with its own feeds.yaml: (summary, paths requested)."""
    from flows.sample_site import SampleSite

    folder = Path(__file__).resolve().parent / "data" / folder_name
    with SampleSite(folder) as plain:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text((folder / "feeds.yaml").read_text().replace("{base}", plain.base))
        summary = poll(tmp_path / "store", feeds_file)
        return summary, [path for path, _c, _s in plain.requests]


def test_full_text_in_the_feed_stands_in_for_a_page_that_cannot_be_fetched(tmp_path):
    summary, requested = _poll_site("fulltext_site", tmp_path)
    assert not [path for path in requested if path.startswith("/stories/")]  # robots.txt honoured
    stored = records(tmp_path / "store")
    assert summary.totals["from_feed"] == 1 and summary.totals["page_failures"] == 1  # the teaser-only item
    assert [r.title for r in stored] == ["Gyumri textile workers strike over unpaid wages"]
    assert stored[0].text.startswith("About three hundred workers") and stored[0].caucasus["relevant"]
    assert "taken from the feed's full text" in summary.to_text()


def test_items_sharing_a_section_link_are_stored_from_their_own_text_never_as_the_section_page(tmp_path):
    summary, requested = _poll_site("shared_link_site", tmp_path)
    assert not [path for path in requested if path == "/ss/"]  # the section page is no article
    stored = records(tmp_path / "store")
    assert sorted(r.title for r in stored) == ["Batumi port handles record cargo", "Kutaisi airport opens a new terminal"]
    assert all(r.caucasus["relevant"] and "Caucasus Daily" not in r.text for r in stored)
    assert len({r.id for r in stored}) == 2 and summary.totals["from_feed"] == 2


def test_a_section_link_item_without_its_text_is_skipped_as_linkless_and_a_twice_listed_article_is_kept():
    from extractors.feeds import parse_feed

    folder = Path(__file__).resolve().parent / "data" / "shared_link_site"
    parsed = parse_feed((folder / "ss" / "sec.xml").read_bytes(), feed_id="s", feed_url="https://daily.example.ge/ss/sec.xml")
    assert [e.link for e in parsed.entries] == ["https://daily.example.ge/ss/#newswatch-item-101",
                                                "https://daily.example.ge/ss/#newswatch-item-102"]
    assert parsed.unlinked == 1  # the teaser-only item: logged as linkless, never the section page as its article


def test_unreadable_state_is_quarantined_and_the_poll_goes_on(site, site_feeds, tmp_path):
    poll(tmp_path, site_feeds)
    store = LocalStore(tmp_path)
    seen = next(store.list("state/seen/"))
    feed_state = next(store.list("state/feeds/"))
    store.put(seen, b'{"truncated": ')
    store.put(feed_state, b"\x00 not json")
    again = poll(tmp_path, site_feeds)
    assert {f.outcome for f in again.feeds} <= {"ok", "not-modified", "unchanged"}
    assert again.totals["stored"] == 0  # write-once records: nothing stored twice
    assert max(Counter(r.id for r in records(tmp_path)).values()) == 1
    aside = list(store.list("state/quarantine/"))
    assert len(aside) == 2 and store.get(aside[0]) in (b'{"truncated": ', b"\x00 not json")


@contextlib.contextmanager
def served_copy(tmp_path):
    """A copy of the sample site the test may edit, served, and its feed list: (site folder, feeds file)."""
    import shutil

    from flows.sample_site import SampleSite

    site_copy = tmp_path / "site"
    shutil.copytree(SITE, site_copy)
    with SampleSite(site_copy) as served:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text((SITE / "feeds.yaml").read_text().replace("{base}", served.base))
        yield site_copy, feeds_file


def test_force_refresh_takes_the_changed_page_and_its_raw_copy(tmp_path):
    with served_copy(tmp_path) as (site_copy, feeds_file):
        poll(tmp_path / "store", feeds_file)
        page = site_copy / "news" / "a2.html"
        page.write_text(page.read_text().replace("</article>", "<p>Correction: the vote was postponed to Friday, "
                                                 "the speaker of the Georgian parliament said late on Thursday.</p></article>", 1))
        poll(tmp_path / "store", feeds_file, force=True)
    articles = ArticleStore(LocalStore(tmp_path / "store"))
    a2 = next(r for r in records(tmp_path / "store") if r.canonical_url.endswith("/news/a2.html"))
    assert "Correction: the vote was postponed" in a2.text
    assert b"Correction: the vote was postponed" in articles.get_raw(a2.raw_key)


def test_a_damaged_dedup_shard_is_quarantined_and_rebuilt(tmp_path):
    from flows.seeds import import_seeds

    import_seeds(str(tmp_path), None, settings())
    store = LocalStore(tmp_path)
    for key in store.list("state/dedup/"):
        store.put(key, b"garbage\n\x00\x01")
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "copy.txt").write_bytes((Path(__file__).resolve().parents[1] / "config/seeds/002_da9cfaa2d703c577.txt").read_bytes())
    summary = import_seeds(str(tmp_path), folder, settings())
    assert summary.imported == 1 and not summary.skipped  # the run goes on without the damaged shard
    assert list(store.list("state/quarantine/")) and list(store.list("state/dedup/"))


def test_force_refresh_keeps_the_stored_article_when_its_page_became_a_paywall(tmp_path, caplog):
    import shutil

    from flows.sample_site import SampleSite

    site_copy = tmp_path / "site"
    shutil.copytree(SITE, site_copy)
    with SampleSite(site_copy) as served:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text((SITE / "feeds.yaml").read_text().replace("{base}", served.base))
        poll(tmp_path / "store", feeds_file)
        before = next(r for r in records(tmp_path / "store") if r.canonical_url.endswith("/news/a2.html"))
        raw_before = ArticleStore(LocalStore(tmp_path / "store")).get_raw(before.raw_key)
        page = site_copy / "news" / "a2.html"
        html = page.read_text()
        start, end = html.index("<article"), html.index("</article>") + len("</article>")
        page.write_text(html[:start] + "<article><h1>Subscribe to read</h1><p>This article is for subscribers only. "
                        "Subscribe today to read the whole story and support independent journalism.</p></article>"
                        + html[end:])
        with caplog.at_level("WARNING", logger="newswatch.poll"):
            poll(tmp_path / "store", feeds_file, force=True)
    after = next(r for r in records(tmp_path / "store") if r.canonical_url.endswith("/news/a2.html"))
    assert after.text == before.text and after.title == before.title
    assert ArticleStore(LocalStore(tmp_path / "store")).get_raw(after.raw_key) == raw_before
    assert any("kept the stored" in r.getMessage() for r in caplog.records)


def test_since_a_date_starts_at_midnight_in_the_configured_time_zone():
    from datetime import datetime, timezone

    assert parse_since("2026-12-04") == datetime(2026, 12, 4, tzinfo=timezone.utc)
    baku = parse_since("2026-12-04", "Asia/Baku")  # UTC+4: a story of 00:20 on the 4th in Baku is in
    assert baku == datetime(2026, 12, 3, 20, 0, tzinfo=timezone.utc)
    assert datetime(2026, 12, 3, 20, 20, tzinfo=timezone.utc) >= baku
    assert parse_since("2026-12-04T10:00:00+04:00", "Asia/Baku") == datetime(2026, 12, 4, 6, 0, tzinfo=timezone.utc)


def test_a_new_link_to_a_stored_article_is_counted_once_and_apart_from_entries_already_seen(site, site_feeds, tmp_path):
    # the sample site's feed lists a3 both as itself and as its AMP page: two new entries, one article
    summary = poll(tmp_path, site_feeds)
    t = summary.totals
    assert t["stored_elsewhere"] >= 1 and "new links to articles already stored" in summary.to_text()


def test_an_item_the_site_republished_since_the_last_poll_is_refreshed_and_a_build_time_on_every_item_is_not(
        tmp_path, monkeypatch):
    import time
    from datetime import datetime, timezone

    from flows import entry_updates

    monkeypatch.setattr(entry_updates, "UPDATED_MARGIN", entry_updates.timedelta(0))  # polls seconds apart here
    with served_copy(tmp_path) as (site_copy, feeds_file):
        poll(tmp_path / "store", feeds_file)
        atom, page = site_copy / "wire" / "atom.xml", site_copy / "news" / "a2.html"
        time.sleep(1.1)  # the feed's stamp has whole seconds: one after the first poll's start
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        atom.write_text(atom.read_text().replace(
            "<title>Georgian parliament passes budget amid opposition boycott</title>",
            f"<title>Georgian parliament passes amended budget</title><updated>{stamp}</updated>", 1))
        page.write_text(page.read_text().replace("</article>", "<p>Update: the amended budget passed 84 to 12, "
                                                 "the speaker of the Georgian parliament said late on Thursday.</p></article>", 1))
        second = poll(tmp_path / "store", feeds_file)
        a2 = next(r for r in records(tmp_path / "store") if r.canonical_url.endswith("/news/a2.html"))
        assert second.totals["refreshed"] == 1 and "Update: the amended budget passed" in a2.text
        assert len([r for r in records(tmp_path / "store") if r.canonical_url.endswith("/news/a2.html")]) == 1
        third = poll(tmp_path / "store", feeds_file)  # dated before this poll's previous one now: nothing to do
        assert third.totals["refreshed"] == 0

    monkeypatch.undo()
    from flows.entry_updates import republished
    from extractors.records import FeedEntry

    now = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)
    built = [FeedEntry("f", f"https://x.test/{i}", published=now) for i in range(10)]
    assert republished(built, 10, "2026-12-04T11:00:00+00:00", now) == []  # every item stamped "now"
    assert republished(built[:1], 10, "2026-12-04T11:00:00+00:00", now) == built[:1]
    assert republished(built[:1], 10, "2026-12-04T11:55:00+00:00", now) == []  # within minutes of that poll
