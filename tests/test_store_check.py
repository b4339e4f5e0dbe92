"""``store check`` finds every broken invariant, ``--repair`` fixes what can be rebuilt without
editing a manifest, and ``store copy`` is resumable, idempotent and copies state last."""

from __future__ import annotations

import argparse
import dataclasses
import json

import pytest

from storage import layout
from storage.articles import ArticleStore, ManifestLine
from storage.base import dumps
from storage.check import check_store
from storage.copy import copy_store
from storage.local import LocalStore
from storage.state import FeedState, save_feed_state, write_journal
from tests.faults import FaultyStore, SimulatedCrash
from tests.fixtures_s3 import sample_record

DAY = "2026-11-22T08:00:00+00:00"


def _populate(store, count: int = 3) -> list:
    """A consistent store as a poll leaves it: raws, records, one manifest, feed state."""
    articles = ArticleStore(store)
    records, lines = [], []
    for n in range(count):
        record = sample_record(n, DAY)
        articles.put_raw(record.id, record.first_seen, f"<html><p>page {n}</p></html>".encode())
        key, _ = articles.put_article(record)
        records.append(record)
        lines.append(ManifestLine.from_record(record, key, "stored"))
    articles.write_manifest("20261122T080000Z-aaaaaa", DAY, lines)
    save_feed_state(store, FeedState(feed_id="example-am", etag='"e1"'))
    return records


def _rebuild(store):
    """A stand-in for the pipeline's ``rebuild_record_from_raw``: identity from the raw key."""

    def rebuild(raw_key: str):
        page = ArticleStore(store).get_raw(raw_key).decode()
        day = "-".join(raw_key.split("/")[1:4])
        article_id = raw_key.rsplit("/", 1)[1].split(".")[0]
        first_seen = f"{day}T08:00:00+00:00"
        return dataclasses.replace(sample_record(0, first_seen), id=article_id, text=page, raw_key=raw_key)

    return rebuild


def _kinds(report) -> list[str]:
    return sorted(p.kind for p in report.problems)


def test_a_consistent_store_checks_ok(any_store):
    _populate(any_store)
    report = check_store(any_store)
    assert report.ok and report.problems == []
    assert (report.records, report.manifests, report.manifest_lines, report.raw_pages) == (3, 1, 3, 3)
    assert report.to_dict()["ok"] is True


def test_every_broken_invariant_is_reported(any_store):
    records = _populate(any_store)
    articles = ArticleStore(any_store)
    any_store.delete(articles.record_key(records[0]))  # manifest line without record
    unlisted = sample_record(7, DAY, raw_key=None)
    articles.put_article(unlisted)  # record in no manifest
    articles.put_raw("0123456789abcdef0123", DAY, b"<html></html>")  # raw page of no record
    any_store.put("articles/2026/11/22/broken.json", b"{not json")
    moved = sample_record(8, DAY, raw_key=None)
    any_store.put("articles/2026/11/21/" + moved.id + ".json", dumps(moved.to_dict()))  # wrong day
    report = check_store(any_store)
    assert not report.ok
    assert _kinds(report) == [
        "bad-record", "key-mismatch", "missing-record", "orphan-raw",
        "unlisted-record", "unlisted-record", "unlisted-record",
    ]


def test_page_metadata_whose_raw_page_is_gone_is_a_warning_and_kept(tmp_path):
    store = LocalStore(tmp_path)
    records = _populate(store)
    articles = ArticleStore(store)
    kept = articles.put_raw_meta(records[1].raw_key, {"feed_id": "example-am"})
    gone = layout.raw_meta_key("raw/2026/11/22/ffffffffffffffffffff.html.gz")
    store.put(gone, b'{"feed_id": "example-am"}')  # a batch rolled back between the two writes
    report = check_store(store, repair=True)
    assert report.ok and report.raw_meta == 2
    assert [(p.kind, p.key, p.severity) for p in report.problems] == [("orphan-raw-meta", gone, "warning")]
    assert store.exists(gone) and store.exists(kept)  # a repair adds objects, never deletes


