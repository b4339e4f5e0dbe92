"""What only the S3 backend has: content types, the key prefix, opening errors, conditional
writes as moto enforces them, the fallback for servers without them, and the WritePool."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from botocore.exceptions import ClientError

from config.settings import settings_with
from extractors.errors import Conflict, StoreError
from storage import open_store
from storage.articles import ArticleStore, ManifestLine
from storage.pool import WritePool
from storage.s3 import S3Store, make_client
from tests.fixtures_s3 import FaultPlan, sample_record


def _head(store: S3Store, key: str) -> dict:
    return store.client.head_object(Bucket=store.bucket, Key=store.prefix + key)


def test_open_store_dispatches_s3_uris_and_keys_live_under_the_prefix(s3_uri, s3_server, s3_bucket):
    store = open_store(s3_uri)
    assert isinstance(store, S3Store)
    store.put("seeds/a.json", b"{}")
    raw = s3_server.client().list_objects_v2(Bucket=s3_bucket)
    assert [item["Key"] for item in raw["Contents"]] == ["newswatch/seeds/a.json"]
    neighbour = open_store(f"s3://{s3_bucket}/other")
    assert list(neighbour.list()) == []


def test_a_bucket_root_uri_needs_no_prefix(s3_server, s3_bucket):
    store = open_store(f"s3://{s3_bucket}")
    store.put("x.json", b"{}")
    assert s3_server.client().head_object(Bucket=s3_bucket, Key="x.json")
    assert list(store.list()) == ["x.json"]


def test_records_raw_pages_and_manifests_carry_their_content_types(s3_store):
    articles = ArticleStore(s3_store)
    record = sample_record(3)
    key, _ = articles.put_article(record)
    raw = articles.put_raw(record.id, record.first_seen, b"<html></html>")
    manifest = articles.write_manifest("run-1", record.first_seen, [ManifestLine.from_record(record, key, "stored")])
    assert _head(s3_store, key)["ContentType"] == "application/json"
    assert _head(s3_store, raw)["ContentType"] == "application/gzip"
    assert _head(s3_store, manifest)["ContentType"] == "application/x-ndjson"


def test_a_missing_bucket_fails_at_open_in_one_line(s3_server):
    with pytest.raises(StoreError) as caught:
        open_store("s3://no-such-bucket-newswatch/x")
    message = str(caught.value)
    assert "no-such-bucket-newswatch" in message and "does not exist" in message and "\n" not in message


def test_missing_credentials_fail_at_open_without_leaking_anything(s3_server, s3_bucket, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(StoreError, match="no AWS credentials"):
        open_store(f"s3://{s3_bucket}/p")


def test_an_unreachable_endpoint_is_a_store_error(s3_bucket, monkeypatch):
    from tests.fixtures_s3 import free_port

    settings = settings_with(s3_endpoint=f"http://127.0.0.1:{free_port()}")
    client = make_client(settings, max_attempts=1)
    with pytest.raises(StoreError, match="cannot reach"):
        S3Store(s3_bucket, "p", client=client)


def test_errors_and_logs_never_contain_the_secret_key(s3_server, s3_bucket, monkeypatch, caplog):
    secret = "SECRETvalue-do-not-print-1234567890"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    caplog.set_level(logging.DEBUG, logger="storage")
    messages = []
    for uri in ("s3://no-such-bucket-newswatch", f"s3://{s3_bucket}/p"):
        try:
            store = open_store(uri)
            store.get("missing.json")
        except StoreError as exc:
            messages.append(str(exc))
    assert len(messages) == 2
    assert all(secret not in m for m in messages) and secret not in caplog.text


def test_the_endpoint_setting_overrides_aws_endpoint_url_and_path_style_is_honoured(s3_server, s3_bucket, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    settings = settings_with(s3_endpoint=s3_server.endpoint, s3_path_style=True, s3_region="eu-central-1")
    store = S3Store.from_uri(f"s3://{s3_bucket}/p", settings)
    assert store.client.meta.endpoint_url == s3_server.endpoint
    assert store.client.meta.config.s3["addressing_style"] == "path"
    assert store.client.meta.region_name == "eu-central-1"
    assert store.put("a.json", b"{}", create_only=True)


# Conditional writes as the server enforces them ---------------------------------------------------


def test_moto_enforces_if_none_match_and_if_match(s3_server, s3_bucket):
    """The premise of this backend, checked on the raw protocol (not through S3Store)."""
    client = s3_server.client()
    client.put_object(Bucket=s3_bucket, Key="k", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as caught:
        client.put_object(Bucket=s3_bucket, Key="k", Body=b"2", IfNoneMatch="*")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    etag = client.head_object(Bucket=s3_bucket, Key="k")["ETag"]
    with pytest.raises(ClientError) as caught:
        client.put_object(Bucket=s3_bucket, Key="k", Body=b"3", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    client.put_object(Bucket=s3_bucket, Key="k", Body=b"4", IfMatch=etag)
    assert client.get_object(Bucket=s3_bucket, Key="k")["Body"].read() == b"4"


def test_the_probe_finds_conditional_writes_and_leaves_nothing_behind(s3_store, s3_server, s3_bucket):
    assert s3_store.conditional_writes is True
    keys = [i["Key"] for i in s3_server.client().list_objects_v2(Bucket=s3_bucket).get("Contents", ())]
    assert keys == []


@pytest.mark.parametrize("plan", [FaultPlan(strip_conditions=True), FaultPlan(refuse_conditions=True)], ids=["ignored", "501"])
def test_without_conditional_writes_the_store_falls_back_and_warns_once(fault_proxy, s3_bucket, plan, caplog):
    fault_proxy.plan = plan
    store = S3Store.from_uri(f"s3://{s3_bucket}/p", settings_with(s3_endpoint=fault_proxy.endpoint))
    with caplog.at_level(logging.WARNING, logger="storage.s3"):
        assert store.put("a.json", b"1", create_only=True) is True
        assert store.put("a.json", b"2", create_only=True) is False
        version = store.put_if_version("s.json", b"1", None)
        with pytest.raises(Conflict):
            store.put_if_version("s.json", b"2", None)
        store.put_if_version("s.json", b"3", version)
    assert store.conditional_writes is False
    assert store.get("a.json") == b"1" and store.get("s.json") == b"3"
    warnings = [r.message for r in caplog.records if r.name == "storage.s3"]
    assert len(warnings) == 1 and "check-then-write" in warnings[0]


def test_concurrent_create_only_writes_have_exactly_one_winner(s3_store):
    results, barrier = [], threading.Barrier(8)

    def write(n: int) -> None:
        barrier.wait()
        results.append(s3_store.put("race.json", str(n).encode(), create_only=True))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


# WritePool -----------------------------------------------------------------------------------------


def test_write_pool_writes_everything_and_wait_raises_the_first_error(s3_store):
    with WritePool(s3_store, threads=8) as pool:
        futures = [pool.put(f"p/{i}.json", b"{}", create_only=True) for i in range(40)]
        pool.put("../bad", b"x")
        pool.put("p/after.json", b"{}")
        with pytest.raises(StoreError, match="invalid store key"):
            pool.wait()
    assert all(f.result() for f in futures)
    assert len(list(s3_store.list("p/"))) == 41  # the failure stopped nothing else


def test_write_pool_overlaps_slow_writes(tmp_path):
    from storage.local import LocalStore

    class SlowStore(LocalStore):
        def put(self, key, data, **kw):
            time.sleep(0.05)
            return super().put(key, data, **kw)

    store = SlowStore(tmp_path)
    started = time.perf_counter()
    with WritePool(store, threads=8) as pool:
        for i in range(16):
            pool.put(f"k/{i}", b"x")
    assert time.perf_counter() - started < 16 * 0.05 / 2
    assert len(list(store.list("k/"))) == 16


def test_credentials_come_from_a_named_aws_credentials_block(s3_server, s3_bucket, monkeypatch):
    from prefect_aws import AwsCredentials

    loaded = []
    block = AwsCredentials(aws_access_key_id="BLOCKKEY", aws_secret_access_key="blocksecret", region_name="us-east-1")

    def load(cls, name, **kwargs):
        loaded.append(name)
        return block

    monkeypatch.setattr(AwsCredentials, "load", classmethod(load))
    store = S3Store.from_uri(f"s3://{s3_bucket}/p", settings_with(aws_credentials_block="newswatch-s3"))
    assert loaded == ["newswatch-s3"]
    assert store.client._request_signer._credentials.access_key == "BLOCKKEY"
    assert store.put("a.json", b"{}", create_only=True)


def test_an_unloadable_credentials_block_is_a_store_error(s3_bucket, monkeypatch):
    from prefect_aws import AwsCredentials

    def load(cls, name, **kwargs):
        raise ValueError(f"Unable to find block document named {name}")

    monkeypatch.setattr(AwsCredentials, "load", classmethod(load))
    with pytest.raises(StoreError, match="AwsCredentials block 'missing-block'"):
        S3Store.from_uri(f"s3://{s3_bucket}/p", settings_with(aws_credentials_block="missing-block"))
