"""The poll flow on Dask worker processes (prefect-dask), against the harness and the loopback site.

Dask workers are separate processes: they inherit os.environ, not this process's Prefect
settings (the harness sets PREFECT_API_URL in the latter), and each builds its own run
context from the pickled settings and store URI (flows/context.py). The articles must
still be stored once.

Three worker processes on purpose: the poll's in-run claims ("a link in two feeds is
fetched once") live in one process's memory, so a link in two feeds may be fetched by two
processes. The write-once record decides: the process that finds it already stored lists
and counts nothing, so every article is in exactly one manifest line.
"""

from __future__ import annotations

from collections import Counter

import pytest

from config.settings import Settings
from storage.articles import ArticleStore
from storage.local import LocalStore

pytestmark = pytest.mark.slow

SINCE = "2026-11-01"


def articles(store) -> list:
    return [r for _k, r in ArticleStore(LocalStore(store)).all_articles() if r.source != "seed"]


def manifest_ids(store) -> list[str]:
    books = ArticleStore(LocalStore(store))
    return [line.id for key in books.store.list("manifests/") for line in books.read_manifest(key)]


def plain_poll(store, feeds_file) -> None:
    """The same poll without Prefect: what the Dask run must store."""
    from flows.pipeline import PollOptions, load_feeds
    from flows.poll import parse_since, run_poll

    settings = Settings(allow_private_hosts=True, task_retry_delays=[0, 0, 0])
    run_poll(str(store), load_feeds(feeds_file), PollOptions(since=parse_since(SINCE)), settings)


def test_poll_on_dask_worker_processes_stores_each_article_once(prefect_harness, site_feeds, tmp_path, monkeypatch):
    from prefect import get_client
    from tests.fixtures_prefect import settled_task_runs
    from prefect.settings import PREFECT_API_URL
    from prefect_dask import DaskTaskRunner

    from flows.poll_flow import poll_feeds

    # Before the cluster starts, as for any process-based runner. With Prefect 3.8.8 and
    # prefect-dask 0.3.7 each submitted task also carries this process's settings context, so
    # the tasks found the harness even without it (measured); Prefect code a worker runs outside
    # a task would not.
    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    monkeypatch.setenv("NEWSWATCH_TASK_RETRY_DELAYS", "[0,0,0]")
    runner = DaskTaskRunner(cluster_kwargs={"n_workers": 3, "threads_per_worker": 1, "processes": True})
    store = tmp_path / "dask"

    state = poll_feeds.with_options(task_runner=runner)(
        store=str(store), feeds_file=str(site_feeds), since=SINCE, return_state=True)

    assert state.is_completed(), state
    summary = state.result()
    plain_poll(tmp_path / "plain", site_feeds)
    stored, expected = articles(store), articles(tmp_path / "plain")
    assert stored and sorted(r.id for r in stored) == sorted(r.id for r in expected)
    assert max(Counter(r.id for r in stored).values()) == 1
    assert max(Counter(r.canonical_url for r in stored).values()) == 1
    assert sorted(manifest_ids(store)) == sorted(r.id for r in stored)
    assert summary["totals"]["stored"] + summary["totals"]["irrelevant"] == len(stored)
    # the feed tasks ran on the workers and reported to this server, one per feed, all completed
    with get_client(sync_client=True) as client:
        tasks = settled_task_runs(client, state.state_details.flow_run_id)
    feed_tasks = [t for t in tasks if t.name.startswith("poll-")]
    assert len(feed_tasks) == len(summary["feeds"]) and all(t.state.is_completed() for t in feed_tasks)