def test_repair_lists_unlisted_records_in_a_repair_manifest_and_keeps_history(tmp_path):
    store = LocalStore(tmp_path)
    _populate(store)
    articles = ArticleStore(store)
    extra = sample_record(9, DAY, duplicate_of="someone", raw_key=None)
    articles.put_article(extra)
    before = {key: store.get(key) for key in store.list("manifests/")}

    report = check_store(store, repair=True)
    assert report.ok and report.repaired == 1
    repair_manifest = [k for k in report.written if k.startswith("manifests/")]
    assert len(repair_manifest) == 1 and repair_manifest[0].startswith("manifests/2026/11/22/repair-")
    assert {k: store.get(k) for k in before} == before  # history untouched
    statuses = {line.id: line.status for line in articles.manifest_lines("2026-11-22")}
    assert statuses[extra.id] == "duplicate"
    assert any(k.startswith("state/repairs/") for k in report.written)
    assert check_store(store).problems == []


def test_a_lost_record_without_raw_page_is_marked_missing_not_erased(tmp_path):
    store = LocalStore(tmp_path)
    records = _populate(store)
    articles = ArticleStore(store)
    store.delete(articles.record_key(records[1]))
    store.delete(layout.raw_key(records[1].id, records[1].first_seen))

    report = check_store(store, repair=True, rebuild_record=_rebuild(store))
    assert report.ok and _kinds(report) == ["missing-record"] and report.problems[0].repaired
    lines = {line.id: line.status for line in articles.manifest_lines("2026-11-22")}
    assert lines[records[1].id] == "missing"
    assert sorted(r.id for _k, r in articles.articles_for_day("2026-11-22")) == sorted([records[0].id, records[2].id])
    again = check_store(store)
    assert again.ok and _kinds(again) == ["lost-record"]


def test_a_lost_record_with_its_raw_page_is_rebuilt_where_the_manifest_points(any_store):
    records = _populate(any_store)
    articles = ArticleStore(any_store)
    key = articles.record_key(records[2])
    any_store.delete(key)

    report = check_store(any_store, repair=True, rebuild_record=_rebuild(any_store))
    assert report.ok and key in report.written
    rebuilt = articles.get_article(key)
    assert rebuilt.id == records[2].id and rebuilt.first_seen == records[2].first_seen
    assert "page 2" in rebuilt.text
    assert check_store(any_store).problems == []


def test_an_orphan_raw_page_is_rebuilt_or_reported(tmp_path):
    store = LocalStore(tmp_path)
    _populate(store)
    ArticleStore(store).put_raw("0123456789abcdef0123", DAY, b"<html><p>orphan</p></html>")

    unrepaired = check_store(store, repair=True)  # no rebuilder: nothing to rebuild with
    assert not unrepaired.ok and _kinds(unrepaired) == ["orphan-raw"]

    repaired = check_store(store, repair=True, rebuild_record=_rebuild(store))
    assert repaired.ok
    assert store.exists("articles/2026/11/22/0123456789abcdef0123.json")
    assert check_store(store).problems == []


def test_stale_journals_are_warnings_left_to_the_next_poll(tmp_path):
    store = LocalStore(tmp_path)
    _populate(store)
    key = write_journal(store, "20261122T080000Z-aaaaaa", [{"url": "https://a.example/1"}])
    old = store.get_json(key) | {"written": "2026-01-01T00:00:00+00:00"}
    store.put_json(key, old)
    report = check_store(store, repair=True)
    assert report.ok and [(p.kind, p.severity, p.repaired) for p in report.problems] == [("stale-journal", "warning", False)]
    assert store.exists(key)


# Copy -------------------------------------------------------------------------------------------


