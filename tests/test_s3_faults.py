"""S3 misbehaving on purpose: a loopback proxy in front of moto answers some requests 500/503.

boto3 retries them (standard mode); what this file checks is the part retries alone do not
give: every object is stored exactly once, a write whose answer was lost (the server applied
it, the client saw a 500) is not reported as someone else's, and a compare-and-swap whose
answer was lost is not applied twice. And when the server keeps failing, the caller gets a
``StoreError`` with the cause, not a botocore traceback.
"""

from __future__ import annotations

import pytest

from config.settings import settings_with
from extractors.errors import StoreError
from storage.articles import ArticleStore, ManifestLine
from storage.pool import WritePool
from storage.s3 import S3Store, make_client
from storage.s3_retry import OBJECT_ATTEMPTS, RetryingClient
from storage.state import SEEN_STORED, SeenIndex
from tests.fixtures_s3 import FaultPlan, sample_record

pytestmark = pytest.mark.slow


def _open(proxy, bucket: str, max_attempts: int = 8, object_attempts: int = OBJECT_ATTEMPTS) -> S3Store:
    client = make_client(settings_with(s3_endpoint=proxy.endpoint), max_attempts=max_attempts)
    store = S3Store(bucket, "run", client=RetryingClient(client, attempts=object_attempts))
    assert store.conditional_writes  # probe before the faults start
    return store


def _store_batch(store: S3Store, count: int) -> list[tuple[str, bool]]:
    """The pipeline's pattern: raws and records through the pool, wait, then the manifest."""
    articles = ArticleStore(store)
    records = [sample_record(n, "2026-11-22T08:00:00+00:00") for n in range(count)]
    with WritePool(store, threads=8) as pool:
        raws = [pool.submit(articles.put_raw, r.id, r.first_seen, f"<html>{r.id}</html>".encode()) for r in records]
        puts = [pool.submit(articles.put_article, r) for r in records]
        pool.wait()
    results = [f.result() for f in puts]
    assert all(f.result() for f in raws)
    lines = [ManifestLine.from_record(r, key, "stored") for r, (key, created) in zip(records, results) if created]
    articles.write_manifest("20261122T080000Z-faults", "2026-11-22", lines)
    return results


def _assert_stored_once(s3_server, bucket: str, count: int) -> None:
    client = s3_server.client()
    keys = [i["Key"] for p in client.get_paginator("list_objects_v2").paginate(Bucket=bucket) for i in p.get("Contents", ())]
    assert len([k for k in keys if k.startswith("run/articles/")]) == count
    assert len([k for k in keys if k.startswith("run/raw/")]) == count
    manifests = [k for k in keys if k.startswith("run/manifests/")]
    assert len(manifests) == 1
    body = client.get_object(Bucket=bucket, Key=manifests[0])["Body"].read().decode()
    ids = [line.split('"id": "')[1].split('"')[0] for line in body.splitlines()]
    assert len(ids) == len(set(ids)) == count


@pytest.mark.parametrize("status", [500, 503])
def test_transient_errors_are_retried_and_every_object_is_stored_once(fault_proxy, s3_server, s3_bucket, status):
    store = _open(fault_proxy, s3_bucket)
    fault_proxy.plan = FaultPlan(every=4, status=status, limit=25)
    results = _store_batch(store, 40)
    assert fault_proxy.faults == 25
    assert all(created for _key, created in results)
    _assert_stored_once(s3_server, s3_bucket, 40)


def test_a_write_whose_answer_was_lost_still_counts_as_ours(fault_proxy, s3_server, s3_bucket):
    """The server stored the object but the client saw a 500: the retry meets its own object (412)."""
    store = _open(fault_proxy, s3_bucket)
    fault_proxy.plan = FaultPlan(every=3, status=500, limit=30, after_forwarding=True)
    results = _store_batch(store, 40)
    assert fault_proxy.faults == 30
    assert all(created for _key, created in results)  # not mistaken for another run's record
    _assert_stored_once(s3_server, s3_bucket, 40)
    # A genuine second writer is still told the record exists.
    assert ArticleStore(store).put_article(sample_record(0, "2026-11-22T08:00:00+00:00"))[1] is False


