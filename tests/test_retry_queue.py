"""The retry queue's write-once segments, their replay and their compaction."""

from datetime import datetime, timedelta, timezone

from storage.local import LocalStore
from storage.retry_queue import BASE_PREFIX, MAX_ATTEMPTS, PREFIX, RetryItem, RetryQueue, compact

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def item(n: int, feed: str = "f") -> RetryItem:
    return RetryItem(key=f"k{n}", feed_id=feed, link=f"https://example.org/{n}")


def test_changes_are_write_once_segments_replayed_in_time_order(tmp_path):
    store = LocalStore(tmp_path)
    queue = RetryQueue.load(store)
    queue.failed("f", item(1), "timeout", NOW)
    queue.enqueue("f", item(2), NOW)
    first = queue.flush("run-a", "f", NOW)
    queue.done("f", "k2", NOW + timedelta(minutes=1))
    second = queue.flush("run-a", "f", NOW + timedelta(minutes=1))
    assert first != second and first.startswith(PREFIX + "2026-11/")
    loaded = RetryQueue.load(store)
    assert set(loaded.items) == {"k1"} and loaded.items["k1"].attempts == 1
    assert [i.key for i in loaded.due_for("f", NOW)] == ["k1"]  # the first retry is the next poll
    assert loaded.due_for("other", NOW) == []


def test_back_off_grows_and_a_page_is_given_up_after_max_attempts(tmp_path):
    queue = RetryQueue.load(LocalStore(tmp_path))
    moment = NOW
    for attempt in range(1, MAX_ATTEMPTS):
        assert queue.failed("f", item(1), "timeout", moment)
        moment = max(moment, *(i.next_try and datetime.fromisoformat(i.next_try) or moment for i in queue.items.values()))
    assert queue.items["k1"].attempts == MAX_ATTEMPTS - 1
    assert not queue.failed("f", item(1), "timeout", moment)
    assert "k1" not in queue.items


def test_compaction_keeps_the_queue_and_leaves_one_base(tmp_path):
    store = LocalStore(tmp_path)
    queue = RetryQueue.load(store)
    for n in range(5):
        queue.failed("f", item(n), "connect", NOW + timedelta(seconds=n))
        queue.flush("run-a", "f", NOW + timedelta(seconds=n))
    queue.done("f", "k3", NOW + timedelta(minutes=1))
    queue.flush("run-b", "f", NOW + timedelta(minutes=1))
    before = {k: v.attempts for k, v in RetryQueue.load(store).items.items()}
    stats = compact(store, NOW + timedelta(hours=1))
    assert stats["segments_folded"] == 6
    assert {k: v.attempts for k, v in RetryQueue.load(store).items.items()} == before
    assert [k for k in store.list(PREFIX)] == [k for k in store.list(BASE_PREFIX)] and len(list(store.list(BASE_PREFIX))) == 1
    # Segments written after a compaction are replayed on top of the base.
    later = RetryQueue.load(store)
    later.done("f", "k0", NOW + timedelta(hours=2))
    later.flush("run-c", "f", NOW + timedelta(hours=2))
    compact(store, NOW + timedelta(hours=3))
    assert set(RetryQueue.load(store).items) == {"k1", "k2", "k4"}


def test_a_compaction_cut_short_before_deleting_changes_nothing(tmp_path):
    store = LocalStore(tmp_path)
    queue = RetryQueue.load(store)
    queue.failed("f", item(1), "timeout", NOW)
    queue.flush("run-a", "f", NOW)
    segments = [k for k in store.list(PREFIX) if not k.startswith(BASE_PREFIX)]
    compact(store, NOW + timedelta(minutes=5))
    for key in segments:  # as if the deletes never happened: the base names them as folded
        store.put_json(key, {"changes": [{"op": "put", "at": NOW.isoformat(), "item": vars(item(1)) | {"attempts": 1}}]})
    queue = RetryQueue.load(store)
    queue.done("f", "k1", NOW + timedelta(minutes=6))
    queue.flush("run-b", "f", NOW + timedelta(minutes=6))
    assert "k1" not in RetryQueue.load(store).items


def test_compaction_drops_items_no_poll_tried_for_longer_than_max_age(tmp_path):
    from storage.retry_queue import MAX_AGE

    store = LocalStore(tmp_path)
    queue = RetryQueue.load(store)
    queue.failed("gone-feed", item(1, "gone-feed"), "timeout", NOW)
    queue.failed("f", item(2), "timeout", NOW + MAX_AGE)
    queue.flush("run-a", "f", NOW)
    queue.flush("run-a", "gone-feed", NOW)
    stats = compact(store, NOW + MAX_AGE + timedelta(hours=1))
    assert stats["expired"] == 1 and set(RetryQueue.load(store).items) == {"k2"}