def test_copy_to_s3_is_complete_and_a_second_copy_writes_nothing(tmp_path, s3_store):
    src = LocalStore(tmp_path)
    _populate(src, 5)
    report = copy_store(src, s3_store, progress=False)
    assert report.ok and report.copied == report.objects == len(list(src.list()))
    assert sorted(s3_store.list()) == sorted(src.list())
    assert check_store(s3_store).ok

    again = copy_store(src, s3_store, progress=False)
    assert (again.copied, again.updated, again.skipped) == (0, 0, again.objects)

    save_feed_state(src, FeedState(feed_id="example-am", etag='"e2"'))
    changed = copy_store(src, s3_store, progress=False)
    assert (changed.copied, changed.updated) == (0, 1)
    assert s3_store.get_json(layout.feed_state_key("example-am"))["etag"] == '"e2"'


def test_an_interrupted_copy_is_consistent_and_resumes(tmp_path, s3_store):
    src = LocalStore(tmp_path / "src")
    _populate(src, 6)
    total = len(list(src.list()))  # 6 raws, 6 records, 1 manifest, 1 feed state
    crashing = FaultyStore(s3_store, crash_after=total - 1)
    with pytest.raises(SimulatedCrash):
        copy_store(src, crashing, progress=False, threads=1)
    order = [k.split("/")[0] for k in crashing.writes]
    # Objects before the manifest that names them, state last (not reached: the copy died).
    assert order[-1] == "manifests" and set(order[:-1]) == {"raw", "articles"}
    assert check_store(s3_store).ok  # a half copy is a consistent store
    resumed = copy_store(src, s3_store, progress=False)
    assert resumed.ok and resumed.skipped == total - 1 and resumed.copied == 1


def test_copy_from_s3_back_to_a_directory(tmp_path, s3_store):
    _populate(s3_store, 2)
    dst = LocalStore(tmp_path / "back")
    report = copy_store(s3_store, dst, progress=False)
    assert report.ok and sorted(dst.list()) == sorted(s3_store.list())
    assert copy_store(s3_store, dst, progress=False).skipped == report.objects


# Command line -----------------------------------------------------------------------------------


