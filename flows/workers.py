"""Extraction, language and relevance of a batch on every core: a process pool per run.

Fetching stays in threads (it waits on the network); turning a page into a record is CPU
work in Python (lxml, trafilatura, the relevance matcher) that threads of one process run
one at a time. So a run keeps one pool of ``NEWSWATCH_WORKERS`` processes (default: the CPU
count), created on first use and closed with the run: each process pays the start-up and
the gazetteer load once (``_start``), not per page. A job is plain data — the raw bytes, the
page's metadata, the site's known boilerplate, the run's time — and the answer is a record
or a one-line reason, so nothing of the run (store, locks, indexes) crosses the boundary.

With one worker everything runs in the calling process: tests and small machines. When the
pool breaks (a worker killed by the OS) later pages go to a new pool, and the pages it held are
built one at a time in a separate one-process pool: one of them may be what killed the worker
(a page that exhausts memory), and built in the calling process it would take the whole run
down, on every rerun. A page that kills that process too is skipped with its reason; the run
goes on.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from extractors.errors import ExtractionError, RunStopping
from extractors.records import ArticleRecord
from flows.rebuild import PageMeta, canonical_of, extract_article, record_from_page, unextracted_canonical, unextracted_record
from storage import layout

log = logging.getLogger("newswatch.poll")

_gazetteer = None  # in a worker process: loaded once by ``_start``
# A batch's only page is built in the calling process up to this size (news pages: 50–500 KB);
# a larger one starts the pool, so that if it gets its process killed the run is not.
ALONE_IN_PROCESS_MAX_BYTES = 1_000_000
# A page's extraction takes ~40 ms, a few seconds for the largest real pages; one that runs for
# minutes is hostile (or pathological) and is stopped (NEWSWATCH_PAGE_TIMEOUT_SECONDS sets it for a
# run). In-process builds (one worker) have no bound: nothing can stop C code in the poll's own process.
PAGE_SECONDS_MAX = 120
WATCH_STEP_SECONDS = 1.0
WORKER_START_SECONDS = 120  # a worker's start (imports, gazetteer) takes ~1 s; minutes only on a starved host


@dataclass(frozen=True)
class Built:
    """A page turned into a record; ``error`` says why it has no article text (then the record is
    the flagged, text-less one) or, without a record, why the page could not be handled at all."""

    record: ArticleRecord | None = None
    canonical: str = ""
    error: str = ""
    site_blocks: tuple = ()  # ExtractedArticle.site_blocks, for the site's template memory


@dataclass(frozen=True)
class Job:
    body: bytes
    meta: PageMeta
    boilerplate: frozenset[str]
    first_seen: str  # the run's time, ISO 8601


def _ping() -> bool:
    """A worker's first answer: it started, imported this module and loaded the gazetteer."""
    return True


def _start(topics_file: str) -> None:
    """Worker initialiser: the gazetteer once per process (the imports come with this module).
    Ctrl-C is the run's to handle: it closes the pool; a worker interrupted mid-page would only
    print a traceback."""
    global _gazetteer
    import signal

    from extractors.gazetteer import load_gazetteer

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    _gazetteer = load_gazetteer(Path(topics_file))


def build(job: Job, gazetteer=None) -> Built:
    """Raw page + metadata → record: extraction, canonical URL and id, language, relevance."""
    try:
        return _build(job, gazetteer if gazetteer is not None else _gazetteer)
    except Exception as exc:  # one odd page must never end the run (nor break the pool), its handler's errors included
        log.exception("unexpected error extracting %s", job.meta.link)
        return Built(error=f"{type(exc).__name__}: {exc}")


def _build(job: Job, gazetteer) -> Built:
    try:
        extracted = extract_article(job.body, job.meta, job.boilerplate)
        canonical = canonical_of(extracted, job.meta)
        record = record_from_page(extracted, job.meta, article_id=layout.url_key(canonical), canonical_url=canonical,
                                  first_seen=job.first_seen, gazetteer=gazetteer)
        return Built(record=record, canonical=canonical, site_blocks=extracted.site_blocks)
    except ExtractionError as exc:  # stored all the same, flagged irrelevant: a better extractor may find it
        problem = str(exc) or "no article text"
        canonical = unextracted_canonical(job.meta)
        record = unextracted_record(job.meta, problem, article_id=layout.url_key(canonical), canonical_url=canonical,
                                    first_seen=job.first_seen)
        return Built(record=record, canonical=canonical, error=problem)