def test_a_compare_and_swap_whose_answer_was_lost_is_applied_once(fault_proxy, s3_bucket):
    store = _open(fault_proxy, s3_bucket)
    fault_proxy.plan = FaultPlan(every=2, status=500, limit=40, after_forwarding=True)
    for _ in range(20):  # not idempotent: a CAS applied twice would count twice
        store.update_json("state/counter.json", lambda n: (n or 0) + 1)
    assert fault_proxy.faults > 10
    fault_proxy.plan = FaultPlan()
    assert store.get_json("state/counter.json") == 20


def test_seen_index_flushes_survive_lost_answers(fault_proxy, s3_bucket):
    store = _open(fault_proxy, s3_bucket)
    fault_proxy.plan = FaultPlan(every=3, status=500, limit=10, after_forwarding=True)
    for batch in range(5):
        index = SeenIndex.load(store)
        index.mark([f"url-{batch}-{i}" for i in range(10)], SEEN_STORED, "2026-11-22T08:00:00Z")
        index.flush()
    fault_proxy.plan = FaultPlan()
    assert len(SeenIndex.load(store)) == 50  # a segment written twice (lost answer) holds the same keys


def test_a_server_that_keeps_failing_gives_a_store_error(fault_proxy, s3_bucket):
    # 8 and 8 in production: the same path, with minutes of back-off instead of seconds
    store = _open(fault_proxy, s3_bucket, max_attempts=2, object_attempts=3)
    fault_proxy.plan = FaultPlan(every=1, status=503)
    with pytest.raises(StoreError, match="SlowDown"):
        store.put("a.json", b"{}", create_only=True)
    with pytest.raises(StoreError, match="SlowDown"):
        store.get("a.json")
    with pytest.raises(StoreError):
        list(store.list("articles/"))
    with pytest.raises(StoreError, match="SlowDown"):
        with WritePool(store, threads=4) as pool:
            pool.put("b.json", b"{}")
    requests = fault_proxy.requests
    assert requests >= 4 * 2 * 3  # every call was retried (botocore's tries within ours), then given up


def test_a_server_failing_at_open_is_a_one_line_store_error(fault_proxy, s3_bucket):
    fault_proxy.plan = FaultPlan(every=1, status=500)
    client = make_client(settings_with(s3_endpoint=fault_proxy.endpoint), max_attempts=2)
    with pytest.raises(StoreError) as caught:
        S3Store(s3_bucket, "run", client=client)
    assert "cannot open bucket" in str(caught.value) and "\n" not in str(caught.value)


class _NotS3:
    """A loopback endpoint that is no S3: a web server answering 200 + HTML to everything, or
    (``silent``) one that accepts connections and never answers."""

    def __init__(self, silent: bool = False):
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.endpoint = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.silent, self.held = silent, []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            if not self.silent:
                conn.recv(65536)
                body = b"<html><body>Welcome to the portal</body></html>"
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                conn.close()

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


def _open_failure(monkeypatch, server: _NotS3) -> str:
    """The one-line error of opening a store on ``server``'s endpoint."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    try:
        with pytest.raises(StoreError) as caught:
            S3Store.from_uri("s3://news/run", settings_with(s3_endpoint=server.endpoint, s3_path_style=True,
                                                           s3_region="us-east-1"))
    finally:
        server.close()
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_an_endpoint_that_is_a_web_server_is_refused_at_open_not_polled_for_ever(monkeypatch):
    assert "does not answer as S3" in _open_failure(monkeypatch, _NotS3())


def test_an_endpoint_that_never_answers_is_a_one_line_error_in_seconds(monkeypatch):
    import time

    import storage.s3

    monkeypatch.setattr(storage.s3, "CHECK_READ_SECONDS", 1)  # the production bound is 10 s a read, 2 tries
    started = time.monotonic()
    assert "cannot reach the S3 endpoint" in _open_failure(monkeypatch, _NotS3(silent=True))
    assert time.monotonic() - started < 15  # before: 8 tries of 60 s (botocore's defaults), then ours on top
