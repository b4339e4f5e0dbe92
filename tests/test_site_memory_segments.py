"""Site memory in the store: a batch writes what it observed as a new write-once segment (never the
whole memory), a reader replays segments over the newest base, compaction folds them, and the
earlier whole-object layout is read and folded in."""

from __future__ import annotations

import hashlib

from extractors.boilerplate import SiteMemory
from flows.context import known_boilerplate
from storage import layout, site_memory
from storage.base import dumps
from storage.compact import compact_store
from storage.local import LocalStore

HOST = "news.example.ge"
MENU = ["Home | Politics | Economy | Society | Culture | Sport", "Subscribe to our newsletter for the day's news"]


def _words(n: int, k: int) -> str:
    """Letters only: the fingerprint folds digits, so numbered paragraphs would all be one."""
    digest = hashlib.sha256(f"{n}-{k}".encode()).hexdigest()
    return " ".join("".join(chr(97 + int(c, 16)) for c in digest[i:i + 6]) for i in range(0, 48, 6))


def pages(start: int, count: int, paragraphs: int = 4) -> list[tuple]:
    return [(f"{n:020x}", [f"Body paragraph about the talks: {_words(n, k)}" for k in range(paragraphs)] + MENU,
             ((f"{n % 7:016x}", 0, 1), ("00000000000000aa", 1, 0), (f"{n:016x}", 0, 0)))
            for n in range(start, start + count)]


def test_each_batch_writes_a_new_segment_and_never_rewrites_the_memory(tmp_path):
    store = LocalStore(tmp_path)
    site_memory.write_observations(store, HOST, "run-1", pages(0, 2))
    (first,) = list(store.list("state/sites/"))
    written = store.get(first)
    site_memory.write_observations(store, HOST, "run-2", pages(2, 2))
    keys = list(store.list("state/sites/"))
    assert len(keys) == 2 and all("/seg-" in k for k in keys) and store.get(first) == written
    known = known_boilerplate(store, HOST)  # the menu lines are on 4 pages of 2 batches
    assert known == SiteMemory.from_dict(_observed(pages(0, 4))).boilerplate() and len(known) >= 2


def _observed(documents) -> dict:
    memory = SiteMemory()
    for doc_id, paragraphs, blocks in documents:
        memory.observe(doc_id, paragraphs, blocks)
    return memory.to_dict()


def test_a_page_written_by_two_overlapping_runs_counts_once(tmp_path):
    store = LocalStore(tmp_path)
    site_memory.write_observations(store, HOST, "run-a", pages(0, 2))
    site_memory.write_observations(store, HOST, "run-b", pages(0, 2))  # the same two pages again
    assert site_memory.load(store, HOST).seq == 2
    assert known_boilerplate(store, HOST) == frozenset()  # two pages: below min_docs


def test_compaction_folds_segments_and_the_old_whole_object_into_a_base(tmp_path):
    store = LocalStore(tmp_path)
    store.put(layout.site_memory_key(HOST), dumps(_observed(pages(0, 2))))  # the earlier layout
    site_memory.write_observations(store, HOST, "run-1", pages(2, 3))
    before = known_boilerplate(store, HOST)
    assert len(before) >= 2  # the menu: 2 pages in the old object + 3 in the segment
    compact_store(store, ["sites"])
    keys = list(store.list("state/sites/"))
    assert len(keys) == 1 and "/base-" in keys[0]
    assert known_boilerplate(store, HOST) == before


def test_what_a_batch_writes_is_bounded_by_its_pages_not_by_the_memory(tmp_path):
    store = LocalStore(tmp_path)
    for batch in range(60):  # a memory at its caps: thousands of fingerprints and paths
        site_memory.write_observations(store, HOST, f"run-{batch}", pages(batch * 20, 20, paragraphs=30))
    compact_store(store, ["sites"])
    (base,) = list(store.list("state/sites/"))
    assert len(store.get(base)) > 64_000  # the whole memory: what every batch used to rewrite
    key = site_memory.write_observations(store, HOST, "run-next", pages(5000, 20, paragraphs=30))
    assert len(store.get(key)) < 20_000


def test_an_unreadable_segment_is_set_aside_and_the_rest_still_read(tmp_path):
    store = LocalStore(tmp_path)
    site_memory.write_observations(store, HOST, "run-1", pages(0, 3))
    store.put(f"state/sites/{site_memory.host_name(HOST)}/seg-29990101T000000000000-bad-00000-0000.bin", b'{"v":1}\nnot zlib')
    assert len(known_boilerplate(store, HOST)) >= 2
    assert any(k.startswith("state/quarantine/") for k in store.list("state/quarantine/"))


def test_the_runs_own_memory_learns_what_a_reader_of_the_store_loads(tmp_path):
    from datetime import datetime, timezone

    from config.settings import Settings
    from flows.context import RunContext

    store = LocalStore(tmp_path)
    site_memory.write_observations(store, HOST, "run-0", pages(0, 3))
    ctx = RunContext(run_id="run-1", settings=Settings(), store=store, now=datetime.now(timezone.utc))
    assert ctx.site_boilerplate(HOST) == known_boilerplate(store, HOST)  # read once, kept open for the run
    ctx.learn_site(HOST, pages(3, 4))
    ctx.learn_site(HOST, pages(5, 4))  # two pages again: counted once
    assert ctx._sites[HOST].to_dict() == site_memory.load(store, HOST).to_dict() == _observed(pages(0, 9))
    assert ctx.site_boilerplate(HOST) == known_boilerplate(store, HOST)
