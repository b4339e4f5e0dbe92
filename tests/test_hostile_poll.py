"""Whole polls against the hostile server: tricks cost at most their deadline, other pages are stored,
and pages that failed for a passing reason are tried again on the next poll whatever the feed says."""

from __future__ import annotations

import json

import time
from datetime import timedelta

import pytest

from config.settings import Settings
from extractors.records import Feed
from flows.pipeline import PollOptions
from flows.poll import run_poll
from storage.articles import ArticleStore
from storage.check import check_store
from storage.local import LocalStore
from storage.retry_queue import RetryQueue
from tests.hostile_server import HostileServer

pytestmark = pytest.mark.slow

TIMEOUT = 1.5
GOOD = [f"/page-{n}.html" for n in range(1, 5)]
TRICKS = ["/drip-headers", "/drip-body", "/stall-headers", "/long-length", "/gzip-bomb", "/chunk-bomb",
          "/png-as-html", "/loop", "/to-file"]


def settings(**overrides) -> Settings:
    values = dict(allow_private_hosts=True, timeout_seconds=TIMEOUT, max_page_bytes=200_000, upload_threads=2)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    server = HostileServer(drip=0.2)
    # Warm up the pipeline (imports, compiled kernels) so the timings below are the fetcher's.
    server.feed_paths = ["/page-7.html"]
    run_poll(LocalStore(tmp_path_factory.mktemp("warm")), [Feed(id="warm", name="w", url=server.base + "/feed.xml")],
             PollOptions(), settings())
    yield server
    server.close()


def titles(store) -> list[str]:
    return sorted(r.title for _k, r in ArticleStore(store).all_articles())


@pytest.mark.parametrize("trick", TRICKS)
def test_a_hostile_page_costs_at_most_its_deadline_and_the_other_pages_are_stored(hostile, tmp_path, trick):
    hostile.feed_paths = GOOD + [trick]
    store = LocalStore(tmp_path)
    feed = Feed(id="hostile", name="h", url=hostile.base + "/feed.xml")
    started = time.monotonic()
    summary = run_poll(store, [feed], PollOptions(), settings())
    elapsed = time.monotonic() - started
    budget = 2 * TIMEOUT  # the feed's fetch, then the pages' (fetched in parallel)
    assert elapsed < 2 * budget, f"{trick}: {elapsed:.1f} s"
    assert summary.totals["stored"] + summary.totals["duplicates"] == len(GOOD)
    assert summary.totals["page_failures"] == 1
    assert len(titles(store)) == len(GOOD)
    assert check_store(store).ok


def test_a_dripping_feed_fails_that_feed_only(hostile, tmp_path):
    hostile.feed_paths = GOOD
    feeds = [Feed(id="drip", name="d", url=hostile.base + "/drip-headers"), Feed(id="ok", name="o", url=hostile.base + "/feed.xml")]
    started = time.monotonic()
    summary = run_poll(LocalStore(tmp_path), feeds, PollOptions(), settings())
    assert time.monotonic() - started < 2 * (2 * TIMEOUT)
    outcomes = {f.feed_id: f.outcome for f in summary.feeds}
    assert outcomes == {"drip": "failed", "ok": "ok"}
    assert summary.totals["stored"] + summary.totals["duplicates"] == len(GOOD)


