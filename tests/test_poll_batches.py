"""A feed's new pages are committed batch by batch (NEWSWATCH_BATCH_PAGES), not all at its end.

A feed that lists thousands of items (a whole archive, a misconfigured or hostile feed) would
otherwise hold every fetched page in memory until its last one, and a crash near the end would
lose them all. The fixture site (tests/data/site) is polled with batches of one page.
"""

from collections import Counter

import pytest
from pydantic import ValidationError

from config.settings import Settings
from flows.pipeline import PollOptions, load_feeds
from flows.poll import run_poll
from storage.articles import ArticleStore
from storage.check import check_store
from storage.local import LocalStore
from tests.faults import FaultyStore, SimulatedCrash
from tests.test_poll import expected_stored


def settings(batch_pages: int) -> Settings:
    return Settings(allow_private_hosts=True, upload_threads=1, feed_workers=1, batch_pages=batch_pages)


def stored(store) -> Counter:
    return Counter(r.canonical_url for _k, r in ArticleStore(store).all_articles() if r.source != "seed")


def test_pages_committed_one_batch_at_a_time_are_each_stored_once(site, site_feeds, tmp_path):
    whole = LocalStore(tmp_path / "whole")
    run_poll(whole, load_feeds(site_feeds), PollOptions(), settings(100), feed_workers=1)
    recorder = FaultyStore(LocalStore(tmp_path / "batched"))
    summary = run_poll(recorder, load_feeds(site_feeds), PollOptions(), settings(1), feed_workers=1)
    batched = stored(recorder.inner)
    assert batched == stored(whole) and sum(batched.values()) == expected_stored() and max(batched.values()) == 1
    # one journal per batch: as many batches as pages fetched (one page each), not one per feed
    journals = [k for k in recorder.writes if k.startswith("state/journal/")]
    assert len(journals) >= summary.totals["pages_fetched"] > len(load_feeds(site_feeds))
    assert check_store(recorder.inner).ok


def test_a_crash_in_a_later_batch_keeps_what_the_earlier_batches_stored(site, site_feeds, tmp_path):
    feeds = [feed for feed in load_feeds(site_feeds) if feed.id == "broken"]  # two pages, both stored
    inner = LocalStore(tmp_path / "store")
    with pytest.raises(SimulatedCrash):  # dies starting the feed's second batch: its first is committed
        run_poll(FaultyStore(inner, crash_after=1, crash_on="state/journal/"), feeds, PollOptions(), settings(1),
                 feed_workers=1)
    assert sum(stored(inner).values()) == 1
    run_poll(inner, feeds, PollOptions(), settings(1), feed_workers=1)  # the rerun finishes the rest, once
    assert sum(stored(inner).values()) == 2 and max(stored(inner).values()) == 1
    assert check_store(inner).ok


def test_batch_pages_below_one_is_refused_before_a_run():
    with pytest.raises(ValidationError):
        Settings(batch_pages=0)
