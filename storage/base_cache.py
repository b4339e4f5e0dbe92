"""A local, disposable copy of the state's base objects of a store that is not on this disk.

A poll starts by reading each loaded month's newest dedup and seen base (``storage.segments``):
~180 + 22 MB a month at a million documents. On S3 that was a whole download per month and run
(~0.5 GB every 15 minutes), though a base changes only when a compaction writes the next one.
Bases are write-once — ``base-<generation>.bin``, created with ``create_only`` and deleted only
after a newer one exists — but a key can come back with other bytes (a store rebuilt from scratch,
a server without conditional writes where two compactors raced), so a copy is named by the key
*and* the ETag and size the listing gave: another object under the same key is another file.

    <NEWSWATCH_CACHE_DIR>/state-bases/<store hash>/<key>.<etag>.<size>

A copy is written to a temporary file, fsynced and renamed, so it is whole or absent; a file
whose size differs from its name's (truncated by a crash of the disk, edited) is downloaded
again. The store stays the source of truth: the cache only ever holds what the store's listing
names, a listing that ends drops copies of keys it no longer contains, and the total is bounded
(least recently used go first). A cache directory that cannot be written costs only the speed-up.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import re
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger("newswatch.state")

FOLDER = "state-bases"
TMP_PREFIX = ".part-"
STALE_TMP_SECONDS = 3600  # a temporary file this old was left by a process that died
FREE_MARGIN = 1 << 30  # never fill the disk: keep a gigabyte free besides the copy
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")


def cacheable(key: str) -> bool:
    """State bases only (write-once by design, large, read by every run)."""
    return key.startswith("state/") and key.rsplit("/", 1)[-1].startswith("base-") and key.endswith(".bin")


def _tag(etag: str) -> str:
    return _UNSAFE.sub("", etag.strip('"')) or "none"


class BaseCache:
    """The copies of one store's bases, in one folder of the cache directory."""

    def __init__(self, folder: Path, limit_bytes: int):
        self.folder, self.limit = folder, limit_bytes
        self._hits: set[str] = set()  # keys answered from an earlier copy in this process
        self._lock = threading.Lock()

    @classmethod
    def open(cls, store_identity: str, limit_bytes: int | None = None) -> "BaseCache | None":
        """The cache of the store named ``store_identity`` (endpoint + bucket + prefix), or None
        (with one logged note) when it is switched off or its directory cannot be written."""
        from extractors.compiled_cache import cache_dir

        if limit_bytes is None:
            from config.settings import get_settings

            limit_bytes = int(get_settings().state_cache_mb) << 20
        if limit_bytes <= 0:
            return None
        root = cache_dir() / FOLDER
        folder = root / hashlib.sha256(store_identity.encode()).hexdigest()[:24]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            log.info("state bases are not cached locally (%s: %s); every run downloads them", folder, exc.strerror or exc)
            return None
        return cls(folder, limit_bytes)

    def _path(self, key: str, etag: str, size: int) -> Path:
        return self.folder / f"{key}.{_tag(etag)}.{size}"

    # Reading -------------------------------------------------------------------------------

    def lookup(self, key: str, etag: str, size: int):
        """A read-only mapping of the copy of ``key`` with this ETag and size, or None (absent,
        truncated or unreadable: the caller downloads it again)."""
        path = self._path(key, etag, size)
        try:
            with open(path, "rb") as handle:
                actual = os.fstat(handle.fileno()).st_size
                if actual != size:
                    log.info("cached copy of %s has %d of %d bytes; downloading it again", key, actual, size)
                    _unlink(path)
                    return None
                view = _map(handle, size)
            os.utime(path)  # recently used: the size bound evicts the oldest first
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.info("cached copy of %s unreadable (%s); downloading it again", key, exc)
            return None
        with self._lock:
            self._hits.add(key)
        return view

    def drop(self, key: str) -> bool:
        """Remove the copy of ``key`` that this process read from the cache (a reader found it
        undecodable): True when there was one, so the reader reads the store's object instead of
        taking the store's object for damaged. A copy downloaded in this run is the store's bytes."""
        with self._lock:
            if key not in self._hits:
                return False
            self._hits.discard(key)
        for path in self._copies(key):
            _unlink(path)
        log.warning("cached copy of %s could not be decoded; removed, reading the store's object", key)
        return True

    def view(self, key: str, etag: str, size: int, *, download, fallback):
        """The copy of ``key`` (listed with ``etag`` and ``size``), mapped; else ``download(key)``
        (→ ETag, size, chunks) into the cache once and mapped; ``fallback(key)`` (the bytes in
        memory) when the disk refuses the copy."""
        found = self.lookup(key, etag, size)
        if found is not None:
            return found
        etag, size, chunks = download(key)
        copied = self.fill(key, etag, size, lambda handle: [handle.write(chunk) for chunk in chunks])
        return copied if copied is not None else fallback(key)

    # Writing -------------------------------------------------------------------------------

    def fill(self, key: str, etag: str, size: int, write) -> object | None:
        """Store a copy through ``write(file)`` (which streams the object into it) and map it.
        None when the disk is short of room or the write fails: the caller keeps the bytes in memory.
        Errors from ``write`` itself (the download) propagate."""
        path = self._path(key, etag, size)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            usage = os.statvfs(path.parent)
            if usage.f_bavail * usage.f_frsize < size + FREE_MARGIN:
                log.info("not caching %s: the cache disk is short of room", key)
                return None
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX)
        except OSError as exc:
            log.info("not caching %s (%s)", key, exc)
            return None
        try:
            with os.fdopen(fd, "w+b") as handle:
                write(handle)
                handle.flush()
                written = os.fstat(handle.fileno()).st_size
                if written != size:  # the object changed between listing and GET: name it by what we got
                    path = self._path(key, etag, written)
                os.fsync(handle.fileno())  # whole or absent after a crash, never a short file of the right name
                view = _map(handle, written)
            os.replace(tmp, path)
        except OSError as exc:
            _unlink(Path(tmp))
            log.info("not caching %s (%s)", key, exc)
            return None
        except BaseException:
            _unlink(Path(tmp))
            raise
        for old in self._copies(key):  # an earlier object under the same key
            if old != path:
                _unlink(old)
        self.trim(keep=path)
        return view

    # Pruning -------------------------------------------------------------------------------

    def forget_missing(self, prefix: str, listed: dict[str, tuple[str, int]]) -> None:
        """After a complete listing of ``prefix``: remove copies of keys under it that the listing
        does not hold with the same ETag and size (compacted away, replaced)."""
        wanted = {self._path(k, etag, size) for k, (etag, size) in listed.items()}
        directory = self.folder / prefix.rsplit("/", 1)[0] if "/" in prefix else self.folder
        cut = len(str(self.folder)) + 1
        for path in _files(directory):
            key = str(path)[cut:]
            if key.startswith(prefix) and path not in wanted and not path.name.startswith(TMP_PREFIX):
                _unlink(path)

    def trim(self, keep: Path | None = None) -> None:
        """Hold the whole cache directory (every store) under the limit, least recently used first;
        remove temporary files of dead processes."""
        now, entries = time.time(), []
        for path in _files(self.folder.parent):
            try:
                st = path.stat()
            except OSError:
                continue
            if path.name.startswith(TMP_PREFIX):
                if now - st.st_mtime > STALE_TMP_SECONDS:
                    _unlink(path)
                continue
            entries.append((st.st_mtime, st.st_size, path))
        total = sum(size for _t, size, _p in entries)
        for _mtime, size, path in sorted(entries, key=lambda e: e[0]):
            if total <= self.limit:
                break
            if path != keep:  # a file mapped by a run stays readable after its unlink
                _unlink(path)
                total -= size

    def _copies(self, key: str) -> list[Path]:
        directory, name = (self.folder / key).parent, key.rsplit("/", 1)[-1] + "."
        try:
            return [directory / n for n in os.listdir(directory) if n.startswith(name)]
        except OSError:
            return []