@pytest.mark.parametrize("failure", ["503", "drip"])
def test_a_page_that_failed_for_a_passing_reason_is_retried_next_poll_though_the_feed_is_unchanged(hostile, tmp_path, failure):
    flaky = "/page-45.html"
    hostile.feed_paths = GOOD + [flaky]
    hostile.failing[flaky] = failure
    store = LocalStore(tmp_path)
    feed = Feed(id="flaky", name="f", url=hostile.base + "/feed.xml")
    try:
        first = run_poll(store, [feed], PollOptions(), settings())
        assert first.totals["page_failures"] == 1
        assert len(RetryQueue.load(store)) == 1
        still = run_poll(store, [feed], PollOptions(), settings())  # still failing: queued again, counted once more
        assert still.feeds[0].outcome == "unchanged" and still.totals["retried"] == 1
        queued = RetryQueue.load(store).items
        assert [i.attempts for i in queued.values()] == [2]
    finally:
        hostile.failing.pop(flaky, None)
    # The queue backs off after the second failure: not due at once, due ten minutes on.
    soon = run_poll(store, [feed], PollOptions(), settings())
    assert soon.totals["retried"] == 0
    later = run_poll(store, [feed], PollOptions(), settings(), now=soon_after(minutes=11))
    assert later.feeds[0].outcome == "unchanged" and later.totals["retried"] == 1 and later.totals["stored"] + later.totals["duplicates"] == 1
    assert len(titles(store)) == len(GOOD) + 1
    assert len(RetryQueue.load(store)) == 0
    assert check_store(store).ok


def test_a_new_item_whose_page_is_not_there_yet_is_asked_again_and_stored_once_it_is(hostile, tmp_path):
    early = "/page-46.html"
    hostile.feed_paths = [early]
    hostile.failing[early] = "404"
    store = LocalStore(tmp_path)
    feed = Feed(id="early", name="e", url=hostile.base + "/feed.xml")
    try:
        first = run_poll(store, [feed], PollOptions(), settings())
        assert first.totals["page_failures"] == 1 and first.totals["stored"] == 0
        assert [i.reason.split(":")[0] for i in RetryQueue.load(store).items.values()] == ["http"]
    finally:
        hostile.failing.pop(early, None)
    later = run_poll(store, [feed], PollOptions(), settings())  # the site has published it meanwhile
    assert later.totals["retried"] == 1 and later.totals["stored"] == 1
    assert len(titles(store)) == 1 and len(RetryQueue.load(store)) == 0


def test_a_backdated_items_404_is_asked_again_too(hostile, tmp_path):
    from email.utils import format_datetime

    late = "/page-49.html"  # dated 30 hours ago by its feed, its page put up later
    hostile.feed_paths = [late]
    hostile.failing[late] = "404"
    hostile.pub_dates[late] = format_datetime(soon_after(hours=-30))
    store = LocalStore(tmp_path)
    feed = Feed(id="late", name="l", url=hostile.base + "/feed.xml")
    try:
        run_poll(store, [feed], PollOptions(), settings())
        assert len(RetryQueue.load(store)) == 1
    finally:
        hostile.failing.pop(late, None)
        hostile.pub_dates.pop(late, None)
    assert run_poll(store, [feed], PollOptions(), settings()).totals["stored"] == 1


def test_a_404_stays_queued_for_hours_only_and_an_old_items_404_is_final_at_once(hostile, tmp_path):
    from email.utils import format_datetime

    old, new = "/page-47.html", "/page-48.html"
    hostile.feed_paths = [old, new]
    hostile.failing.update({old: "404", new: "404"})
    hostile.pub_dates[old] = format_datetime(soon_after(days=-5))
    store = LocalStore(tmp_path)
    feed = Feed(id="gone", name="g", url=hostile.base + "/feed.xml")
    try:
        run_poll(store, [feed], PollOptions(), settings())
        assert [i.link for i in RetryQueue.load(store).items.values()] == [hostile.base + new]
        # Still missing seven hours after it was first asked for: gone for good, never asked again.
        run_poll(store, [feed], PollOptions(), settings(), now=soon_after(hours=7))
        assert len(RetryQueue.load(store)) == 0
        asked = hostile.hits[new]
        run_poll(store, [feed], PollOptions(), settings(), now=soon_after(hours=8))
        assert hostile.hits[new] == asked and hostile.hits[old] == 1
    finally:
        for path in (old, new):
            hostile.failing.pop(path, None)
        hostile.pub_dates.pop(old, None)


