"""S3 under a sustained 30 % rate of 500/503 answers (a loopback proxy in front of moto): nothing fails.

botocore's own retries are not enough there (its retry quota is shared by the client and a
sustained rate drains it); each object operation has its own bounded back-off on top
(storage/s3_retry.py). A poll through the proxy must store every page once, every feed ok.
"""

from __future__ import annotations

import pytest

from config.settings import Settings, settings_with
from extractors.records import Feed
from flows.pipeline import PollOptions
from flows.poll import run_poll
from storage.articles import ArticleStore
from storage.check import check_store
from storage.pool import WritePool
from storage.s3 import S3Store, make_client
from tests.fixtures_s3 import FaultPlan
from tests.hostile_server import HostileServer

pytestmark = pytest.mark.slow


def test_a_thousand_writes_and_reads_at_a_30_percent_error_rate_all_succeed(fault_proxy, s3_bucket):
    # botocore allowed only 2 attempts, as when its shared retry quota is drained: alone it fails about
    # 9 % of operations at this rate (0.3 × 0.3); the per-object back-off must carry every one through.
    client = make_client(settings_with(s3_endpoint=fault_proxy.endpoint), max_attempts=2)
    store = S3Store(s3_bucket, "run", client=client)
    assert store.conditional_writes
    fault_proxy.plan = FaultPlan(rate=0.3, status=503, seed=1)
    with WritePool(store, threads=16) as pool:
        writes = [pool.submit(store.put, f"objects/{n:04d}.json", b'{"n": %d}' % n, create_only=True) for n in range(500)]
        pool.wait()
    assert all(future.result() for future in writes)
    fault_proxy.plan = FaultPlan(rate=0.3, status=500, seed=2)
    assert sorted(store.list("objects/")) == [f"objects/{n:04d}.json" for n in range(500)]
    assert all(store.get(f"objects/{n:04d}.json") == b'{"n": %d}' % n for n in range(0, 500, 1))
    assert fault_proxy.faults > 300  # the rate really was sustained


def test_a_poll_to_s3_at_a_30_percent_error_rate_stores_every_page_once(fault_proxy, s3_bucket, monkeypatch):
    site = HostileServer()
    feeds = [Feed(id=f"feed-{n}", name=f"f{n}", url=f"{site.base}/feeds/feed-{n}.xml") for n in range(4)]
    site.feeds = {f"feed-{n}": [f"/page-{200 + 10 * n + k}.html" for k in range(6)] for n in range(4)}
    settings = Settings(allow_private_hosts=True, s3_endpoint=fault_proxy.endpoint, upload_threads=8, respect_robots=False)
    uri = f"s3://{s3_bucket}/poll"
    try:
        fault_proxy.plan = FaultPlan(rate=0.3, status=503, seed=3)
        first = run_poll(uri, feeds, PollOptions(), settings)
        fault_proxy.plan = FaultPlan(rate=0.3, status=500, seed=4)
        second = run_poll(uri, feeds, PollOptions(), settings)
    finally:
        site.close()
    assert fault_proxy.faults > 50
    assert [f.outcome for f in first.feeds] == ["ok"] * 4, [f.error for f in first.feeds]
    assert [f.outcome for f in second.feeds] == ["unchanged"] * 4
    fault_proxy.plan = FaultPlan()
    store = S3Store(s3_bucket, "poll", client=make_client(settings))
    urls = [record.url for _key, record in ArticleStore(store).all_articles()]
    assert len(urls) == len(set(urls)) == 24
    assert check_store(store).ok