class StoreBases:
    """What a store adapter needs: the ETag and size of each base its listings named, and the
    cache, opened at the first use (a command that reads no state creates no directory)."""

    def __init__(self, store_identity: str, limit_bytes: int | None = None):
        self.identity, self.limit = store_identity, limit_bytes
        self._listed: dict[str, tuple[str, int]] = {}  # base key → (ETag, size) of the last listing
        self._cache: BaseCache | None = None
        self._opened = False
        self._lock = threading.Lock()

    def cache(self) -> BaseCache | None:
        if not self._opened:
            with self._lock:
                if not self._opened:
                    self._cache, self._opened = BaseCache.open(self.identity, self.limit), True
        return self._cache

    def listing_done(self, prefix: str, bases: dict[str, tuple[str, int]]) -> None:
        """A listing of ``prefix`` ran to its end: forget and remove what it no longer holds."""
        with self._lock:
            for key in [k for k in self._listed if k.startswith(prefix) and k not in bases]:
                del self._listed[key]
            self._listed.update(bases)
        cache = self.cache() if prefix.startswith("state/") or (not prefix and bases) else None
        if cache is not None:
            cache.forget_missing(prefix, bases)

    def view(self, key: str, *, head, download, fallback):
        """``key`` through the cache when it is a base and the cache is on, else ``fallback(key)``."""
        cache = self.cache() if cacheable(key) else None
        if cache is None:
            return fallback(key)
        with self._lock:
            listed = self._listed.get(key)
        return cache.view(key, *(listed or head(key)), download=download, fallback=fallback)

    def drop(self, key: str) -> bool:
        return self._cache.drop(key) if self._cache is not None else False


def _map(handle, size: int):
    if size == 0:
        return b""
    flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
    return mmap.mmap(handle.fileno(), 0, flags=flags, prot=mmap.PROT_READ)


def _files(directory: Path):
    for dirpath, _dirnames, filenames in os.walk(directory):
        for name in filenames:
            yield Path(dirpath) / name


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
