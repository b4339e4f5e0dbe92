"""What a poll pays for its state as the corpus grows: run start, per-batch commit, compaction, memory.

    python benchmarks/state.py --docs 1000000 [--store local|s3] [--keys-per-doc 2] [--segments 40]

Builds a store holding ``--docs`` documents first seen in the current month and as many in each
of the two months before (dedup entries and ``--keys-per-doc`` seen URL keys per document, each
month compacted into a base, plus ``--segments`` uncompacted batch segments of 20 documents in
the current month: about an hour of polls between two hourly compactions). The data are
synthetic (random ids, sketches, story terms and days spread over each month): the costs
measured here depend on sizes, not on text. Then, with every module imported and every
compiled kernel warm:

* ``run_start_seconds``: ``SeenIndex.load`` + ``DedupIndex.load_recent``, what a poll does first;
* ``resident_bytes_per_doc``: the process's resident memory growth over that load, divided by
  the documents loaded (3 × docs), and the indexes' own ``nbytes`` for comparison;
* ``batch_commit_ms``: median over 20 batches of 20 new articles of writing all the state a
  committed batch writes, in ``flows.batch.commit_batch``'s order (journal, the dedup and seen
  segments through the pipeline's own ``_flush_state``, the site memory's segment through
  ``storage.site_memory`` as ``ctx.learn_site`` writes it, feed state, journal delete);
  ``batch_bytes_written`` and ``batch_requests`` (store calls) of the median batch. Deciding
  duplicates and encoding the site memory's segment are done before the clock starts, as in
  ``commit_batch``. The site memory's part is also given apart
  (``site_memory_bytes``; pages of ``PAGE_PARAGRAPHS`` paragraphs and
  ``PAGE_BLOCKS`` block paths), and ``site_memory_read_ms`` is what a feed batch then pays to
  read one host's memory (its base and the 5 segments written since);
* ``compact_seconds``: ``newswatch store compact`` of the whole store afterwards.

``--store s3`` runs the same against a moto server on loopback (its own process). There a run
start depends on the local copies of the bases (``storage/base_cache.py``, in a fresh
``NEWSWATCH_CACHE_DIR`` of the benchmark): ``run_start_cold_seconds`` is the first run after a
compaction (empty cache: every base downloaded, written and mapped), measured in a child process
of its own; ``run_start_seconds`` is then this process's first load, the warm case that every
later run until the next compaction sees. The LAST line is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors import fingerprint as fp  # noqa: E402
from flows.batch import _flush_state  # noqa: E402  (the pipeline's own state flush)
from storage import dedup_shards, layout, seen_index, segments  # noqa: E402
from storage.base import ObjectStore  # noqa: E402
from storage.compact import compact_store  # noqa: E402
from storage.dedup_index import DedupIndex  # noqa: E402
from storage.dedup_load import release_freed_memory  # noqa: E402
from storage.state import SEEN_STORED, FeedState, SeenIndex, save_feed_state, write_journal  # noqa: E402

NOW = datetime(2026, 11, 28, 12, tzinfo=timezone.utc)
MONTHS = ["2026-11", "2026-10", "2026-09"]
EPOCH = date(2000, 1, 1).toordinal()
WORDS = [f"w{n:05d}" for n in range(20_000)]


class CountingStore(ObjectStore):
    """Delegates to a store, counting calls and bytes written."""

    def __init__(self, inner: ObjectStore):
        self.inner, self.uri = inner, inner.uri
        self.calls = self.written = 0

    def put(self, key, data, *, content_type=None, create_only=False):
        self.calls += 1
        self.written += len(data)
        return self.inner.put(key, data, content_type=content_type, create_only=create_only)

    def put_if_version(self, key, data, version, *, content_type=None):
        self.calls += 1
        self.written += len(data)
        return self.inner.put_if_version(key, data, version, content_type=content_type)

    def get(self, key):
        self.calls += 1
        return self.inner.get(key)

    def get_view(self, key):
        self.calls += 1
        return self.inner.get_view(key)

    def get_versioned(self, key):
        self.calls += 1
        return self.inner.get_versioned(key)

    def exists(self, key):
        self.calls += 1
        return self.inner.exists(key)

    def list(self, prefix=""):
        self.calls += 1
        return self.inner.list(prefix)

    def delete(self, key):
        self.calls += 1
        return self.inner.delete(key)


# Synthetic state ------------------------------------------------------------------------------


def month_days(month: str) -> tuple[int, int]:
    year, mon = map(int, month.split("-"))
    first = date(year, mon, 1).toordinal() - EPOCH
    last = (date(year + mon // 12, mon % 12 + 1, 1).toordinal() - EPOCH) if month != MONTHS[0] else NOW.toordinal() - EPOCH
    return first, last


def synthetic_docs(n: int, month: str, rng: np.random.Generator) -> dedup_shards.Columns:
    first, last = month_days(month)
    ids = rng.integers(0, 256, (n, 10), np.uint8)
    clusters = ids.copy()
    follow = np.flatnonzero(rng.random(n) < 0.15)[1:]  # a share of follow-ups join an earlier story
    clusters[follow] = ids[(rng.random(len(follow)) * follow).astype(np.int64)]
    counts = rng.integers(6, 18, n, dtype=np.uint8)
    terms = (rng.integers(0, 1 << 22, int(counts.sum(dtype=np.int64)), dtype=np.uint32) << np.uint32(1))
    return dedup_shards.Columns(ids, {}, clusters, {}, rng.integers(0, 1 << 16, (n, fp.BINS), dtype=np.uint16),
                                rng.integers(0, 1 << 32, n, dtype=np.uint32),
                                np.sort(rng.integers(first, last, n)).astype(np.uint16), counts, terms)


def synthetic_seen(n: int, month: str, rng: np.random.Generator):
    first, last = month_days(month)
    keys = np.unique(rng.integers(0, np.iinfo(np.int64).max, n, dtype=np.int64).astype(np.uint64))
    return keys, rng.integers(first, last, len(keys)).astype(np.uint16), np.full(len(keys), ord(SEEN_STORED), np.uint8)


def build(store: ObjectStore, docs: int, keys_per_doc: int, segment_count: int, seed: int = 1) -> float:
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    for month in MONTHS:
        if docs:
            cols = synthetic_docs(docs, month, rng)
            header, body = dedup_shards.encode_base(cols)  # a base as compaction writes it (with its tables)
            store.put(f"{segments.month_prefix('dedup', month)}base-00000001.bin", segments.pack({**header, "covers": [], "legacy": True}, body))
            del cols, body
            header, body = seen_index.encode(*synthetic_seen(docs * keys_per_doc, month, rng), {"covers": [], "legacy": True})
            store.put(f"{segments.month_prefix('seen', month)}base-00000001.bin", segments.pack(header, body))
    for n in range(segment_count):  # an hour of polls since the last compaction
        dedup_shards.write_batch(store, MONTHS[0], f"earlier-{n}", synthetic_docs(20, MONTHS[0], rng))
        segments.write_segment(store, "seen", MONTHS[0], f"earlier-{n}",
                               *seen_index.encode(*synthetic_seen(20 * keys_per_doc, MONTHS[0], rng)))
    return time.perf_counter() - started


# Measurements ---------------------------------------------------------------------------------


def resident_bytes() -> int:
    """This process's resident memory now (Linux /proc; elsewhere the peak, from getrusage)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def warm_up() -> None:
    """Import and compile every kernel a load and a batch use, on a throwaway store."""
    from storage.local import LocalStore

    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(tmp)
        build(store, 200, 1, 2)
        index = DedupIndex(store)
        index.load_recent(NOW)
        index.decide_and_add_many(batch_items(0, 0))
        SeenIndex.load(store, NOW)


