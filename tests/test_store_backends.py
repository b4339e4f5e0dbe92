"""The whole store contract, run on a local directory and on S3 (moto on loopback).

Every test takes ``any_store`` (tests/fixtures_s3.py), so a backend that behaves differently
from the other fails here, not in a poll.
"""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone

import pytest

from extractors.errors import Conflict, NotFound, StoreError
from storage import layout
from storage.articles import ArticleStore, ManifestLine
from storage.pool import WritePool
from storage.state import (
    FeedState,
    SeenIndex,
    SEEN_STORED,
    load_all_feed_states,
    load_feed_state,
    save_feed_state,
    stale_journals,
    write_journal,
)
from tests.fixtures_s3 import sample_record

# Objects -----------------------------------------------------------------------------------------


def test_put_then_get_returns_the_same_bytes(any_store):
    any_store.put("a/b/c.bin", b"\x00\x01payload")
    assert any_store.get("a/b/c.bin") == b"\x00\x01payload"


def test_create_only_put_refuses_to_overwrite_and_says_so(any_store):
    assert any_store.put("raw/x.html.gz", b"first", create_only=True) is True
    assert any_store.put("raw/x.html.gz", b"second", create_only=True) is False
    assert any_store.get("raw/x.html.gz") == b"first"


def test_plain_put_overwrites(any_store):
    any_store.put("k.json", b"1")
    any_store.put("k.json", b"2")
    assert any_store.get("k.json") == b"2"


def test_missing_key_raises_not_found(any_store):
    with pytest.raises(NotFound):
        any_store.get("nothing/here.json")
    with pytest.raises(NotFound):
        any_store.get_versioned("nothing/here.json")
    assert not any_store.exists("nothing/here.json")


@pytest.mark.parametrize("key", ["", "/abs", "a/../b", "a//b", "a/./b", "a\\b"])
def test_keys_that_could_escape_the_root_are_refused(any_store, key):
    with pytest.raises(StoreError):
        any_store.put(key, b"x")


def test_cas_creates_only_when_absent(any_store):
    version = any_store.put_if_version("state/x.json", b"1", None)
    assert version
    with pytest.raises(Conflict):
        any_store.put_if_version("state/x.json", b"2", None)
    assert any_store.get("state/x.json") == b"1"


def test_cas_with_a_stale_version_conflicts_and_keeps_the_newer_value(any_store):
    any_store.put_if_version("state/x.json", b"1", None)
    _, v1 = any_store.get_versioned("state/x.json")
    v2 = any_store.put_if_version("state/x.json", b"2", v1)
    assert v2 != v1
    with pytest.raises(Conflict):
        any_store.put_if_version("state/x.json", b"3", v1)
    data, current = any_store.get_versioned("state/x.json")
    assert (data, current) == (b"2", v2)


def test_cas_on_a_deleted_object_conflicts(any_store):
    any_store.put("state/x.json", b"1")
    _, version = any_store.get_versioned("state/x.json")
    any_store.delete("state/x.json")
    with pytest.raises(Conflict):
        any_store.put_if_version("state/x.json", b"2", version)


def test_update_json_retries_after_a_concurrent_change(any_store):
    any_store.put_json("state/n.json", {"n": 0})
    calls = []

    def change(current):
        calls.append(current["n"])
        if len(calls) == 1:  # another run sneaks in between our read and our write
            any_store.put_json("state/n.json", {"n": 10})
        return {"n": current["n"] + 1}

    assert any_store.update_json("state/n.json", change) == {"n": 11}
    assert calls == [0, 10]
    assert any_store.get_json("state/n.json") == {"n": 11}


def test_delete_removes_and_tolerates_a_missing_key(any_store):
    any_store.put("d.txt", b"x")
    any_store.delete("d.txt")
    any_store.delete("d.txt")
    assert not any_store.exists("d.txt")


def test_list_returns_keys_under_a_prefix_in_lexical_order(any_store):
    for key in ["articles/2026/11/22/b.json", "articles/2026/11/22/a.json", "articles/2026/11/23/c.json",
                "articles/2026/11/2x.json", "raw/2026/11/22/a.html.gz", "seeds/s.json"]:
        any_store.put(key, b"{}")
    assert list(any_store.list("articles/2026/11/22/")) == ["articles/2026/11/22/a.json", "articles/2026/11/22/b.json"]
    # A prefix that ends inside a path segment matches like a bucket listing does.
    assert list(any_store.list("articles/2026/11/2")) == [
        "articles/2026/11/22/a.json", "articles/2026/11/22/b.json", "articles/2026/11/23/c.json", "articles/2026/11/2x.json",
    ]
    assert list(any_store.list("nope/")) == []
    assert len(list(any_store.list())) == 6


def test_list_goes_past_one_listing_page(any_store):
    keys = [f"many/{i:05d}.json" for i in range(1105)]  # S3 pages hold 1000 keys
    with WritePool(any_store, threads=16) as pool:
        for key in keys:
            pool.put(key, b"{}")
    assert list(any_store.list("many/")) == keys


