"""``kill -9`` a real poll process at random moments, rerun it once at once, and count what was lost.

Used by tests/test_hostile_kill.py (a few kills, CI) and benchmarks/kill_loop.py (20 kills, figures).
Each round adds new pages to the feeds of a loopback site, starts a poll in a child process
(``run_poll``, the plain function each Prefect task runs), waits until the poll holds its run lease,
kills it with SIGKILL after a random delay, then runs ONE poll to completion and checks:

* lost: a page the feeds list that has no record after the rerun;
* duplicated: a URL with more than one record;
* ``store check`` clean, no journal left.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from storage.articles import ArticleStore
from storage.check import check_store
from storage.local import LocalStore
from tests.hostile_server import HostileServer

REPO = Path(__file__).resolve().parent.parent
FEEDS = ("alpha", "beta", "gamma")


def target(store: str, feeds_file: str) -> None:
    """The child process: one poll of ``feeds_file`` into ``store``."""
    from config.settings import Settings
    from flows.pipeline import PollOptions, load_feeds
    from flows.poll import run_poll

    settings = Settings(allow_private_hosts=True, timeout_seconds=5, upload_threads=4, respect_robots=False)
    run_poll(store, load_feeds(feeds_file), PollOptions(), settings, feed_workers=3)


@dataclass
class KillFigures:
    kills: int = 0
    killed_while_running: int = 0  # the child was still polling when the signal came
    lost: int = 0
    duplicated: int = 0
    unclean_checks: int = 0
    journals_left: int = 0
    hangs: int = 0  # reruns that did not finish within the time limit
    pages: int = 0
    rounds: list[dict] = field(default_factory=list)


class KillLoop:
    def __init__(self, workdir: Path, pages_per_round: int = 8, seed: int = 13):
        self.workdir = workdir
        self.store_dir = workdir / "store"
        self.feeds_file = workdir / "feeds.yaml"
        self.server = HostileServer(drip=0.2)
        self.server.page_delay = 0.03  # a little latency per page: kills land in every phase
        self.pages_per_round = pages_per_round
        self.random = random.Random(seed)
        self.paths: dict[str, list[str]] = {feed: [] for feed in FEEDS}
        self.next_page = 1000
        self.feeds_file.write_text("feeds:\n" + "".join(
            f"  - {{id: {feed}, name: {feed}, url: '{self.server.base}/feeds/{feed}.xml'}}\n" for feed in FEEDS))
        self.server.feeds = self.paths

    def close(self) -> None:
        self.server.close()

    def _add_pages(self) -> None:
        for feed in FEEDS:
            for _ in range(self.pages_per_round):
                self.paths[feed].append(f"/page-{self.next_page}.html")
                self.next_page += 1

    def _start(self) -> subprocess.Popen:
        code = f"from tests.kill_loop import target; target({str(self.store_dir)!r}, {str(self.feeds_file)!r})"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def _wait_for_lease(self, child: subprocess.Popen, limit: float = 120) -> bool:
        runs = self.store_dir / "state" / "runs"
        end = time.monotonic() + limit
        while time.monotonic() < end and child.poll() is None:
            if runs.is_dir() and any(p.name.endswith(".json") and not p.name.startswith("probe") for p in runs.iterdir()):
                return True
            time.sleep(0.02)
        return False

    def clean_duration(self) -> float:
        """One uninterrupted poll of a fresh round, timed from its lease to its end (the kill window)."""
        self._add_pages()
        child = self._start()
        self._wait_for_lease(child)
        started = time.monotonic()
        child.wait(timeout=300)
        return time.monotonic() - started

    def run(self, kills: int, rerun_limit: float = 300) -> KillFigures:
        figures = KillFigures()
        self.clean_duration()  # the first poll of a store pays for caches and compiled kernels
        window = max(0.3, self.clean_duration())
        for round_no in range(kills):
            self._add_pages()
            child = self._start()
            self._wait_for_lease(child)
            delay = self.random.uniform(0, window * 0.9)
            time.sleep(delay)
            running = child.poll() is None
            if running:
                os.kill(child.pid, signal.SIGKILL)
            child.wait()
            figures.kills += 1
            figures.killed_while_running += running
            rerun = self._start()
            try:
                rerun.wait(timeout=rerun_limit)
            except subprocess.TimeoutExpired:
                figures.hangs += 1
                rerun.kill()
                rerun.wait()
            figures.rounds.append(self._verify(figures, round_no, delay, running, rerun.returncode))
        figures.pages = sum(len(v) for v in self.paths.values())
        return figures

    def _verify(self, figures: KillFigures, round_no: int, delay: float, running: bool, code: int | None) -> dict:
        store = LocalStore(self.store_dir)
        urls = Counter(record.url for _key, record in ArticleStore(store).all_articles())
        expected = {self.server.base + path for paths in self.paths.values() for path in paths}
        lost = len(expected - set(urls))
        duplicated = sum(count - 1 for count in urls.values() if count > 1)
        report = check_store(store)
        journals = len(list(store.list("state/journal/")))
        figures.lost += lost
        figures.duplicated += duplicated
        figures.unclean_checks += not report.ok
        figures.journals_left += journals
        return {"round": round_no, "kill_after_s": round(delay, 2), "killed_while_running": running,
                "rerun_exit": code, "lost": lost, "duplicated": duplicated, "check_ok": report.ok, "journals": journals}