def load(store: ObjectStore) -> tuple[float, SeenIndex, DedupIndex, int]:
    gc.collect()
    release_freed_memory()  # as the load does at its end: the build's freed buffers must not count
    before = resident_bytes()
    started = time.perf_counter()
    seen = SeenIndex.load(store, NOW)
    dedup = DedupIndex(store)
    dedup.load_recent(NOW)
    elapsed = time.perf_counter() - started
    gc.collect()
    return elapsed, seen, dedup, resident_bytes() - before


def batch_items(batch: int, size: int = 20):
    rng = np.random.default_rng(1000 + batch)
    items = []
    for i in range(size):
        text = "\n".join(" ".join(rng.choice(WORDS, 40)) for _ in range(5))
        items.append((layout.url_key(f"https://bench.example/{batch}/{i}"), text, text[:60], NOW))
    return items


PAGE_PARAGRAPHS, PAGE_BLOCKS = 30, 50  # a long news page: what the site memory observes of it


def site_documents(items, batch: int) -> list[tuple]:
    """(doc id, paragraphs, site_blocks) of the batch's pages, as ``flows.batch`` hands them over:
    each page has its own paragraphs and 10 block paths of its own, and shares 5 lines and 40 block
    paths with every page of its site (the template)."""
    site, page = np.random.default_rng(4000 + batch % 4), np.random.default_rng(5000 + batch)
    template = [" ".join(site.choice(WORDS, 8)) for _ in range(5)]
    shared = [f"{int(p):016x}" for p in site.integers(0, 1 << 62, PAGE_BLOCKS - 10)]
    documents = []
    for doc_id, text, _title, _when in items:
        body = text.split("\n")
        lines = body + [" ".join(page.choice(WORDS, 30)) for _ in range(PAGE_PARAGRAPHS - len(body) - 5)] + template
        paths = shared + [f"{int(p):016x}" for p in page.integers(0, 1 << 62, 10)]
        documents.append((doc_id, lines, tuple(sorted((path, int(k == 0), int(k > 3)) for k, path in enumerate(paths)))))
    return documents