def test_json_helpers_round_trip_unicode(any_store):
    value = {"title": "Սահմանին լարվածություն", "ka": "საქართველო", "az": "Əliyev"}
    assert any_store.put_json("seeds/u.json", value, create_only=True)
    assert any_store.get_json("seeds/u.json") == value


# Article records, raw pages, manifests -------------------------------------------------------------


def test_an_article_is_stored_once_and_read_back(any_store):
    articles = ArticleStore(any_store)
    record = sample_record(1)
    key, created = articles.put_article(record)
    assert created and key == layout.article_key(record.id, record.first_seen)
    assert articles.put_article(record) == (key, False)
    assert articles.get_article(key) == record


def test_raw_pages_are_gzipped_and_written_once(any_store):
    articles = ArticleStore(any_store)
    page = "<html><body><p>Ереван — Баку</p></body></html>".encode("utf-8")
    key = articles.put_raw("abc", "2026-11-22T10:00:00Z", page)
    assert key == "raw/2026/11/22/abc.html.gz"
    assert gzip.decompress(any_store.get(key)) == page
    articles.put_raw("abc", "2026-11-22T10:00:00Z", b"other")
    assert articles.get_raw(key) == page


def test_a_days_manifests_give_that_days_articles_latest_line_winning(any_store):
    articles = ArticleStore(any_store)
    day = "2026-11-22T09:00:00+00:00"
    first, second = sample_record(1, day), sample_record(2, day)
    lines = []
    for record in (first, second):
        key, _ = articles.put_article(record)
        lines.append(ManifestLine.from_record(record, key, "stored"))
    articles.write_manifest("20261122T090000Z-aaaaaa", day, lines)
    articles.write_manifest("20261122T100000Z-bbbbbb", day, [ManifestLine.from_record(first, lines[0].key, "reprocessed")])
    assert {line.id: line.status for line in articles.manifest_lines("2026-11-22")} == {
        first.id: "reprocessed", second.id: "stored",
    }
    assert sorted(r.id for _k, r in articles.articles_for_day("2026-11-22")) == sorted([first.id, second.id])
    assert list(articles.articles_for_day("2026-11-21")) == []


# State ----------------------------------------------------------------------------------------------


def test_feed_state_round_trips_and_lists(any_store):
    state = FeedState(feed_id="civil.ge", url="https://civil.ge/feed", etag='"abc"', consecutive_failures=2)
    save_feed_state(any_store, state)
    save_feed_state(any_store, FeedState(feed_id="other"))
    assert load_feed_state(any_store, "civil.ge") == state
    assert load_feed_state(any_store, "never-polled") == FeedState(feed_id="never-polled")
    assert {s.feed_id for s in load_all_feed_states(any_store)} == {"civil.ge", "other"}


def test_two_seen_indexes_flushing_in_one_month_keep_both_marks(any_store):
    now = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
    one, two = SeenIndex.load(any_store, now), SeenIndex.load(any_store, now)
    one.mark(["k1"], SEEN_STORED, now)
    two.mark(["k2"], SEEN_STORED, now)
    assert one.flush(now) == 1 and two.flush(now) == 1
    again = SeenIndex.load(any_store, now)
    assert "k1" in again and "k2" in again
    assert again.first_seen_day("k1") == "2026-11-22"


def test_only_old_journals_are_stale(any_store):
    write_journal(any_store, "run-1", [{"url": "https://a.example/x"}])
    assert stale_journals(any_store) == []
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    assert [key for key, _ in stale_journals(any_store, later)] == ["state/journal/run-1.json"]


@pytest.mark.parametrize("uri, words", [
    ("gs://bucket/news", "gs:// stores are not supported"),
    ("ftp://host/news", "ftp:// stores are not supported"),
    ("s3:/bucket", "not a valid s3 URL"),
    ("s3:bucket", "not a valid s3 URL"),
])
def test_a_store_url_of_another_scheme_is_refused_not_made_a_local_directory(tmp_path, monkeypatch, uri, words):
    from extractors.errors import StoreError
    from storage import open_store

    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError) as refused:
        open_store(uri)
    assert words in str(refused.value)
    assert list(tmp_path.iterdir()) == []  # no "gs:" directory left behind


def test_a_directory_name_with_a_colon_is_still_a_directory(tmp_path, monkeypatch):
    from storage import open_store

    monkeypatch.chdir(tmp_path)
    store = open_store("notes:2024")
    store.put("a.json", b"{}")
    assert (tmp_path / "notes:2024" / "a.json").read_bytes() == b"{}"


def test_a_full_disk_is_the_stores_one_line_failure_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    """ENOSPC (or a read-only disk) while writing: a StoreError saying so, not a raw OSError
    that the poll reported as "could not be read" with tracebacks."""
    import errno

    from extractors.errors import StoreError
    from storage.local import LocalStore

    store = LocalStore(tmp_path / "store")

    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("storage.local.os.fsync", full)
    for write in (lambda: store.put("a/b.json", b"{}"), lambda: store.put_if_version("a/c.json", b"{}", None)):
        with pytest.raises(StoreError) as failed:
            write()
        assert "the disk is full" in str(failed.value) and "\n" not in str(failed.value)
    assert [p.name for p in (tmp_path / "store").rglob("*") if p.is_file() and not p.name.startswith(".lock")] == []
