"""Run leases: is the run that wrote a journal still alive?

A journal names a batch in flight. When the next run finds one it must know whether its run is
dead (finish the batch now) or still going (leave it alone). The old rule, "older than 30
minutes", made the rerun after a ``kill -9`` skip the batch, and its pages waited for luck.

Each run writes ``state/runs/<run-id>.json`` when it starts — host, boot id, pid and the
process's start time — renews it every ``RENEW_EVERY`` while it lives and deletes it when it
ends. A run is alive when:

* its lease was written on this machine (same host name and boot id): exactly when a process
  with that pid and that start time exists (pids are reused; start times are not) — so a rerun
  right after ``kill -9`` on the same machine finishes the batch at once;
* its lease was written elsewhere (an S3 store shared by several machines): while the lease was
  renewed within ``LEASE_TTL``;
* it has no lease: never (runs before leases existed, or a run that died before writing one).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from extractors.errors import NotFound, StoreError
from storage import layout
from storage.base import ObjectStore

log = logging.getLogger("newswatch.lease")

PREFIX = "state/runs/"
RENEW_EVERY = timedelta(seconds=15)
LEASE_TTL = timedelta(seconds=90)  # six missed renewals: the machine or its network is gone


_live_here: set[str] = set()  # runs of this very process that have not ended (exact, no store needed)
_live_lock = threading.Lock()


def lease_key(run_id: str) -> str:
    return f"{PREFIX}{layout.safe_id(run_id)}.json"


def machine_id() -> str:
    """Host name plus boot id: a pid means something only on the same machine since the same boot."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = "unknown-boot"
    return f"{socket.gethostname()}/{boot}"


def process_start(pid: int) -> str | None:
    """The process's start time (clock ticks since boot, from /proc); None when no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)  # no /proc (macOS): existence is all we can know
    except ProcessLookupError:
        return None
    except PermissionError:
        return "?"
    return "?"


class RunLease:
    """Held by a live run: written at start, renewed by a daemon thread, deleted at the end."""

    def __init__(self, store: ObjectStore, run_id: str):
        self.store, self.run_id = store, run_id
        self.key = lease_key(run_id)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        pid = os.getpid()
        self._body = {"run": run_id, "machine": machine_id(), "pid": pid, "process_start": process_start(pid),
                      "started": datetime.now(timezone.utc).isoformat()}

    def _write(self) -> None:
        self.store.put_json(self.key, {**self._body, "renewed": datetime.now(timezone.utc).isoformat()})

    def start(self) -> "RunLease":
        with _live_lock:
            _live_here.add(self.run_id)
        self._write()
        self._thread = threading.Thread(target=self._renew, name=f"lease-{self.run_id}", daemon=True)
        self._thread.start()
        return self

    def _renew(self) -> None:
        while not self._stop.wait(RENEW_EVERY.total_seconds()):
            try:
                self._write()
            except (StoreError, OSError) as exc:  # one missed renewal is harmless; the next may work
                log.warning("could not renew run lease %s: %s", self.key, exc)

    def release(self) -> None:
        with _live_lock:
            _live_here.discard(self.run_id)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self.store.delete(self.key)
        except (StoreError, OSError) as exc:
            log.warning("could not delete run lease %s (%s); it expires by itself", self.key, exc)


def run_is_alive(store: ObjectStore, run_id: str | None, now: datetime | None = None) -> bool:
    if not run_id:
        return False
    try:
        lease = store.get_json(lease_key(run_id))
    except NotFound:
        return False
    except ValueError:
        return False  # a torn lease: its writer died while writing it
    if lease.get("machine") == machine_id():
        if lease.get("pid") == os.getpid() and lease.get("process_start") == process_start(os.getpid()):
            with _live_lock:
                return run_id in _live_here  # one of this process's own runs: it knows
        started = process_start(int(lease.get("pid") or 0)) if lease.get("pid") else None
        return started is not None and (started == lease.get("process_start") or "?" in (started, lease.get("process_start")))
    renewed = layout.as_utc(lease.get("renewed") or lease.get("started") or "1970-01-01T00:00:00+00:00")
    return (now or datetime.now(timezone.utc)) - renewed < LEASE_TTL


def forget_dead_leases(store: ObjectStore, now: datetime | None = None) -> int:
    """Delete the leases of runs that died without releasing them (they would pile up)."""
    removed = 0
    for key in list(store.list(PREFIX)):
        run_id = key[len(PREFIX):].removesuffix(".json")
        if not run_is_alive(store, run_id, now):
            store.delete(key)
            removed += 1
    return removed
