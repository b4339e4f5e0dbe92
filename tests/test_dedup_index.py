"""The dedup index in a real LocalStore: fixture pairs, seeds, shards, overlapping runs."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from extractors import fingerprint as fp
from storage import dedup_shards
from storage.dedup_index import DedupIndex
from storage import segments
from storage.local import LocalStore
from tests.benchmark_module import load_benchmark
from tests.test_near_duplicates import DEDUP, PAIRS, first_line_title

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)


def article_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:20]


def index_text(index: DedupIndex, doc_id: str, text: str, when: datetime = NOW):
    decision = index.decide(doc_id, text, title=first_line_title(text), when=when)
    index.add(doc_id, decision, text=text, title=first_line_title(text), when=when)
    return decision


@pytest.fixture
def store(tmp_path):
    return LocalStore(tmp_path / "store")


@pytest.mark.parametrize("pair", PAIRS, ids=[p["name"] for p in PAIRS])
def test_index_finds_the_first_copy_of_duplicates_and_only_of_duplicates(store, pair):
    index = DedupIndex(store)
    index.load_recent(NOW)
    a_id, b_id = pair.get("a_id") or article_id(pair["a"]), article_id(pair["b"])
    when_b = NOW + (timedelta(days=1200) if "b_date" in pair else timedelta(hours=3))
    first = index_text(index, a_id, (DEDUP / pair["a"]).read_text())
    second = index_text(index, b_id, (DEDUP / pair["b"]).read_text(), when_b)
    assert first.duplicate_of is None and first.cluster == a_id
    if pair["kind"] == "duplicate":
        assert second.duplicate_of == a_id and second.cluster == a_id and second.similarity >= 0.4
    else:
        assert second.duplicate_of is None and second.similarity == 0.0


def test_exact_copy_is_marked_exact_with_the_same_content_hash(store):
    text = (DEDUP / "seed_003.txt").read_text()
    index = DedupIndex(store)
    index_text(index, "seed-003", text)
    again = index.decide(article_id("copy"), text.replace("\n", "\n\n").upper(), title="", when=NOW)
    assert again.exact and again.duplicate_of == "seed-003" and again.similarity == 1.0
    assert again.content_hash == fp.content_hash(text)


def test_stored_seed_is_found_by_a_later_run_and_months_are_sharded(store):
    seed = (DEDUP / "seed_001.txt").read_text()
    index = DedupIndex(store)
    index_text(index, "seed-001", seed, datetime(2020, 9, 27, tzinfo=timezone.utc))
    index_text(index, article_id("x"), (DEDUP / "gt_bbc_a.txt").read_text())
    index.flush()
    assert list(store.list("state/dedup/seeds/seg-")) and list(store.list("state/dedup/2026-03/seg-"))

    later = DedupIndex(store, months=3)
    later.load_recent(NOW + timedelta(days=20))
    assert later.loaded == ["seeds", "2026-03"]
    copy = (DEDUP / "seed_001_republished.txt").read_text()
    decision = later.decide(article_id("copy"), copy, title="", when=NOW + timedelta(days=20))
    assert decision.duplicate_of == "seed-001" and decision.cluster == "seed-001"


def test_old_months_are_not_loaded(store):
    index = DedupIndex(store)
    index_text(index, article_id("old"), (DEDUP / "gt_bbc_a.txt").read_text(), NOW - timedelta(days=200))
    index.flush()
    fresh = DedupIndex(store, months=3)
    fresh.load_recent(NOW)
    assert fresh.loaded == []
    assert fresh.decide("y" * 20, (DEDUP / "gt_bbc_a_amp.txt").read_text(), title="", when=NOW).duplicate_of is None


def test_adding_twice_or_flushing_twice_stores_one_record(store):
    index = DedupIndex(store)
    text = (DEDUP / "gt_ap_a.txt").read_text()
    index_text(index, article_id("a"), text)
    index_text(index, article_id("a"), text)
    index.flush()
    index.flush()
    rerun = DedupIndex(store)
    rerun.load_recent(NOW)
    index_text(rerun, article_id("a"), text)  # a rerun of the same window
    rerun.flush()
    again = DedupIndex(store)
    again.load_recent(NOW)
    assert again._rows.n == 1 and again._rows.id(0) == article_id("a")
    dedup_shards.compact(store, "2026-03", lambda *_: None)
    (base,) = store.list("state/dedup/2026-03/")
    assert "/base-" in base and len(dedup_shards.decode(*segments.unpack(store.get(base)))) == 1


def test_overlapping_runs_both_end_up_in_the_store(store):
    first, second = DedupIndex(store), DedupIndex(store)
    first.load_recent(NOW)
    second.load_recent(NOW)  # both start from the same (empty) shard
    index_text(first, article_id("a"), (DEDUP / "gt_ap_a.txt").read_text())
    index_text(second, article_id("b"), (DEDUP / "gt_bbc_b.txt").read_text())
    first.flush()
    second.flush()  # its own segment: nothing of first's is overwritten
    merged = DedupIndex(store)
    merged.load_recent(NOW)
    assert merged._rows.n == 2
    assert {merged._rows.id(0), merged._rows.id(1)} == {article_id("a"), article_id("b")}


def test_follow_up_with_shared_names_joins_the_story_within_days(store):
    index = DedupIndex(store)
    a = (DEDUP / "event_border_a.txt").read_text()
    b = (DEDUP / "event_border_b.txt").read_text()
    first = index_text(index, article_id("a"), a)
    follow = index.decide(article_id("b"), b, title=first_line_title(b), when=NOW + timedelta(days=1))
    late = index.decide(article_id("c"), b, title=first_line_title(b), when=NOW + timedelta(days=30))
    assert follow.duplicate_of is None and follow.cluster == first.cluster
    assert late.cluster == article_id("c")


def synthetic_stream(count: int, seed: int = 3):
    """Articles assembled from the fixtures' paragraphs: new mixes, exact and edited copies
    of earlier articles (often in the same batch), and ids indexed a second time."""
    rng = random.Random(seed)
    paragraphs = [line for path in sorted(DEDUP.glob("*.txt")) for line in path.read_text().split("\n") if line.strip()]
    made: list[tuple[str, str]] = []
    for i in range(count):
        roll = rng.random()
        if made and roll < 0.06:
            doc_id, text = made[max(0, len(made) - rng.randint(1, 30))]  # same id again
        elif made and roll < 0.25:
            _, text = made[max(0, len(made) - rng.randint(1, 80))]
            lines = text.split("\n")
            kind = rng.randrange(3)
            if kind == 0 and len(lines) > 2:
                del lines[rng.randrange(1, len(lines))]
            elif kind == 1:
                lines.insert(0, rng.choice(paragraphs)[:60])  # another site's headline
            text = "\n".join(lines).upper() if kind == 2 else "\n".join(lines)
            doc_id = article_id(f"doc-{i}")
        else:
            doc_id, text = article_id(f"doc-{i}"), "\n".join(rng.sample(paragraphs, rng.randint(2, 7)))
        made.append((doc_id, text))
        yield doc_id, text, first_line_title(text), NOW + timedelta(hours=i // 12)


def test_batches_decide_exactly_as_one_article_at_a_time(tmp_path):
    items = list(synthetic_stream(2500))
    single, batched = DedupIndex(LocalStore(tmp_path / "a")), DedupIndex(LocalStore(tmp_path / "b"))
    expected = [index_text(single, doc_id, text, when) for doc_id, text, _, when in items]
    sizes, at, got = random.Random(5), 0, []
    while at < len(items):
        size = sizes.choice([1, 2, 7, 50, 200])
        got += batched.decide_and_add_many(items[at : at + size])
        at += size
    assert sum(d.duplicate_of is not None for d in expected) > 300  # the stream has copies to find
    assert got == expected
    assert batched._rows.n == single._rows.n
    assert [batched._rows.cluster_id(r) for r in range(batched._rows.n)] == [
        single._rows.cluster_id(r) for r in range(single._rows.n)
    ]


def test_copy_inside_one_batch_is_a_duplicate_of_the_earlier_item(store):
    a = (DEDUP / "gt_ap_a.txt").read_text()
    b = (DEDUP / "gt_ap_a_syndicated.txt").read_text()
    index = DedupIndex(store)
    first, copy, again = index.decide_and_add_many(
        [(article_id("a"), a, "", NOW), (article_id("b"), b, "", NOW), (article_id("a"), a, "", NOW)]
    )
    assert first.duplicate_of is None and copy.duplicate_of == article_id("a") and copy.cluster == article_id("a")
    # The same article again is not its own duplicate (it may be its copy's) and is indexed once.
    assert again.duplicate_of != article_id("a") and again.cluster == article_id("a")
    assert index._rows.n == 2


def test_an_already_indexed_article_early_in_a_batch_leaves_the_later_rows_in_order(store):
    a = (DEDUP / "gt_ap_a.txt").read_text()
    other = "Entirely different words about a mountain road and its repair budget. " * 12
    index = DedupIndex(store)
    index.decide_and_add_many([(article_id("a"), a, "", NOW)])
    again, new, copy_of_new = index.decide_and_add_many(
        [(article_id("a"), a, "", NOW), (article_id("o"), other, "", NOW), (article_id("o2"), other, "", NOW)]
    )
    assert again.duplicate_of is None and again.cluster == article_id("a")  # not its own duplicate
    assert new.duplicate_of is None and copy_of_new.duplicate_of == article_id("o") and copy_of_new.exact
    assert [index._rows.id(r) for r in range(index._rows.n)] == [article_id("a"), article_id("o"), article_id("o2")]
    assert index._rows.cluster_id(2) == article_id("o")


def test_a_batch_mixing_seed_ids_and_hex_ids_keeps_every_id(store):
    texts = [(DEDUP / name).read_text() for name in ("gt_ap_a.txt", "gt_ap_a_syndicated.txt")]
    ids = ["seed-armenia-1", article_id("x"), article_id("y")]
    index = DedupIndex(store)
    decisions = index.decide_and_add_many([(ids[0], texts[0], "", NOW), (ids[1], texts[1], "", NOW), (ids[2], "Other words entirely " * 40, "", NOW)])
    assert [index._rows.id(r) for r in range(index._rows.n)] == ids
    assert decisions[1].duplicate_of == ids[0] and index._rows.cluster_id(1) == ids[0]
    assert index._rows.cluster_id(2) == ids[2]


def test_story_window_merges_keep_every_posting_of_the_last_days_grouped_by_word():
    from storage.dedup_window import _StoryWindow

    window, rng, added = _StoryWindow(), random.Random(3), []
    window.MERGE_EVERY = 64  # many merges, through the class's own trigger
    window.__init__()
    for row in range(3000):
        day = 100 + row // 400  # a new day every 400 documents: old days leave the window
        terms = sorted(rng.sample(range(2, 4000), rng.randint(0, 12)))
        window.add(row, day, terms)
        added.append((row, day, terms))
    window._merge()
    oldest = window.newest - 4
    expected = sorted((t >> 1, row, day) for row, day, terms in added if day >= oldest for t in terms)
    words = np.repeat(window._words, np.diff(window._word_start))
    got = sorted(zip(words.tolist(), window._post_row.tolist(), window._post_day.tolist()))
    assert got == expected
    assert np.all(np.diff(window._words.astype(np.int64)) > 0)  # distinct and ascending
    assert window._term_row.tolist() == [row for row, day, _ in added if day >= oldest]


@pytest.mark.slow
def test_decisions_on_the_benchmark_corpus_equal_those_recorded_before_the_kernels():
    # Recorded once with the numpy implementation (commit 11de047, before the numba kernels) by
    # ``python benchmarks/dedup.py --docs 20000 --record-decisions <npz>``.
    bench = _benchmark_module()
    recorded = np.load(DEDUP / "decisions_before_numba.npz")
    now = bench.decisions_of(len(recorded["cluster"]))
    for key in recorded.files:
        assert np.array_equal(now[key], recorded[key]), key


def _benchmark_module():
    return load_benchmark("dedup")
