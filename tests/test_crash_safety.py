"""A poll killed after k object writes, then rerun: every article stored exactly once.

The fault-injecting store (tests/faults.py) dies before its (k+1)-th write, like a killed
process. Cuts are chosen across the whole write order of a clean run, including the
boundaries between raw page and record, record and manifest, and manifest and state.
"""

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from config.settings import Settings
from flows.pipeline import PollOptions, load_feeds
from flows.poll import run_poll
from storage.articles import ArticleStore
from storage.check import check_store
from storage.local import LocalStore
from tests.faults import FaultyStore, SimulatedCrash

SETTINGS = Settings(allow_private_hosts=True, upload_threads=1, feed_workers=1)


def poll(store, feeds, now=None):
    return run_poll(store, feeds, PollOptions(), SETTINGS, now=now, feed_workers=1)


def article_ids(store) -> Counter:
    return Counter(r.canonical_url for _k, r in ArticleStore(store).all_articles())


@pytest.fixture
def clean_run(site, site_feeds, tmp_path):
    """The write order and the result of an uninterrupted poll."""
    recorder = FaultyStore(LocalStore(tmp_path / "clean"))
    poll(recorder, load_feeds(site_feeds))
    return recorder.writes, article_ids(recorder.inner)


def cut_points(writes: list[str]) -> list[int]:
    """Crash points: a spread over the run plus the first write of each kind of object."""
    points = set(range(0, len(writes), max(1, len(writes) // 10)))
    for prefix in ("state/journal/", "raw/", "articles/", "manifests/", "state/dedup/", "state/seen/", "state/feeds/"):
        first = next((i for i, key in enumerate(writes) if key.startswith(prefix)), None)
        if first is not None:
            points.update({first, first + 1})
    return sorted(p for p in points if p < len(writes))


def test_a_clean_run_writes_in_the_crash_safe_order(clean_run):
    writes, stored = clean_run
    assert stored and max(stored.values()) == 1
    first = {prefix: next(i for i, k in enumerate(writes) if k.startswith(prefix))
             for prefix in ("state/journal/", "raw/", "articles/", "manifests/", "state/seen/")}
    assert first["state/journal/"] < first["raw/"] < first["articles/"] < first["manifests/"] < first["state/seen/"]


def test_crash_after_k_writes_then_rerun_stores_every_article_once(clean_run, site_feeds, tmp_path):
    writes, expected = clean_run
    feeds = load_feeds(site_feeds)
    for k in cut_points(writes):
        inner = LocalStore(tmp_path / f"crash-{k}")
        with pytest.raises(SimulatedCrash):
            poll(FaultyStore(inner, crash_after=k), feeds)
        poll(inner, feeds)  # at once: the crashed run is known dead
        assert article_ids(inner) == expected, f"crash after {k} writes ({writes[k]})"
        report = check_store(inner)
        assert report.ok, (k, report.to_dict())
        assert not list(inner.list("state/journal/"))


def test_one_rerun_right_after_a_crash_stores_everything(clean_run, site_feeds, tmp_path):
    """The crashed run is known dead (its lease), so the very next run finishes its batch and
    fetches again, at once, every page the batch did not store — feed unchanged or not."""
    writes, expected = clean_run
    feeds = load_feeds(site_feeds)
    for prefix in ("articles/", "manifests/", "state/seen/"):
        k = next(i for i, key in enumerate(writes) if key.startswith(prefix))
        inner = LocalStore(tmp_path / f"store-{prefix.strip('/').replace('/', '-')}")
        with pytest.raises(SimulatedCrash):
            poll(FaultyStore(inner, crash_after=k), feeds)
        poll(inner, feeds)  # right away: no waiting for the journal to age
        assert article_ids(inner) == expected, prefix
        assert check_store(inner).ok
        assert not list(inner.list("state/journal/"))