def commit(store: CountingStore, seen: SeenIndex, dedup: DedupIndex, batch: int) -> dict:
    """One batch's state writes, in commit_batch's order (the decisions are made first)."""
    from storage import site_memory

    items = batch_items(batch)
    documents = site_documents(items, batch)
    encoded = site_memory.encode_observations(documents)  # before the writes, as commit_batch does
    decisions = dedup.decide_and_add_many(items)
    for (doc_id, *_rest), decision in zip(items, decisions):
        seen.mark([doc_id, layout.url_key(f"https://bench.example/link/{doc_id}")], SEEN_STORED, NOW)
    batch_id = f"{layout.new_run_id(NOW)}-feed-{batch}"
    journal_items = [{"id": d, "key": layout.article_key(d, NOW), "raw_key": layout.raw_key(d, NOW),
                      "url_keys": [d], "status": "stored", "day": NOW.isoformat(),
                      "record": {"id": d, "title": title, "url": f"https://bench.example/{d}", "first_seen": NOW.isoformat(),
                                 "language": "en", "caucasus": {"relevant": True, "score": 3.0, "terms": ["Tbilisi"]}}}
                     for d, _text, title, _when in items]
    calls, written = store.calls, store.written
    steps = [time.perf_counter()]
    journal = write_journal(store, batch_id, journal_items, run_id=batch_id)
    steps.append(time.perf_counter())
    site_bytes = []

    def learn_site(host, docs, encoded):  # what ctx.learn_site writes
        before = store.written
        site_memory.write_observations(store, host, batch_id, docs, encoded)
        site_bytes.append(store.written - before)

    ctx = SimpleNamespace(lock=threading.RLock(), _dedup=dedup, dedup=dedup, seen=seen, now=NOW, learn_site=learn_site)
    _flush_state(ctx, batch_id, {f"host{batch % 4}.example": (documents, encoded)})
    steps.append(time.perf_counter())
    save_feed_state(store, FeedState(feed_id=f"feed-{batch}", url="https://bench.example/feed", last_polled=NOW.isoformat()))
    steps.append(time.perf_counter())
    store.delete(journal)
    steps.append(time.perf_counter())
    steps_ms = [(b - a) * 1000 for a, b in zip(steps, steps[1:])]
    return {"ms": (steps[-1] - steps[0]) * 1000, "bytes": store.written - written, "requests": store.calls - calls,
            "steps": steps_ms, "site_bytes": sum(site_bytes)}


