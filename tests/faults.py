"""Fault injection for crash-safety tests: a store that "dies" after k successful writes.

    store = FaultyStore(LocalStore(tmp_path), crash_after=3)
    with pytest.raises(SimulatedCrash):
        run_poll(store, ...)          # the 4th write never happens, like a killed process
    run_poll(store.inner, ...)        # the next run must finish the job, storing nothing twice

``SimulatedCrash`` derives from ``BaseException`` so that the code under test cannot swallow
it with ``except Exception`` — a real SIGKILL is not catchable either. Only writes (``put``,
``put_if_version``) count; after the crash every operation raises, as a dead process does
nothing more (other WritePool threads included). The crash happens
*before* the (k+1)-th write reaches the inner store, so exactly k writes are durable.
``crash_on`` restricts which writes count (a key prefix such as ``"manifests/"``), to cut a run
at a chosen step of its write order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from storage.base import ObjectStore


class SimulatedCrash(BaseException):
    """The process died here (raised instead of a write)."""


class FaultyStore(ObjectStore):
    def __init__(self, inner: ObjectStore, crash_after: int | None = None, *, crash_on: str = ""):
        self.inner = inner
        self.uri = inner.uri
        self.crash_after = crash_after
        self.crash_on = crash_on
        self.writes: list[str] = []  # keys written through this wrapper, in order
        self.crashed = False
        self._lock = threading.Lock()  # WritePool writes from several threads

    def _before_write(self, key: str) -> None:
        with self._lock:
            if self.crashed:
                raise SimulatedCrash(f"store already crashed (write to {key})")
            counted = key.startswith(self.crash_on)
            if counted and self.crash_after is not None:
                done = sum(1 for k in self.writes if k.startswith(self.crash_on))
                if done >= self.crash_after:
                    self.crashed = True
                    raise SimulatedCrash(f"crash before writing {key} (after {done} writes)")

    def _after_write(self, key: str) -> None:
        with self._lock:
            self.writes.append(key)

    def put(self, key, data, *, content_type=None, create_only=False) -> bool:
        self._before_write(key)
        result = self.inner.put(key, data, content_type=content_type, create_only=create_only)
        self._after_write(key)
        return result

    def put_if_version(self, key, data, version, *, content_type=None) -> str:
        self._before_write(key)
        result = self.inner.put_if_version(key, data, version, content_type=content_type)
        self._after_write(key)
        return result

    def _alive(self) -> None:
        if self.crashed:
            raise SimulatedCrash("store already crashed")

    def get(self, key: str) -> bytes:
        self._alive()
        return self.inner.get(key)

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        self._alive()
        return self.inner.get_versioned(key)

    def exists(self, key: str) -> bool:
        self._alive()
        return self.inner.exists(key)

    def list(self, prefix: str = "") -> Iterator[str]:
        self._alive()
        return self.inner.list(prefix)

    def delete(self, key: str) -> None:
        self._alive()
        self.inner.delete(key)

    def describe(self) -> str:
        return f"faulty({self.inner.describe()})"
