"""Copy one store to another (``newswatch store copy``): resumable and idempotent.

Keys are copied in three phases, each finished before the next: objects (records, raw pages,
seeds, digests), then the manifests that name them, then state — so a copy stopped halfway is
a consistent store, and running it again skips what is already there (same size, then same
MD5/ETag) and finishes the rest. A tqdm progress bar goes to stderr when it is a terminal.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from extractors.errors import NotFound, StoreError
from storage.base import ObjectStore
from storage.check import Problem
from storage.pool import WritePool

# Copy --------------------------------------------------------------------------------------------

COPY_PHASES = ("", "manifests/", "state/")  # objects, then the manifests naming them, then state


@dataclass
class CopyReport:
    source: str
    target: str
    objects: int = 0
    copied: int = 0
    updated: int = 0  # existed in the target with other content (a reprocessed record, newer state)
    skipped: int = 0  # already there, same content: a resumed or repeated copy
    bytes: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


@dataclass(frozen=True)
class _Stat:
    size: int | None
    md5: str | None


def _stats(store: ObjectStore) -> dict[str, _Stat]:
    """Every key with what the listing knows (size; MD5 on S3) — one listing, no object reads."""
    list_stats = getattr(store, "list_stats", None)
    if list_stats is not None:  # S3Store: the listing carries size and ETag
        return {s.key: _Stat(s.size, s.md5) for s in list_stats("")}
    root = getattr(store, "root", None)  # LocalStore: a stat per file, no read
    stats = {}
    for key in store.list(""):
        try:
            stats[key] = _Stat((root / key).stat().st_size if root is not None else None, None)
        except OSError:
            stats[key] = _Stat(None, None)
    return stats


def _phase(key: str) -> int:
    return next(i for i in range(len(COPY_PHASES) - 1, -1, -1) if key.startswith(COPY_PHASES[i]))


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _compare(src: ObjectStore, dst: ObjectStore, key: str, s: _Stat, d: _Stat) -> tuple[bool, bytes | None]:
    """Whether ``dst`` already holds ``src``'s object; the source bytes too when they were read.

    Reads as little as it can: sizes from the listings, then MD5s (S3 ETags), reading only
    the side that has no MD5 (a local file is a cheap read, an S3 object a request).
    """
    if s.size is not None and d.size is not None and s.size != d.size:
        return False, None
    if s.md5 and d.md5:
        return s.md5 == d.md5, None
    if s.md5:
        return _md5(dst.get(key)) == s.md5, None
    data = src.get(key)
    if d.md5:
        return _md5(data) == d.md5, data
    return data == dst.get(key), data


def _overlap(a: ObjectStore, b: ObjectStore) -> bool:
    """The same store, or one under the other's root or prefix (on the same service)."""
    if getattr(a, "endpoint", None) != getattr(b, "endpoint", None) or type(a) is not type(b):
        return False
    root_a, root_b = a.uri.rstrip("/") + "/", b.uri.rstrip("/") + "/"
    return root_a.startswith(root_b) or root_b.startswith(root_a)


def copy_store(src: ObjectStore, dst: ObjectStore, *, progress: bool = True, threads: int = 16) -> CopyReport:
    """Make ``dst`` hold every object of ``src``; resumable, idempotent, state copied last.

    A key already in ``dst`` with the same content is skipped (size, then MD5 or bytes), so a
    copy cut short is finished by running it again. Objects go in three phases, each waited
    for: records and raw pages, then manifests, then state — a half copy is a consistent store
    that a poll can continue (at worst it re-fetches what the missing state would have skipped).
    """
    from tqdm import tqdm

    if _overlap(src, dst):
        raise StoreError(f"cannot copy {src.describe()} to {dst.describe()}: one store lies inside the other "
                         "(a copy would copy itself again on every run)")
    report = CopyReport(source=src.describe(), target=dst.describe())
    source, target = _stats(src), _stats(dst)
    report.objects = len(source)

    def copy_one(key: str) -> tuple[str, int]:
        s, d = source[key], target.get(key)
        data = None
        try:
            if d is not None:
                same, data = _compare(src, dst, key, s, d)
                if same:
                    return "skipped", 0
            data = src.get(key) if data is None else data
        except NotFound:
            if _compactable(key):  # merged into a newer base meanwhile: that base is copied below
                return "skipped", 0
            raise
        dst.put(key, data)  # the target's backend picks the content type from the key
        return ("updated" if d is not None else "copied"), len(data)

    with tqdm(total=len(source), file=sys.stderr, disable=not progress, unit="obj", desc="copy") as bar:
        for phase in range(len(COPY_PHASES)):
            keys = sorted(k for k in source if _phase(k) == phase)
            outcomes = _run_phase(dst, keys, copy_one, bar, threads)
            for key, outcome in zip(keys, outcomes):
                if isinstance(outcome, StoreError):
                    report.problems.append(Problem("copy-failed", key, str(outcome)))
                    continue
                kind, size = outcome
                setattr(report, kind, getattr(report, kind) + 1)
                report.bytes += size
            if report.problems:
                break  # never copy manifests or state over objects that did not make it
        # A compaction in the source during the copy writes a base the first listing did not
        # see and deletes segments it did: copy what is new until a listing brings nothing.
        for _ in range(3 if not report.problems else 0):
            fresh = {k: v for k, v in _stats(src).items() if _compactable(k) and k not in source}
            if not fresh:
                break
            source.update(fresh)
            report.objects += len(fresh)
            keys = sorted(fresh)
            for key, outcome in zip(keys, _run_phase(dst, keys, copy_one, bar, threads)):
                if isinstance(outcome, StoreError):
                    report.problems.append(Problem("copy-failed", key, str(outcome)))
                else:
                    setattr(report, outcome[0], getattr(report, outcome[0]) + 1)
                    report.bytes += outcome[1]
    return report


def _compactable(key: str) -> bool:
    """A write-once state segment or base, which compaction may merge and delete (storage.segments)."""
    name = key.rsplit("/", 1)[-1]
    return key.startswith("state/retry/") or key.startswith("state/") and name.startswith(("seg-", "base-"))


def _run_phase(dst: ObjectStore, keys: list[str], copy_one, bar, threads: int) -> list[Any]:
    def guarded(key: str):
        try:
            return copy_one(key)
        except StoreError as exc:
            return exc
        finally:
            bar.update(1)

    with WritePool(dst, threads=threads) as pool:
        for key in keys:
            pool.submit(guarded, key)
        return pool.wait()  # results in submission order
