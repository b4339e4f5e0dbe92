"""Local copies of an S3 store's state bases (storage/base_cache.py), against the loopback moto server.

A run start reads each month's dedup and seen base; on S3 a base is now downloaded once per
compaction and read from a local, disposable copy afterwards — always the store's current
object (same key, ETag and size), whatever the cache directory holds or lacks.
"""

from __future__ import annotations

import logging
from collections import Counter

import pytest

from storage import base_cache
from storage.compact import compact_store
from storage.dedup_index import DedupIndex
from storage.s3 import S3Store
from storage.state import SeenIndex
from tests.test_dedup_index import synthetic_stream
from tests.test_state_segments import NOW, mark_batches, url_key

STREAM = list(synthetic_stream(260))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    path = tmp_path / "cache"
    monkeypatch.setenv("NEWSWATCH_CACHE_DIR", str(path))
    return path


def open_store(uri: str) -> tuple[S3Store, Counter]:
    """A new store (as a new run opens it) and the object GETs it sends, by key."""
    store = S3Store.from_uri(uri)
    gets: Counter = Counter()

    def count(params, **_kwargs):
        gets[params["Key"][len(store.prefix):]] += 1

    store.client._client.meta.events.register("provide-client-params.s3.GetObject", count)
    return store, gets


def write_state(store: S3Store, batches: range) -> None:
    """Dedup and seen segments as polls write them, then a compaction into bases."""
    index = DedupIndex(store)
    index.load_recent(NOW)
    for b in batches:
        index.decide_and_add_many(STREAM[b * 20:(b + 1) * 20])
        index.flush(f"batch-{b}")
    mark_batches(store, len(batches), start=batches.start * 5)
    compact_store(store)


def load(store: S3Store):
    seen = SeenIndex.load(store, NOW)
    dedup = DedupIndex(store)
    dedup.load_recent(STREAM[-1][3])
    return seen, dedup


def bases(store: S3Store) -> list[str]:
    return [k for k in store.list("state/") if base_cache.cacheable(k)]


def decisions(dedup: DedupIndex) -> list:
    rest = STREAM[200:]
    return [dedup.decide_and_add_many(rest[i:i + 20]) for i in range(0, len(rest), 20)]


def test_a_second_run_reads_the_bases_from_its_local_copies_without_a_get(s3_uri, cache_dir):
    store, first_gets = open_store(s3_uri)
    write_state(store, range(5))
    first_gets.clear()
    load(store)
    base_keys = bases(store)
    assert {"dedup", "seen"} <= {k.split("/")[1] for k in base_keys}
    assert all(first_gets[k] == 1 for k in base_keys)  # the first run downloads each base once

    again, gets = open_store(s3_uri)  # the next run: a new process would open it the same way
    seen, dedup = load(again)
    assert not any(gets[k] for k in base_keys)
    uncached, _ = open_store(s3_uri)
    uncached.bases.limit = 0  # the same store read without copies: the same answers
    plain_seen, plain_dedup = load(uncached)
    assert all((url_key(n) in seen) == (url_key(n) in plain_seen) for n in range(40))
    assert url_key(3) in seen and url_key(999) not in seen
    assert decisions(dedup) == decisions(plain_dedup)


def test_a_new_compaction_base_is_downloaded_and_the_replaced_copy_removed(s3_uri, cache_dir):
    store, _ = open_store(s3_uri)
    write_state(store, range(3))
    load(store)
    old = set(bases(store))
    copies_before = {p.name for p in cache_dir.rglob("base-*")}
    assert len(copies_before) == len(old)

    write_state(store, range(3, 6))  # more polls, and the hourly compaction writes new bases
    new = set(bases(store))
    assert new and not new & old
    run, gets = open_store(s3_uri)
    seen, _dedup = load(run)
    assert all(gets[k] == 1 for k in new)
    assert url_key(29) in seen  # a mark of the later batches, held only by the new base
    names = {p.name for p in cache_dir.rglob("base-*")}
    assert len(names) == len(new) and not names & copies_before  # the replaced copies are gone


