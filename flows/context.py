"""Everything one run shares: settings, store, fetcher, seen index, dedup index, site memory.

Prefect tasks run in threads of one process (or in Dask worker processes): they look
their run's context up by run id, and each process builds its own on first use, so no
unpicklable object crosses a process boundary.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from config.settings import Settings
from storage import open_store
from storage.articles import ArticleStore
from storage.base import ObjectStore
from storage.state import SeenIndex

log = logging.getLogger("newswatch")


def known_boilerplate(store: ObjectStore, host: str) -> frozenset[str]:
    """What the site memory knows of a host: its boilerplate paragraphs and template paths (empty if none)."""
    from storage import site_memory

    if not host:
        return frozenset()
    return site_memory.load(store, host).boilerplate()


@dataclass
class RunContext:
    run_id: str
    settings: Settings
    store: ObjectStore
    now: datetime
    _fetcher: object | None = None
    _seen: SeenIndex | None = None
    _dedup: object | None = None
    _retry: object | None = None
    _extraction: object | None = None
    lease: object | None = None  # storage.run_lease.RunLease while the run lives (flows.poll.start_run)
    lock: threading.RLock = field(default_factory=threading.RLock)
    claimed: set[str] = field(default_factory=set)
    claimed_texts: dict[str, str] = field(default_factory=dict)  # canonical id → text, for entries of this run named so
    refreshing: set[str] = field(default_factory=set)  # URL keys of items republished since their feed's last poll
    _sites: dict = field(default_factory=dict)  # host → SiteMemory, read once per run
    # Its own lock: learn_site runs in the state-flush threads while the batch holds ``lock``.
    _sites_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def articles(self) -> ArticleStore:
        return ArticleStore(self.store)

    @property
    def fetcher(self):
        with self.lock:
            if self._fetcher is None:
                from flows.fetcher import Fetcher

                self._fetcher = Fetcher(self.settings)
            return self._fetcher

    @property
    def seen(self) -> SeenIndex:
        with self.lock:
            if self._seen is None:
                self._seen = SeenIndex.load(self.store, self.now)
            return self._seen

    @property
    def dedup(self):
        with self.lock:
            if self._dedup is None:
                from storage.dedup_index import DedupIndex

                self._dedup = DedupIndex(self.store)
                self._dedup.load_recent(self.now)
            return self._dedup

    @property
    def retry(self):
        """The retry queue (storage/retry_queue.py), loaded on first use."""
        with self.lock:
            if self._retry is None:
                from storage.retry_queue import RetryQueue

                self._retry = RetryQueue.load(self.store)
            return self._retry

    @property
    def extraction(self):
        """The run's extraction workers (flows/workers.py): processes started on first use, once per run."""
        with self.lock:
            if self._extraction is None:
                from flows.workers import ExtractionPool

                self._extraction = ExtractionPool(self.settings.workers, self.settings.topics_file, lambda: self.gazetteer,
                                                  page_seconds=self.settings.page_timeout_seconds)
            return self._extraction

    @property
    def gazetteer(self):
        from extractors.gazetteer import load_gazetteer

        return load_gazetteer(self.settings.topics_file)  # cached per path and mtime

    def claim(self, key: str) -> bool:
        """True for the first feed of this run to take a URL key (a link in two feeds is fetched once)."""
        with self.lock:
            if key in self.claimed:
                return False
            self.claimed.add(key)
            return True

    def site_boilerplate(self, host: str) -> frozenset[str]:
        """The host's learnt boilerplate: its memory is read once per run (base + segments) and
        kept up to date with what this run learns; other runs' pages count from the next run."""
        from storage import site_memory

        if not host:
            return frozenset()
        with self._sites_lock:
            memory = self._sites.get(host)
        if memory is None:
            memory = site_memory.load(self.store, host)
            with self._sites_lock:
                memory = self._sites.setdefault(host, memory)
        with self._sites_lock:
            return memory.boilerplate()

    def learn_site(self, host: str, documents: list[tuple], encoded: tuple | None = None) -> None:
        """Remember which paragraphs and template blocks this site repeats: one write-once segment of
        the batch's observations (storage.site_memory; idempotent per document when replayed).

        ``documents``: (doc id, paragraphs) or (doc id, paragraphs, ExtractedArticle.site_blocks);
        ``encoded``: ``site_memory.encode_observations(documents)`` when the caller made it already.
        """
        if not documents or not host:
            return
        from storage import site_memory

        encoded = encoded or site_memory.encode_observations(documents)
        site_memory.write_observations(self.store, host, self.run_id, documents, encoded)
        with self._sites_lock:
            memory = self._sites.get(host)
            if memory is not None:  # from the segment's fingerprints: each paragraph is hashed once per batch
                site_memory.replay(memory, encoded)

    def close(self) -> None:
        if self._extraction is not None:
            self._extraction.close()
        if self._fetcher is not None:
            self._fetcher.close()
        if self.lease is not None:
            self.lease.release()
        self.store.close()


_contexts: dict[str, RunContext] = {}
_contexts_lock = threading.Lock()


def open_context(run_id: str, store_uri: "str | ObjectStore", settings: Settings, now: datetime | None = None) -> RunContext:
    """The run's context in this process (created on first use). Takes a URI or an open store."""
    with _contexts_lock:
        ctx = _contexts.get(run_id)
        if ctx is None:
            ctx = RunContext(
                run_id=run_id,
                settings=settings,
                store=store_uri if isinstance(store_uri, ObjectStore) else open_store(store_uri, settings),
                now=now or datetime.now(timezone.utc),
            )
            _contexts[run_id] = ctx
        return ctx


def close_context(run_id: str) -> None:
    with _contexts_lock:
        ctx = _contexts.pop(run_id, None)
    if ctx is not None:
        ctx.close()