def _cli(argv: list[str]) -> int:
    from flows.cli_store import register

    parser = argparse.ArgumentParser(prog="newswatch")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_store_check_prints_json_and_exits_nonzero_on_problems(tmp_path, capsys):
    store = LocalStore(tmp_path)
    records = _populate(store)
    assert _cli(["store", "check", "--store", str(tmp_path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True

    store.delete(ArticleStore(store).record_key(records[0]))
    assert _cli(["store", "check", "--store", str(tmp_path), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [p["kind"] for p in out["problems"]] == ["missing-record"]


def test_store_check_defaults_to_the_configured_store(tmp_path, monkeypatch, capsys):
    _populate(LocalStore(tmp_path))
    monkeypatch.setenv("NEWSWATCH_STORE", str(tmp_path))
    assert _cli(["store", "check"]) == 0
    captured = capsys.readouterr()
    assert "3 records" in captured.out  # the report is the answer: stdout (issue 15)


def test_store_copy_command_and_an_unopenable_store(tmp_path, s3_uri, capsys):
    _populate(LocalStore(tmp_path))
    assert _cli(["store", "copy", str(tmp_path), s3_uri, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["copied"] > 0
    assert _cli(["store", "copy", str(tmp_path), "s3://no-such-bucket-newswatch"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_store_check_repair_uses_the_pipelines_rebuilder_bound_to_the_store(tmp_path, monkeypatch, capsys):
    import sys
    import types

    store = LocalStore(tmp_path)
    records = _populate(store)
    key = ArticleStore(store).record_key(records[1])
    store.delete(key)
    calls = []

    def rebuild_record_from_raw(bound_store, raw_key):  # the pipeline's signature
        calls.append(raw_key)
        return _rebuild(bound_store)(raw_key)

    monkeypatch.setitem(sys.modules, "flows.rebuild", types.SimpleNamespace(rebuild_record_from_raw=rebuild_record_from_raw))
    assert _cli(["store", "check", "--store", str(tmp_path), "--repair", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["repaired"] == 1
    assert calls == [layout.raw_key(records[1].id, records[1].first_seen)] and store.exists(key)


def test_repair_rebuilds_a_damaged_record_from_its_raw_page(site, site_feeds, tmp_path):
    from flows.pipeline import PollOptions, load_feeds
    from flows.rebuild import rebuild_record_from_raw
    from flows.poll import run_poll
    from config.settings import Settings
    from storage.articles import ArticleStore

    store = LocalStore(tmp_path)
    run_poll(store, load_feeds(site_feeds), PollOptions(), Settings(allow_private_hosts=True))
    articles = ArticleStore(store)
    key = sorted(articles.all_article_keys())[-1]
    before = articles.get_article(key)
    store.put(key, store.get(key)[:80])  # cut short
    report = check_store(store)
    assert [p.kind for p in report.problems] == ["bad-record"]  # once: its raw page is not an orphan too
    report = check_store(store, repair=True, rebuild_record=lambda raw: rebuild_record_from_raw(store, raw))
    assert report.repaired == 1 and check_store(store).ok
    after = articles.get_article(key)
    assert (after.id, after.url, after.title, after.text, after.first_seen) == (
        before.id, before.url, before.title, before.text, before.first_seen)


def test_a_damaged_manifest_line_is_skipped_by_readers_and_rewritten_by_repair(tmp_path, caplog):
    """A line cut short (a full disk, a hand edit) used to stop every reader on JSONDecodeError."""
    store = LocalStore(tmp_path)
    records = _populate(store)
    articles = ArticleStore(store)
    [key] = list(store.list("manifests/"))
    good = store.get(key).decode().splitlines()
    store.put(key, ("\n".join([good[0], good[1][: len(good[1]) // 2], "[1, 2]", good[2]]) + "\n").encode())

    listed = {line.id for line in articles.manifest_lines(DAY)}  # the readers go on, with a warning
    assert listed == {records[0].id, records[2].id}
    assert "line 2 is damaged" in caplog.text

    report = check_store(store)
    assert not report.ok and "bad-manifest" in _kinds(report) and "unlisted-record" in _kinds(report)
    repaired = check_store(store, repair=True)
    assert repaired.ok
    assert check_store(store).problems == []  # a second check finds nothing left
    assert {line.id for line in articles.manifest_lines(DAY)} == {r.id for r in records}


@pytest.mark.parametrize("target", ["", "sub", "sub/deeper"])
def test_a_store_is_not_copied_into_itself_or_a_folder_of_it(tmp_path, target):
    from extractors.errors import StoreError

    src = LocalStore(tmp_path / "store")
    src.put("articles/2026/12/03/a.json", b"{}")
    with pytest.raises(StoreError, match="one store lies inside the other"):
        copy_store(src, LocalStore(tmp_path / "store" / target), progress=False)
    if target:  # and the other way round
        with pytest.raises(StoreError, match="one store lies inside the other"):
            copy_store(LocalStore(tmp_path / "store" / target), src, progress=False)
    assert copy_store(src, LocalStore(tmp_path / "store-copy"), progress=False).copied == 1  # a sibling is fine


def test_a_store_path_that_is_a_symlink_loop_is_a_one_line_store_error(tmp_path):
    from extractors.errors import StoreError

    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(StoreError, match="cannot use .* as a store"):
        LocalStore(tmp_path / "a")


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_a_day_no_news_could_be_from_is_refused_in_one_line(value):
    from extractors.errors import ConfigError
    from flows.cli_options import parse_day

    with pytest.raises(ConfigError, match="not a day news could be from"):
        parse_day(value, "--date")


@pytest.mark.parametrize("command", ["check", "compact"])
def test_an_empty_store_option_is_refused_not_taken_for_the_configured_store(tmp_path, monkeypatch, capsys, command):
    _populate(LocalStore(tmp_path))
    monkeypatch.setenv("NEWSWATCH_STORE", str(tmp_path))  # a store that would answer
    assert _cli(["store", command, "--store", ""]) == 2  # e.g. --store "$UNSET_VARIABLE"
    assert "the store is empty" in capsys.readouterr().err


@pytest.mark.parametrize("damage", ["deleted", "cut short"])
def test_a_rebuilt_duplicate_keeps_the_dedup_decision_its_manifest_recorded(tmp_path, damage):
    # the raw page cannot say what it was a copy of: without the manifest's decision the digest
    # listed the story twice
    store = LocalStore(tmp_path)
    articles = ArticleStore(store)
    original = sample_record(0, DAY)
    copy = dataclasses.replace(sample_record(1, DAY), duplicate_of=original.id, cluster=original.id)
    lines = []
    for n, record in enumerate((original, copy)):
        articles.put_raw(record.id, record.first_seen, f"<html><p>page {n}</p></html>".encode())
        key, _ = articles.put_article(record)
        lines.append(ManifestLine.from_record(record, key, "duplicate" if record.duplicate_of else "stored"))
    articles.write_manifest("20261122T080000Z-aaaaaa", DAY, lines)
    key = articles.record_key(copy)
    if damage == "deleted":
        store.delete(key)
    else:
        store.put(key, store.get(key)[:40])
    assert check_store(store, repair=True, rebuild_record=_rebuild(store)).repaired == 1
    rebuilt = articles.get_article(key)
    assert (rebuilt.duplicate_of, rebuilt.cluster) == (original.id, original.id)


def test_a_refused_copy_into_the_source_store_leaves_nothing_behind(tmp_path, capsys):
    _populate(LocalStore(tmp_path / "store"))
    assert _cli(["store", "copy", str(tmp_path / "store"), str(tmp_path / "store" / "sub")]) == 2
    assert "lies inside the other" in capsys.readouterr().err
    assert not (tmp_path / "store" / "sub").exists()


def test_a_damaged_feed_state_is_reported_and_set_aside_by_repair(tmp_path):
    store = LocalStore(tmp_path)
    _populate(store)
    store.put("state/feeds/desk.json", b"{garbage")
    report = check_store(store)
    assert not report.ok and [p.kind for p in report.problems] == ["damaged-state"]
    repaired = check_store(store, repair=True)
    assert repaired.ok and repaired.repaired == 1
    assert not store.exists("state/feeds/desk.json") and any(store.list("state/quarantine/"))
    assert check_store(store).ok


@pytest.mark.parametrize("content", [b"[]", b'"x"', b'{"feed_id": "desk", "consecutive_failures": "many"}'])
def test_a_feed_state_of_the_wrong_shape_is_damaged_and_the_commands_that_read_it_go_on(tmp_path, content):
    from flows.feed_status import feed_statuses
    from extractors.records import Feed
    from storage.state import load_all_feed_states

    store = LocalStore(tmp_path)
    _populate(store)
    store.put("state/feeds/desk.json", content)
    report = check_store(store)
    assert [p.kind for p in report.problems] == ["damaged-state"]
    assert all(state.feed_id != "desk" for state in load_all_feed_states(store))  # said, not an AttributeError
    assert feed_statuses(store, [Feed(id="desk", name="Desk", url="https://desk.example.org/rss")])[0].id == "desk"
    check_store(store, repair=True)  # (reading the feed's own state above already set it aside)
    assert check_store(store).ok and any(store.list("state/quarantine/"))


def test_a_mistyped_s3_prefix_is_no_store_for_a_command_that_only_reads(tmp_path, s3_uri):
    from extractors.errors import StoreError
    from storage import open_store

    _populate(LocalStore(tmp_path))
    assert _cli(["store", "copy", str(tmp_path), s3_uri]) == 0
    open_store(s3_uri, must_exist=True).close()  # the copy is there
    with pytest.raises(StoreError, match="^no store at .*nothing under that prefix"):
        open_store(s3_uri.rstrip("/") + "/no-such-prefix", must_exist=True)