def test_a_truncated_local_copy_is_downloaded_again(s3_uri, cache_dir, caplog):
    store, _ = open_store(s3_uri)
    write_state(store, range(4))
    load(store)
    (dedup_copy,) = [p for p in cache_dir.rglob("base-*") if "/dedup/" in str(p)]
    whole = dedup_copy.stat().st_size
    with open(dedup_copy, "r+b") as handle:
        handle.truncate(whole // 2)  # a copy cut short (a full disk, an edit, a crash of the disk)

    run, gets = open_store(s3_uri)
    with caplog.at_level(logging.INFO, logger="newswatch.state"):
        _seen, dedup = load(run)
    assert any("downloading it again" in r.getMessage() for r in caplog.records)
    (dedup_base,) = [k for k in bases(run) if k.startswith("state/dedup/")]
    assert gets[dedup_base] == 1 and dedup_copy.stat().st_size == whole
    fresh, _ = open_store(s3_uri)
    fresh.bases.limit = 0
    assert decisions(dedup) == decisions(load(fresh)[1])


def test_a_damaged_local_copy_of_the_right_size_is_read_again_not_quarantined(s3_uri, cache_dir):
    store, _ = open_store(s3_uri)
    write_state(store, range(4))
    load(store)
    (seen_copy,) = [p for p in cache_dir.rglob("base-*") if "/seen/" in str(p)]
    data = bytearray(seen_copy.read_bytes())
    data[: data.index(b"\n")] = b"x" * data.index(b"\n")  # an unreadable header, same size
    seen_copy.write_bytes(bytes(data))

    run, gets = open_store(s3_uri)
    seen, _dedup = load(run)
    assert url_key(3) in seen
    assert not list(run.list("state/quarantine/"))  # the store's base is fine and stays where it is
    (seen_base,) = [k for k in bases(run) if k.startswith("state/seen/")]
    assert gets[seen_base] == 1


def test_an_object_put_again_under_the_same_key_is_not_answered_from_the_old_copy(s3_uri, cache_dir):
    store, _ = open_store(s3_uri)
    write_state(store, range(2))
    load(store)
    (seen_base,) = [k for k in bases(store) if k.startswith("state/seen/")]
    other, _ = open_store(s3_uri.rstrip("/") + "-other")
    write_state(other, range(4, 6))  # another store's base for the same month: other marks
    store.put(seen_base, other.get(seen_base))  # as a server without conditional writes could let happen

    run, gets = open_store(s3_uri)
    seen, _ = load(run)
    assert gets[seen_base] == 1
    assert url_key(25) in seen and url_key(3) not in seen


def test_an_unwritable_cache_directory_still_loads_and_says_so_in_one_line(s3_uri, tmp_path, monkeypatch, caplog):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    monkeypatch.setenv("NEWSWATCH_CACHE_DIR", str(blocked / "cache"))
    store, _ = open_store(s3_uri)
    write_state(store, range(3))
    run, gets = open_store(s3_uri)
    with caplog.at_level(logging.INFO, logger="newswatch.state"):
        seen, dedup = load(run)
    assert url_key(3) in seen and dedup._rows.n > 0
    notes = [r for r in caplog.records if "not cached locally" in r.getMessage()]
    assert len(notes) == 1 and notes[0].exc_info is None
    assert all(gets[k] == 1 for k in bases(run))


def test_the_cache_is_held_under_its_size_bound_least_recently_used_first(tmp_path):
    cache = base_cache.BaseCache(tmp_path / base_cache.FOLDER / "store", limit_bytes=2500)
    for n in range(4):
        key = f"state/dedup/2026-0{n + 1}/base-00000001.bin"
        view = cache.fill(key, f'"etag{n}"', 1000, lambda handle: handle.write(b"x" * 1000))
        assert bytes(view[:3]) == b"xxx"
    held = sorted(p.parent.name for p in (tmp_path / base_cache.FOLDER).rglob("base-*"))
    assert held == ["2026-03", "2026-04"]  # 2 × 1000 bytes fit under 2500; the oldest went first
