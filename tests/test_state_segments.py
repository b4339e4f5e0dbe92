"""Write-once state segments and their compaction: seen URLs and the dedup index.

A batch writes a new object and never rewrites a month; compaction folds a month into a
base and deletes only what that base covers — beside a running poll, a second compactor,
or a crash between the two steps. Runs on a local store and on the loopback S3 server.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from extractors.errors import NotFound
from storage import dedup_shards, seen_index, segments
from storage.compact import compact_store
from storage.dedup_index import DedupIndex
from storage.local import LocalStore
from storage.state import SEEN_DUPLICATE, SEEN_STORED, SeenIndex
from tests.test_dedup_index import synthetic_stream

NOW = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
MONTH = "2026-11"
REPO = Path(__file__).resolve().parents[1]


def url_key(n: int) -> str:
    return hashlib.sha256(f"https://example.org/{n}".encode()).hexdigest()[:20]


def mark_batches(store, batches: int, per_batch: int = 5, start: int = 0) -> None:
    for b in range(batches):
        index = SeenIndex.load(store, NOW)
        index.mark([url_key(start + b * per_batch + i) for i in range(per_batch)], SEEN_STORED, NOW)
        index.flush(NOW, f"run-{b}")


def keys_under(store, prefix: str) -> list[str]:
    return list(store.list(prefix))


def test_each_flush_writes_a_new_segment_and_never_rewrites_one(any_store):
    mark_batches(any_store, 3)
    found = keys_under(any_store, f"state/seen/{MONTH}/")
    assert len(found) == 3 and all("/seg-" in k for k in found)
    first = {k: any_store.get(k) for k in found}
    mark_batches(any_store, 1, start=100)
    assert {k: any_store.get(k) for k in found} == first  # untouched
    index = SeenIndex.load(any_store, NOW)
    assert all(url_key(n) in index for n in range(15)) and url_key(100) in index and url_key(999) not in index
    assert index.first_seen_day(url_key(3)) == "2026-11-22"


def test_compaction_folds_a_month_into_one_base_with_the_same_answers(any_store):
    mark_batches(any_store, 4)
    later = SeenIndex.load(any_store, NOW)
    later.mark([url_key(2)], SEEN_DUPLICATE, NOW + timedelta(days=1))  # a later mark wins
    later.flush(NOW, "later")
    before = SeenIndex.load(any_store, NOW)
    report = compact_store(any_store)
    (base,) = keys_under(any_store, f"state/seen/{MONTH}/")
    assert "/base-00000001" in base and report.segments == 5
    after = SeenIndex.load(any_store, NOW)
    for n in range(25):
        assert after.get(url_key(n)) == before.get(url_key(n))
    assert after.get(url_key(2)) == "d20261123"
    assert compact_store(any_store).segments == 0  # nothing new: nothing rewritten
    assert keys_under(any_store, f"state/seen/{MONTH}/") == [base]


class WritesDuringCompaction:
    """A store on which a poll commits a batch right after compaction has listed the month."""

    def __init__(self, store):
        self.store, self.done = store, False

    def __getattr__(self, name):
        return getattr(self.store, name)

    def put(self, key, data, **kw):
        if "/base-" in key and not self.done:
            self.done = True
            index = SeenIndex.load(self.store, NOW)
            index.mark([url_key(500)], SEEN_STORED, NOW)
            index.flush(NOW, "concurrent-poll")
        return self.store.put(key, data, **kw)


def test_a_segment_written_while_compacting_is_kept_and_still_read(any_store):
    mark_batches(any_store, 2)
    compact_store(WritesDuringCompaction(any_store))
    found = keys_under(any_store, f"state/seen/{MONTH}/")
    assert sum("/base-" in k for k in found) == 1 and sum("-concurrent-poll-" in k for k in found) == 1
    index = SeenIndex.load(any_store, NOW)
    assert url_key(500) in index and url_key(0) in index
    compact_store(any_store)
    assert [k for k in keys_under(any_store, f"state/seen/{MONTH}/") if "/seg-" in k] == []
    assert url_key(500) in SeenIndex.load(any_store, NOW)


class DeletesFail:
    def __init__(self, store):
        self.store = store

    def __getattr__(self, name):
        return getattr(self.store, name)

    def delete(self, key):
        raise OSError("killed before deleting")


def test_a_compaction_killed_after_its_base_leaves_readers_right_and_is_finished_later(tmp_path):
    store = LocalStore(tmp_path)
    mark_batches(store, 3)
    with pytest.raises(OSError):
        compact_store(DeletesFail(store))
    found = keys_under(store, f"state/seen/{MONTH}/")
    assert sum("/base-" in k for k in found) == 1 and sum("/seg-" in k for k in found) == 3
    state = segments.read_month(store, "seen", MONTH)
    assert state.segments == [] and len(state.covered) == 3  # covered segments are not read again
    assert all(url_key(n) in SeenIndex.load(store, NOW) for n in range(15))
    compact_store(store)
    assert [k for k in keys_under(store, f"state/seen/{MONTH}/")] == [f"state/seen/{MONTH}/base-00000001.bin"]


class AnotherCompactorFirst:
    """A store on which another compactor writes the same base generation just before this one."""

    def __init__(self, store):
        self.store = store

    def __getattr__(self, name):
        return getattr(self.store, name)

    def put(self, key, data, **kw):
        if "/base-" in key:
            self.store.put(key, data, create_only=True)  # the same merge, written by the other one
        return self.store.put(key, data, **kw)


def test_two_compactors_racing_for_the_same_base_delete_nothing_of_the_loser(tmp_path):
    store = LocalStore(tmp_path)
    mark_batches(store, 3)
    lost = seen_index.compact(AnotherCompactorFirst(store), MONTH)
    assert lost.lost_race and lost.deleted == 0 and lost.base is None
    found = keys_under(store, f"state/seen/{MONTH}/")
    assert sum("/seg-" in k for k in found) == 3 and sum("/base-" in k for k in found) == 1
    assert all(url_key(n) in SeenIndex.load(store, NOW) for n in range(15))


class VanishingReads:
    """A reader whose listed objects are compacted away before it reads them (once)."""

    def __init__(self, store):
        self.store, self.raced = store, False

    def __getattr__(self, name):
        return getattr(self.store, name)

    def get(self, key):
        if "/seg-" in key and not self.raced:
            self.raced = True
            compact_store(self.store)
            raise NotFound(key)
        return self.store.get(key)


def test_a_reader_that_meets_a_compacted_segment_lists_the_month_again(tmp_path):
    store = LocalStore(tmp_path)
    mark_batches(store, 3)
    index = SeenIndex.load(VanishingReads(store), NOW)
    assert all(url_key(n) in index for n in range(15))


def test_a_store_copied_while_it_is_compacted_keeps_every_mark(tmp_path):
    from storage.copy import copy_store

    source, target = LocalStore(tmp_path / "a"), LocalStore(tmp_path / "b")
    mark_batches(source, 3)
    report = copy_store(VanishingReads(source), target, progress=False, threads=2)
    assert report.ok
    assert all(url_key(n) in SeenIndex.load(target, NOW) for n in range(15))


def test_the_earlier_whole_month_objects_are_read_and_folded_in(tmp_path):
    store = LocalStore(tmp_path)
    store.put_json(f"state/seen/{MONTH}.json", {url_key(1): "s20261102", url_key(2): "i20261103"})
    mark_batches(store, 1, start=10)
    index = SeenIndex.load(store, NOW)
    assert index.get(url_key(2)) == "i20261103" and url_key(10) in index
    compact_store(store)
    assert not store.exists(f"state/seen/{MONTH}.json")
    assert SeenIndex.load(store, NOW).get(url_key(1)) == "s20261102"


@pytest.mark.parametrize("bulk_docs", [100, 65535])  # a load through several story-window merges, or one
def test_a_dedup_index_loaded_from_segments_decides_as_the_one_that_wrote_them(tmp_path, monkeypatch, bulk_docs):
    from storage.dedup_window import _StoryWindow

    monkeypatch.setattr(_StoryWindow, "BULK_DOCS", bulk_docs)
    store = LocalStore(tmp_path)
    stream = list(synthetic_stream(1500))  # over 5 days: older documents leave the story window
    writer = DedupIndex(store)
    for start in range(0, 1200, 40):
        writer.decide_and_add_many(stream[start:start + 40])
        writer.flush(f"batch-{start}")
    assert len(keys_under(store, "state/dedup/")) >= 30
    reader = DedupIndex(store)
    reader.load_recent(stream[1199][3])
    compact_store(store)
    compacted = DedupIndex(store)
    compacted.load_recent(stream[1199][3])
    rest = stream[1200:]
    expected = [writer.decide_and_add_many(rest[i:i + 20]) for i in range(0, len(rest), 20)]
    assert [reader.decide_and_add_many(rest[i:i + 20]) for i in range(0, len(rest), 20)] == expected
    assert [compacted.decide_and_add_many(rest[i:i + 20]) for i in range(0, len(rest), 20)] == expected


def test_a_document_written_by_two_overlapping_runs_is_loaded_once(tmp_path):
    store = LocalStore(tmp_path)
    stream = list(synthetic_stream(40))
    for run in ("a", "b"):
        index = DedupIndex(store)
        index.decide_and_add_many(stream[:20])
        index.flush(run)
    loaded = DedupIndex(store)
    loaded.load_recent(stream[19][3])
    assert loaded._rows.n == len({item[0] for item in stream[:20]})
    compact_store(store)
    (base,) = [k for k in store.list("state/dedup/") if "/base-" in k]
    assert len(dedup_shards.decode(*segments.unpack(store.get(base)))) == loaded._rows.n


@pytest.mark.slow
def test_store_compact_command_reports_what_it_merged(tmp_path):
    store = LocalStore(tmp_path)
    mark_batches(store, 3)
    done = subprocess.run([sys.executable, "-m", "flows.cli", "store", "compact", "--store", str(tmp_path),
                           "--format", "json"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["segments"] == 3 and report["months"][0]["base"].endswith("base-00000001.bin")


def test_seen_marks_keep_their_day_and_status_in_a_month_held_packed(tmp_path):
    from storage.seen_index import _PackedMonth

    store = LocalStore(tmp_path)
    index = SeenIndex.load(store, NOW)
    days = {"s": NOW, "d": datetime(2009, 1, 2, tzinfo=timezone.utc), "i": NOW - timedelta(days=40), "f": NOW}
    for n, (status, day) in enumerate(days.items()):
        index.mark([url_key(n)], status, day)
    index.flush(NOW, "packed")
    compact_store(store)
    loaded = SeenIndex.load(store, NOW)
    assert isinstance(loaded._months[0], _PackedMonth)  # 10 bytes a key
    for n, (status, day) in enumerate(days.items()):
        assert loaded.get(url_key(n)) == status + day.strftime("%Y%m%d")
    # A day the packing cannot hold (more than 22 years off the month) keeps the month unpacked, exact.
    index = SeenIndex.load(store, NOW)
    index.mark([url_key(9)], SEEN_STORED, datetime(2000, 1, 3, tzinfo=timezone.utc))
    index.flush(NOW, "far")
    compact_store(store)
    loaded = SeenIndex.load(store, NOW)
    assert not isinstance(loaded._months[0], _PackedMonth)
    assert loaded.get(url_key(9)) == "s20000103" and loaded.get(url_key(1)) == "d20090102"
