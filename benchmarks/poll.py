"""A poll end to end on loopback, against bare single-process trafilatura on the same pages.

    python benchmarks/poll.py [--pages 2000] [--hosts 8] [--workers N]

Serves ``--pages`` benchmark pages (../shared/benchmarks/extraction*/html, cycled under new URLs
when more are asked for than there are) from ``--hosts`` loopback sites (127.0.0.2, .3, …:
the fetcher allows 2 requests at a time per host, as it would on the web), one RSS feed each,
and polls them with the real fetcher, pipeline and a local store (raw pages, records,
manifests, state), ``NEWSWATCH_WORKERS`` (or ``--workers``) extraction processes.

The poll's marginal time excludes what a run pays once whatever its size (context, worker
start-up, gazetteer): a poll of a tenth of the pages is timed too, on a fresh store, and
marginal = (T(all) − T(tenth)) scaled to all pages. Bare trafilatura is ``trafilatura.extract``
with its defaults, one page after another in this process, on the same pages, in the same run.
``worker_cpu_seconds`` is the CPU time of the extraction processes (0 with one worker: in-process),
``poll_process_cpu_seconds`` that of the poll's own process (which also serves the loopback sites),
``idle_worker_seconds`` the worker-seconds the pool had no page to work on (flows/workers.py).
Wall time stretches when other processes share the cores; CPU time much less, so the run also
prints the marginal CPU (poll process + workers) against bare trafilatura's CPU, and the load
average: on N quiet cores, fully fed, the wall ratio tends to ``marginal_cpu_vs_bare_cpu`` / N.
The counts are the poll's own: the benchmark pages are not about the Caucasus, so they are
stored flagged ``irrelevant`` (``stored`` counts relevant articles only), and a cycled copy
whose canonical link names an article already written is ``skipped_seen``.
The LAST line is one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import logging
import os
import sys
import threading
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from config.settings import Settings  # noqa: E402
from extractors.records import Feed  # noqa: E402
from flows.pipeline import PollOptions  # noqa: E402
from flows.poll import run_poll  # noqa: E402
from flows.sample_site import SampleSite  # noqa: E402

SHARED = REPO.parent / "shared" / "benchmarks"


def benchmark_pages() -> list[bytes]:
    files = sorted(p for folder in sorted(SHARED.glob("extraction*")) for p in (folder / "html").glob("*.html.gz"))
    if not files:
        raise SystemExit(f"no benchmark pages under {SHARED}/extraction*/html")
    return [gzip.decompress(p.read_bytes()) for p in files]


def write_site(root: Path, pages: list[bytes], count: int, hosts: int) -> list[list[int]]:
    """Each host's folder: feed.xml and its share of the pages. Returns page numbers per host."""
    shares = [list(range(h, count, hosts)) for h in range(hosts)]
    for h, share in enumerate(shares):
        folder = root / f"h{h}"
        (folder / "p").mkdir(parents=True)
        items = []
        for n in share:
            (folder / "p" / f"{n}.html").write_bytes(pages[n % len(pages)])
            items.append(f"<item><title>Page {n}</title><link>{{base}}/p/{n}.html</link>"
                         f"<guid>{{base}}/p/{n}.html</guid></item>")
        (folder / "feed.xml").write_text(
            f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{html.escape(f'bench {h}')}"
            f"</title><link>{{base}}/</link>{''.join(items)}</channel></rss>", encoding="utf-8")
    return shares


def timed_poll(pages: list[bytes], count: int, hosts: int, workers: int) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of the poll's process and its workers, counts) of one poll."""
    with tempfile.TemporaryDirectory(prefix="nw-poll-bench-") as tmp:
        root = Path(tmp)
        write_site(root / "site", pages, count, hosts)
        sites = [SampleSite(root / "site" / f"h{h}", host=f"127.0.0.{h + 2}").start() for h in range(hosts)]
        pool_log = PoolLog().attach()
        try:
            feeds = [Feed(id=f"bench-{h}", name=f"bench {h}", url=site.url("/feed.xml")) for h, site in enumerate(sites)]
            settings = Settings(allow_private_hosts=True, workers=workers, store=str(root / "store"))
            watch = DescendantCpu().start()
            own = time.process_time()
            started = time.perf_counter()
            summary = run_poll(str(root / "store"), feeds, PollOptions(), settings, feed_workers=4)
            elapsed = time.perf_counter() - started
            own = time.process_time() - own  # the poll's process: fetching, serving the site, dedup, store
            worker_cpu = watch.stop()
        finally:
            pool_log.detach()
            for site in sites:
                site.stop()
    totals = summary.totals
    counts = {k: totals.get(k, 0) for k in ("pages_fetched", "stored", "duplicates", "irrelevant", "skipped_seen", "page_failures")}
    counts["worker_cpu_seconds"] = round(worker_cpu, 2)
    counts["poll_process_cpu_seconds"] = round(own, 2)
    counts["idle_worker_seconds"] = pool_log.summary.get("idle_worker_seconds", 0.0)
    return elapsed, own + worker_cpu, counts