class Pending:
    """A job on its way to a record: in a worker process, or built in the caller's thread when its
    result is asked for (one worker, a batch's only small page, no worker could start); when the
    pool broke under it, built again in a process of its own (``ExtractionPool.isolated``)."""

    __slots__ = ("_pool", "_job", "_future", "_executor")

    def __init__(self, pool: "ExtractionPool", job: Job, future=None, executor: ProcessPoolExecutor | None = None):
        self._pool, self._job, self._future, self._executor = pool, job, future, executor

    def result(self) -> Built:
        if self._future is not None:
            try:
                return self._watched()
            except CancelledError:  # the run closed the pool: it is stopping
                raise RunStopping("not extracted: the run is stopping") from None
            except BrokenProcessPool as exc:
                self._pool._broke(self._executor, exc)
                return self._pool.isolated(self._job)
        return build(self._job, self._pool._gazetteer_loader())


    def _watched(self) -> Built:
        """The worker's record, unless the page keeps it busy past the pool's ``page_seconds`` (markup built
        to make a parser work without end, in C where nothing interrupts it): then the pool's
        processes are killed, the page is skipped with its reason, and the pool's other pages are
        built again in isolation, each under the same bound. Waiting in short steps also lets the
        run's signal handlers act (Ctrl-C, SIGTERM) while a worker is busy."""
        running_since = None
        while True:
            try:
                return self._future.result(timeout=WATCH_STEP_SECONDS)
            except FutureTimeout:
                if not self._future.running():
                    continue  # still queued behind other pages: its own time has not started
                running_since = running_since or time.monotonic()
                limit = self._pool.page_seconds
                if time.monotonic() - running_since > limit:
                    log.error("extracting %s took longer than %g s; its worker is stopped and the page skipped",
                              self._job.meta.link, limit)
                    self._pool._broke(self._executor, f"a page took longer than {limit:g} s")
                    return Built(error=f"extraction took longer than {limit:g} s (markup built to stall a parser?)")


class Occupancy:
    """How well a pool was fed: worker-seconds with no job in it (queued or running) while it was up.
    A poll that hands pages over as it fetches them leaves the workers idle only while they start
    and at the end of the run; one that waits for whole batches leaves them idle meanwhile."""

    def __init__(self, workers: int):
        self.workers, self.jobs, self.in_flight, self.idle = workers, 0, 0, 0.0
        self.started = self.since = time.perf_counter()
        self._lock = threading.Lock()

    def change(self, delta: int) -> None:
        with self._lock:
            now = time.perf_counter()
            self.idle += max(0, self.workers - self.in_flight) * (now - self.since)
            self.since, self.in_flight = now, self.in_flight + delta
            self.jobs += delta > 0

    def summary(self) -> dict:
        self.change(0)
        return {"workers": self.workers, "jobs": self.jobs, "up_seconds": round(self.since - self.started, 2),
                "idle_worker_seconds": round(self.idle, 2)}