def test_a_feed_that_asks_to_be_left_alone_for_longer_than_we_wait_is_not_asked_before_that_time(hostile, tmp_path):
    from datetime import datetime, timezone

    from storage.state import load_feed_state

    path = "/busy-feed.xml"
    hostile.failing[path] = "503"  # Retry-After: 120
    store = LocalStore(tmp_path)
    feed = Feed(id="busy", name="b", url=hostile.base + path)
    try:
        first = run_poll(store, [feed], PollOptions(), settings(max_retry_after_seconds=1))
        assert first.feeds[0].outcome == "failed"
        waits_until = datetime.fromisoformat(load_feed_state(store, "busy").next_poll)
        assert 100 < (waits_until - datetime.now(timezone.utc)).total_seconds() <= 120
        asked = hostile.hits[path]
        run_poll(store, [feed], PollOptions(), settings(max_retry_after_seconds=1))  # the next run, a minute later
        assert hostile.hits[path] == asked
    finally:
        hostile.failing.pop(path, None)


def soon_after(**delta):
    from datetime import datetime, timezone

    return datetime.now(timezone.utc) + timedelta(**delta)


def test_binary_served_as_html_is_never_stored(hostile, tmp_path):
    hostile.feed_paths = ["/png-as-html"]
    store = LocalStore(tmp_path)
    summary = run_poll(store, [Feed(id="png", name="p", url=hostile.base + "/feed.xml")], PollOptions(), settings())
    assert summary.totals["stored"] == 0 and summary.totals["page_failures"] == 1
    assert "not-html" in summary.feeds[0].problems[0]


def test_control_characters_never_reach_a_record_and_a_lying_charset_is_sniffed(hostile, tmp_path):
    hostile.feed_paths = ["/nul-title.html", "/lying-charset.html"]
    store = LocalStore(tmp_path)
    run_poll(store, [Feed(id="odd", name="o", url=hostile.base + "/feed.xml")], PollOptions(), settings())
    records = {r.url.rsplit("/", 1)[1]: r for _k, r in ArticleStore(store).all_articles()}
    nul = records["nul-title.html"]
    assert nul.title == "Border talks in Tbilisi"
    assert not any(ord(c) < 32 and c not in "\t\n\r\f" for c in nul.title + nul.text)
    lying = records["lying-charset.html"]
    assert lying.title == "Переговоры в Тбилиси" and "Азербайджана" in lying.text


def test_store_check_repair_rebuilds_a_lost_record_and_an_orphan_raw_page_by_re_extracting(hostile, tmp_path):
    from flows.cli_store import _rebuild_record

    hostile.feed_paths = [f"/page-{n}.html" for n in range(300, 305)]
    store = LocalStore(tmp_path)
    run_poll(store, [Feed(id="rep", name="r", url=hostile.base + "/feed.xml")], PollOptions(), settings())
    keys = sorted(store.list("articles/"))
    before = {k: store.get_json(k) for k in keys}
    store.delete(keys[0])  # a record lost, its raw page kept
    orphan = store.get_json(keys[1])
    store.delete(keys[1])  # a raw page no record nor manifest line names any more
    for manifest in list(store.list("manifests/")):
        # by the line's own id: a near-duplicate's line names the orphan too, as its duplicate_of
        lines = [line for line in store.get(manifest).decode().splitlines() if line and json.loads(line).get("id") != orphan["id"]]
        store.put(manifest, ("\n".join(lines) + "\n").encode())
    found = check_store(store)
    assert {p.kind for p in found.problems} == {"missing-record", "orphan-raw"}
    repaired = check_store(store, repair=True, rebuild_record=_rebuild_record(store))
    assert repaired.ok and all(p.repaired for p in repaired.problems)
    assert check_store(store).ok and sorted(store.list("articles/")) == keys
    for key in keys[:2]:
        rebuilt = store.get_json(key)
        assert (rebuilt["url"], rebuilt["title"], rebuilt["text"]) == (before[key]["url"], before[key]["title"], before[key]["text"])