class PoolLog(logging.Handler):
    """The extraction pool's own account of how busy its workers were (flows/workers.py logs it at close)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.summary: dict = {}
        self.logger = logging.getLogger("newswatch.poll")

    def emit(self, record: logging.LogRecord) -> None:
        self.summary = getattr(record, "extraction_pool", None) or self.summary

    def attach(self) -> "PoolLog":
        self.level_before = self.logger.level
        self.logger.setLevel(logging.INFO)
        self.logger.addHandler(self)
        return self

    def detach(self) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level_before)


class DescendantCpu:
    """CPU seconds of this process's descendants while it runs (the extraction workers are
    children of multiprocessing's fork server, so ``RUSAGE_CHILDREN`` never sees them)."""

    def __init__(self):
        import psutil

        self.me, self.seen, self.done = psutil.Process(), {}, threading.Event()

    def _sample(self) -> None:
        for child in self.me.children(recursive=True):
            try:
                times = child.cpu_times()
                self.seen[child.pid] = times.user + times.system
            except Exception:  # exited between the listing and the read
                continue

    def start(self) -> "DescendantCpu":
        def loop():
            while not self.done.wait(0.5):
                self._sample()

        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> float:
        self._sample()
        self.done.set()
        self.thread.join()
        return sum(self.seen.values())


def bare_trafilatura(pages: list[bytes], count: int) -> tuple[float, float]:
    """(wall, CPU) seconds of ``trafilatura.extract`` on ``count`` pages, one after another."""
    import trafilatura

    trafilatura.extract(pages[0].decode("utf-8", "replace"))  # imports and first-use caches outside the clock
    cpu, started = time.process_time(), time.perf_counter()
    for n in range(count):
        trafilatura.extract(pages[n % len(pages)].decode("utf-8", "replace"))
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None, help="extraction processes (default NEWSWATCH_WORKERS or one per CPU)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    for handler in logging.root.handlers:
        handler.setLevel(logging.ERROR)  # the pool's INFO summary is read (PoolLog), not printed
    workers = Settings(workers=args.workers or 0).workers
    pages = benchmark_pages()
    load_before = os.getloadavg()[0]
    small = max(args.hosts, args.pages // 10)
    t_small, cpu_small, _ = timed_poll(pages, small, args.hosts, workers)
    t_full, cpu_full, counts = timed_poll(pages, args.pages, args.hosts, workers)
    scale = args.pages / (args.pages - small)
    marginal, marginal_cpu = (t_full - t_small) * scale, (cpu_full - cpu_small) * scale
    bare, bare_cpu = bare_trafilatura(pages, args.pages)
    result = {
        "pages": args.pages, "distinct_pages": min(args.pages, len(pages)), "hosts": args.hosts, "workers": workers,
        "poll_seconds": round(t_full, 2), "small_poll_pages": small, "small_poll_seconds": round(t_small, 2),
        "poll_marginal_seconds": round(marginal, 2), "pages_per_second": round(args.pages / t_full, 1),
        "marginal_pages_per_second": round(args.pages / marginal, 1),
        "bare_trafilatura_seconds": round(bare, 2), "marginal_vs_bare": round(marginal / bare, 3), **counts,
        # Load-proof figures: CPU time does not stretch when other processes share the cores.
        "poll_marginal_cpu_seconds": round(marginal_cpu, 2), "bare_trafilatura_cpu_seconds": round(bare_cpu, 2),
        "marginal_cpu_vs_bare_cpu": round(marginal_cpu / bare_cpu, 3),
        "load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2),
    }
    for key, value in result.items():
        print(f"{key:>28}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