class ExtractionPool:
    """The run's worker processes (lazily started), or the calling process when ``workers`` is 1."""

    def __init__(self, workers: int, topics_file: Path, gazetteer_loader, page_seconds: float = PAGE_SECONDS_MAX):
        self.workers = max(1, int(workers))
        self.page_seconds = page_seconds
        self.topics_file = topics_file
        self._gazetteer_loader = gazetteer_loader  # the calling process's gazetteer (in-process runs)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self.occupancy: Occupancy | None = None  # from the first process pool on
        self._isolation: ProcessPoolExecutor | None = None  # one process for the pages a broken pool held
        self._in_process_only = False  # worker processes could not start: everything is built here
        self._isolation_lock = threading.Lock()

    def _new_executor(self, workers: int) -> ProcessPoolExecutor:
        # forkserver/spawn, not fork: the run has threads (fetchers, Prefect) a fork would copy mid-lock.
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                                   initializer=_start, initargs=(str(self.topics_file),))

    def _executor(self) -> ProcessPoolExecutor | None:
        """The pool (started on first use), or None when worker processes cannot run here."""
        with self._lock:
            if self._pool is None and not self._in_process_only:
                pool = self._new_executor(self.workers)
                if self._can_start(pool):
                    self._pool = pool
                    self.occupancy = self.occupancy or Occupancy(self.workers)
            return self._pool

    def _can_start(self, executor: ProcessPoolExecutor) -> bool:
        """Does a worker start and answer? If not (a module shadowed on the path it imports, no
        /dev/shm, a sandbox without fork), every page of the run is built in this process:
        otherwise each page would break a new pool, and pages would be skipped as if they had
        killed their worker."""
        try:
            if executor.submit(_ping).result(timeout=WORKER_START_SECONDS):
                return True
        except Exception as exc:  # BrokenProcessPool, a time-out, an initialiser that raised
            log.error("extraction worker processes cannot start here (%s: %s); every page is built in the poll's "
                      "own process", type(exc).__name__, exc)
        self._in_process_only = True
        _discard(executor)
        return False

    def isolated(self, job: Job) -> Built:
        """Build a page that was in a pool when a worker died, alone in a process of its own: if it
        is the page that killed the worker, it kills only that process and is skipped."""
        with self._isolation_lock:  # one page at a time, so a death names its page
            if self._isolation is None and not self._in_process_only:
                executor = self._new_executor(1)
                self._isolation = executor if self._can_start(executor) else None
            if self._isolation is None:
                return build(job, self._gazetteer_loader())
            executor = self._isolation
            try:
                return executor.submit(build, job).result(timeout=self.page_seconds)
            except FutureTimeout:
                self._isolation = None
                _discard(executor)
                log.error("extracting %s took longer than %g s; the page is skipped", job.meta.link, self.page_seconds)
                return Built(error=f"extraction took longer than {self.page_seconds:g} s (markup built to stall a parser?)")
            except BrokenProcessPool:
                self._isolation = None
                _discard(executor)
        log.error("extracting %s killed its worker process twice (out of memory?); the page is skipped", job.meta.link)
        return Built(error="extraction killed its worker process (out of memory?)")

    def submit(self, job: Job, *, alone: bool = False) -> Pending:
        """Start turning ``job`` into a record. The poll submits each page as soon as it is fetched,
        so the workers extract while the batch's other pages (and other feeds) are still being
        fetched. ``alone``: the job is its batch's only page — not worth starting the processes for,
        unless it is large (what kills a worker is likely a huge page; in this process it would kill
        the run)."""
        if self.workers == 1 or (alone and self._pool is None and len(job.body) <= ALONE_IN_PROCESS_MAX_BYTES):
            return Pending(self, job)
        executor = self._executor()
        if executor is None:
            return Pending(self, job)
        occupancy = self.occupancy
        occupancy.change(+1)
        try:
            future = executor.submit(build, job)
        except BrokenProcessPool as exc:
            occupancy.change(-1)
            self._broke(executor, exc)
            return Pending(self, job)
        future.add_done_callback(lambda _done: occupancy.change(-1))
        return Pending(self, job, future, executor)

    def build_many(self, jobs: list[Job]) -> list[Built]:
        pending = [self.submit(job, alone=len(jobs) == 1) for job in jobs]
        return [p.result() for p in pending]

    def _broke(self, executor: ProcessPoolExecutor | None, exc: BaseException) -> None:
        """A worker died (killed by the OS): its jobs are built in isolation (``isolated``), later ones in a new pool."""
        with self._lock:
            if executor is None or self._pool is not executor:
                return  # already replaced: said and closed once
            self._pool = None
        log.error("extraction workers stopped (%s); the pages they held are built one at a time in a process of "
                  "their own, later pages in a new pool", exc)
        _discard(executor)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with self._isolation_lock:
            isolation, self._isolation = self._isolation, None
        if isolation is not None:
            isolation.shutdown(wait=True, cancel_futures=True)
        if self.occupancy is not None and self.occupancy.jobs:
            summary = self.occupancy.summary()
            log.info("extraction workers: %(jobs)d pages in %(up_seconds).1f s, %(idle_worker_seconds).1f worker-seconds idle",
                     summary, extra={"extraction_pool": summary})


def _discard(executor: ProcessPoolExecutor) -> None:
    """Drop a broken pool. A worker started while another was dying can wait forever on the job
    queue's lock the dead one held, and the pool's manager thread joins it: the run would hang at
    exit (Python 3.11). So its leftover processes are killed."""
    executor.shutdown(wait=False, cancel_futures=True)
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.kill()


def job_for(body: bytes, meta: PageMeta, boilerplate: frozenset[str], now: datetime) -> Job:
    return Job(body=body, meta=meta, boilerplate=boilerplate, first_seen=layout.as_utc(now).isoformat())
