"""Extraction, language and relevance of a batch on every core: a process pool per run.

Fetching stays in threads (it waits on the network); turning a page into a record is CPU
work in Python (lxml, trafilatura, the relevance matcher) that threads of one process run
one at a time. So a run keeps one pool of ``NEWSWATCH_WORKERS`` processes (default: the CPU
count), created on first use and closed with the run: each process pays the start-up and
the gazetteer load once (``_start``), not per page. A job is plain data — the raw bytes, the
page's metadata, the site's known boilerplate, the run's time — and the answer is a record
or a one-line reason, so nothing of the run (store, locks, indexes) crosses the boundary.

With one worker everything runs in the calling process: tests, small machines, and any
batch after the pool broke (a worker killed by the OS) — the run goes on, slower.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from extractors.errors import ExtractionError
from extractors.records import ArticleRecord
from flows.rebuild import PageMeta, canonical_of, extract_page, record_from_page, unextracted_canonical, unextracted_record
from storage import layout

log = logging.getLogger("newswatch.poll")

_gazetteer = None  # in a worker process: loaded once by ``_start``


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


def _start(topics_file: str) -> None:
    """Worker initialiser: the gazetteer once per process (the imports come with this module)."""
    global _gazetteer
    from extractors.gazetteer import load_gazetteer

    _gazetteer = load_gazetteer(Path(topics_file))


def build(job: Job, gazetteer=None) -> Built:
    """Raw page + metadata → record: extraction, canonical URL and id, language, relevance."""
    try:
        extracted = extract_page(job.body, job.meta, job.boilerplate)
        canonical = canonical_of(extracted, job.meta)
        record = record_from_page(extracted, job.meta, article_id=layout.url_key(canonical), canonical_url=canonical,
                                  first_seen=job.first_seen, gazetteer=gazetteer if gazetteer is not None else _gazetteer)
        return Built(record=record, canonical=canonical, site_blocks=extracted.site_blocks)
    except ExtractionError as exc:  # stored all the same, flagged irrelevant: a better extractor may find it
        problem = str(exc) or "no article text"
        canonical = unextracted_canonical(job.meta)
        record = unextracted_record(job.meta, problem, article_id=layout.url_key(canonical), canonical_url=canonical,
                                    first_seen=job.first_seen)
        return Built(record=record, canonical=canonical, error=problem)
    except Exception as exc:  # one odd page must never end the run (nor break the pool)
        log.exception("unexpected error extracting %s", job.meta.link)
        return Built(error=f"{type(exc).__name__}: {exc}")


class ExtractionPool:
    """The run's worker processes (lazily started), or the calling process when ``workers`` is 1."""

    def __init__(self, workers: int, topics_file: Path, gazetteer_loader):
        self.workers = max(1, int(workers))
        self.topics_file = topics_file
        self._gazetteer_loader = gazetteer_loader  # the calling process's gazetteer (in-process runs)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # forkserver/spawn, not fork: the run has threads (fetchers, Prefect) a fork would copy mid-lock.
                method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
                self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context(method),
                                                 initializer=_start, initargs=(str(self.topics_file),))
            return self._pool

    def build_many(self, jobs: list[Job]) -> list[Built]:
        if not jobs:
            return []
        if self.workers == 1 or len(jobs) == 1 and self._pool is None:
            gazetteer = self._gazetteer_loader()
            return [build(job, gazetteer) for job in jobs]
        try:
            return list(self._executor().map(build, jobs))
        except BrokenProcessPool as exc:
            log.error("extraction workers stopped (%s); this batch runs in the poll's own process", exc)
            self.close()
            gazetteer = self._gazetteer_loader()
            return [build(job, gazetteer) for job in jobs]

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def job_for(body: bytes, meta: PageMeta, boilerplate: frozenset[str], now: datetime) -> Job:
    return Job(body=body, meta=meta, boilerplate=boilerplate, first_seen=layout.as_utc(now).isoformat())
