"""A bounded thread pool for a run's uploads.

On S3 every object is one HTTP round trip; a batch of raw pages and records written one
after another spends its time waiting. The pipeline writes a batch through a ``WritePool``
and calls ``wait()`` before it writes the manifest, so the write order that makes a crash
safe (objects, then manifest, then state) still holds between batches.

The pool is bounded twice: ``threads`` uploads run at once, and at most ``max_pending``
are queued, so a producer faster than the network blocks instead of holding every page of
a large batch in memory.

    with WritePool(store, threads=settings.upload_threads) as pool:
        for key, body in objects:
            pool.put(key, body, content_type="application/json", create_only=True)
        pool.wait()          # raises the first error, in submission order
        articles.write_manifest(...)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from storage.base import ObjectStore

T = TypeVar("T")


class WritePool:
    def __init__(self, store: ObjectStore, threads: int = 16, *, max_pending: int | None = None):
        self.store = store
        self.threads = max(1, int(threads))
        self._slots = threading.BoundedSemaphore(max_pending or self.threads * 4)
        self._executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="newswatch-upload")
        self._futures: list[Future] = []
        self._lock = threading.Lock()

    def __enter__(self) -> "WritePool":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.wait()
            finally:
                self._executor.shutdown(wait=True)
        else:
            # A failing batch must not keep writing behind the caller's back: drop what has
            # not started, let what is in flight finish, and let the caller's error propagate.
            self._executor.shutdown(wait=True, cancel_futures=True)

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> "Future[T]":
        """Run any store operation on the pool (e.g. ``ArticleStore.put_article``)."""
        self._slots.acquire()
        try:
            future = self._executor.submit(fn, *args, **kwargs)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _f: self._slots.release())
        with self._lock:
            self._futures.append(future)
        return future

    def put(self, key: str, data: bytes, *, content_type: str | None = None, create_only: bool = False) -> "Future[bool]":
        return self.submit(self.store.put, key, data, content_type=content_type, create_only=create_only)

    def wait(self) -> list[Any]:
        """Wait for everything submitted so far; return the results or raise the first error.

        Every write is waited for even when one fails, so the caller knows nothing is still
        in flight when it handles the error.
        """
        with self._lock:
            futures, self._futures = self._futures, []
        results, first_error = [], None
        for future in futures:
            try:
                results.append(future.result())
            except BaseException as exc:  # SimulatedCrash in tests is a BaseException on purpose
                if first_error is None:
                    first_error = exc
        if first_error is not None:
            raise first_error
        return results

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(1 for f in self._futures if not f.done())
