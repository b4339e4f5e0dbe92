"""Upload speed to S3 (moto on loopback), sequential vs WritePool, and HTTP requests per article.

    python benchmarks/store.py [--records 2000] [--threads 16] [--rtt-ms 20]

Puts realistic ~4 KB article records (tests/data/store/article.json made distinct) into a
moto server running in its own process (so its CPU does not share our GIL), first one after
another, then through ``WritePool``. Loopback has no network latency, so on a small machine
both runs are CPU-bound; ``--rtt-ms`` adds a simulated round trip per request (a sleep in a
botocore ``before-send`` hook, which releases the GIL as waiting on a socket does) to show
what the pool buys against a real S3, where a PUT costs tens of milliseconds. Both figures
are printed.

Then one simulated poll run in the pipeline's write pattern (journal, raw + record per
article through the pool, manifest, seen-index shard, feed states, journal delete), counting
every HTTP request with a botocore event hook: requests per stored article.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from config.settings import settings_with  # noqa: E402
from extractors.records import ArticleRecord  # noqa: E402
from storage import layout  # noqa: E402
from storage.articles import ArticleStore, ManifestLine  # noqa: E402
from storage.pool import WritePool  # noqa: E402
from storage.s3 import S3Store, make_client  # noqa: E402
from storage.state import SEEN_STORED, FeedState, SeenIndex, save_feed_state, write_journal  # noqa: E402

SAMPLE = REPO / "tests" / "data" / "store" / "article.json"


def start_moto() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("moto server did not start")


def records(count: int, day: str) -> list[ArticleRecord]:
    base = ArticleRecord.from_dict(json.loads(SAMPLE.read_text(encoding="utf-8")))
    out = []
    for n in range(count):
        url = f"{base.url.rstrip('/')}-{n}/"
        rid = layout.url_key(url)
        out.append(replace(base, id=rid, url=url, canonical_url=url, first_seen=day, raw_key=layout.raw_key(rid, day)))
    return out


class Counter:
    def __init__(self, rtt: float):
        self.requests, self.rtt = 0, rtt

    def __call__(self, **_kwargs):
        self.requests += 1
        if self.rtt:
            time.sleep(self.rtt)  # releases the GIL like a socket wait


def open_store(endpoint: str, bucket: str, threads: int, rtt: float) -> tuple[S3Store, Counter]:
    client = make_client(settings_with(s3_endpoint=endpoint, upload_threads=threads))
    client.create_bucket(Bucket=bucket)
    counter = Counter(rtt)
    client.meta.events.register("before-send.s3", counter)
    store = S3Store(bucket, "bench", client=client)
    store.conditional_writes  # the one-time probe, outside the timings
    return store, counter


def put_sequential(store: S3Store, batch: list[ArticleRecord]) -> float:
    articles = ArticleStore(store)
    started = time.perf_counter()
    for record in batch:
        articles.put_article(record)
    return time.perf_counter() - started


def put_pooled(store: S3Store, batch: list[ArticleRecord], threads: int) -> float:
    articles = ArticleStore(store)
    started = time.perf_counter()
    with WritePool(store, threads=threads) as pool:
        for record in batch:
            pool.submit(articles.put_article, record)
    return time.perf_counter() - started


def poll_pattern(store: S3Store, counter: Counter, count: int, threads: int, batch_size: int = 50, feeds: int = 20) -> dict:
    """One poll storing ``count`` articles from ``feeds`` feeds, in the pipeline's write order."""
    articles = ArticleStore(store)
    day = "2026-11-22T08:00:00+00:00"
    todo = records(count, day)
    run_id = layout.new_run_id()
    before = counter.requests
    seen = SeenIndex.load(store)
    for start in range(0, count, batch_size):
        batch = todo[start : start + batch_size]
        journal = write_journal(store, f"{run_id}-{start}", [{"url": r.url} for r in batch])
        with WritePool(store, threads=threads) as pool:
            for r in batch:
                pool.submit(articles.put_raw, r.id, r.first_seen, ("<html>" + r.text + "</html>").encode())
                pool.submit(articles.put_article, r)
        lines = [ManifestLine.from_record(r, articles.record_key(r), "stored") for r in batch]
        articles.write_manifest(f"{run_id}-{start}", day, lines)
        seen.mark([layout.url_key(r.url) for r in batch], SEEN_STORED, day)
        seen.flush()
        store.delete(journal)
    for n in range(feeds):
        save_feed_state(store, FeedState(feed_id=f"feed-{n}", etag=f'"{n}"'))
    used = counter.requests - before
    return {"articles": count, "feeds": feeds, "batch": batch_size, "requests": used, "per_article": used / count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--rtt-ms", type=float, default=20.0, help="simulated round trip per request (0: loopback only)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)

    proc, endpoint = start_moto()
    results = {"records": args.records, "threads": args.threads}
    try:
        batch = records(args.records, "2026-11-22T08:00:00+00:00")
        size = sum(len(json.dumps(r.to_dict())) for r in batch) / len(batch)
        results["record_bytes"] = round(size)
        for label, rtt in (("loopback", 0.0), (f"rtt{args.rtt_ms:g}ms", args.rtt_ms / 1000)):
            if label != "loopback" and not rtt:
                continue
            seq_store, _ = open_store(endpoint, f"seq-{label}", args.threads, rtt)
            pool_store, _ = open_store(endpoint, f"pool-{label}", args.threads, rtt)
            seq = put_sequential(seq_store, batch)
            pooled = put_pooled(pool_store, batch, args.threads)
            results[label] = {
                "sequential_per_s": round(args.records / seq, 1),
                "pool_per_s": round(args.records / pooled, 1),
                "ratio": round(seq / pooled, 2),
            }
        store, counter = open_store(endpoint, "poll", args.threads, 0.0)
        results["poll_pattern"] = poll_pattern(store, counter, min(args.records, 500), args.threads)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"{args.records} records of ~{results['record_bytes']} B, WritePool threads={args.threads}")
    for label in [k for k in results if k == "loopback" or k.startswith("rtt")]:
        r = results[label]
        print(f"  {label:>10}: sequential {r['sequential_per_s']:8.1f}/s   pool {r['pool_per_s']:8.1f}/s   ratio {r['ratio']:.2f}x")
    p = results["poll_pattern"]
    print(
        f"  poll pattern: {p['requests']} HTTP requests for {p['articles']} articles "
        f"({p['feeds']} feeds, batches of {p['batch']}) = {p['per_article']:.2f} requests per stored article"
    )


if __name__ == "__main__":
    main()