def cold_load(endpoint: str) -> float:
    """A first run after a compaction: a new process, the bases not cached yet (--cold-load)."""
    import subprocess

    child = subprocess.run([sys.executable, __file__, "--cold-load", endpoint], capture_output=True, text=True, timeout=900)
    if child.returncode:
        raise SystemExit(f"cold load failed: {child.stderr.strip().splitlines()[-1:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])["run_start_cold_seconds"]


def measure(store: ObjectStore, args) -> dict:
    counting = CountingStore(store)
    build_seconds = build(store, args.docs, args.keys_per_doc, args.segments)
    cold = cold_load(store.endpoint) if args.store == "s3" else None
    run_start, seen, dedup, grown = load(counting)
    loaded_docs = dedup._rows.n
    index_bytes = sum(dedup.nbytes().values()) + seen.nbytes()
    batches = [commit(counting, seen, dedup, b) for b in range(args.batches)]
    median = sorted(batches, key=lambda b: b["ms"])[len(batches) // 2]
    started = time.perf_counter()
    from flows.context import known_boilerplate

    known_boilerplate(store, "host0.example")  # what a feed batch reads: the host's base and segments
    site_read_ms = (time.perf_counter() - started) * 1000
    del seen, dedup
    gc.collect()
    started = time.perf_counter()
    report = compact_store(store)
    compact_seconds = time.perf_counter() - started
    return {
        "store": args.store, "docs": args.docs, "docs_loaded": loaded_docs, "keys_per_doc": args.keys_per_doc,
        "run_start_seconds": round(run_start, 3),
        **({"run_start_cold_seconds": round(cold, 3), "run_start_note": "warm: bases cached locally; cold: first run after a compaction"}
           if cold is not None else {}),
        "batch_commit_ms": round(statistics.median(b["ms"] for b in batches), 2),
        "batch_commit_ms_max": round(max(b["ms"] for b in batches), 2),
        "batch_steps_ms": {name: round(statistics.median(b["steps"][i] for b in batches), 2) for i, name in
                           enumerate(("journal", "dedup_seen_and_site_segments", "feed_state", "journal_delete"))},
        "batch_bytes_written": median["bytes"], "batch_requests": median["requests"],
        "site_memory_bytes": int(statistics.median(b["site_bytes"] for b in batches)),
        "site_memory_read_ms": round(site_read_ms, 2),
        "compact_seconds": round(compact_seconds, 3), "compacted_segments": report.segments,
        "resident_bytes_per_doc": round(grown / loaded_docs, 1) if loaded_docs else None,
        "index_bytes_per_doc": round(index_bytes / loaded_docs, 1) if loaded_docs else None,
        "build_seconds": round(build_seconds, 1),
    }


def open_bench_store(kind: str, tmp: str):
    if kind == "local":
        from storage.local import LocalStore

        return LocalStore(tmp), None
    from benchmarks.store import start_moto

    proc, endpoint = start_moto()
    s3_store_at(endpoint, create=True)
    store = s3_store_at(endpoint)
    store.conditional_writes  # the one-time probe, outside the timings
    return store, proc


def s3_store_at(endpoint: str, create: bool = False):
    from config.settings import settings_with
    from storage.s3 import S3Store, make_client

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    client = make_client(settings_with(s3_endpoint=endpoint))
    if create:
        client.create_bucket(Bucket="state-bench")
        return None
    return S3Store("state-bench", "bench", client=client)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000, help="documents first seen in the current month (and in each of two before)")
    parser.add_argument("--store", choices=("local", "s3"), default="local")
    parser.add_argument("--keys-per-doc", type=int, default=2, help="seen URL keys per document (link and canonical)")
    parser.add_argument("--segments", type=int, default=40, help="uncompacted batch segments in the current month")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--cold-load", metavar="ENDPOINT", help=argparse.SUPPRESS)  # the child of cold_load
    args = parser.parse_args()
    warm_up()
    if args.cold_load:
        print(json.dumps({"run_start_cold_seconds": load(s3_store_at(args.cold_load))[0]}))
        return
    with tempfile.TemporaryDirectory(prefix="nw-state-bench-") as tmp:
        os.environ["NEWSWATCH_CACHE_DIR"] = os.path.join(tmp, "cache")  # cold at first; the child inherits it
        store, proc = open_bench_store(args.store, os.path.join(tmp, "store"))
        try:
            result = measure(store, args)
        finally:
            if proc is not None:
                proc.terminate()
    for key, value in result.items():
        print(f"{key:>24}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
