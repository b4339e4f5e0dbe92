"""The embedded default store: a local directory with the same layout as a bucket.

Writes are atomic (temporary file in the same directory, then rename), so a reader
or a crash never sees half an object. ``create_only`` uses ``os.link``, which fails
atomically when the target exists; compare-and-swap holds a per-directory lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from extractors.errors import Conflict, NotFound, StoreError
from storage.base import ObjectStore, check_key

TMP_SUFFIX = ".tmp-newswatch"


def _write_error(path: Path, exc: OSError) -> StoreError:
    """A write's OSError as the store's one-line failure ("disk full" rather than errno 28)."""
    import errno

    words = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
             errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied"}.get(exc.errno)
    return StoreError(f"cannot write {path}: {words or exc.strerror or exc}")


class LocalStore(ObjectStore):
    def __init__(self, root: str | os.PathLike):
        try:
            self.root = Path(root).expanduser().resolve()
        except (RuntimeError, OSError) as exc:  # "Symlink loop from …" (RuntimeError on Python 3.11)
            raise StoreError(f"cannot use {root} as a store: {exc}") from None
        self.uri = f"file://{self.root}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create store directory {self.root}: {exc}") from exc

    @classmethod
    def from_uri(cls, uri: str) -> "LocalStore":
        if uri.startswith("file://"):
            return cls(unquote(urlparse(uri).path))
        return cls(uri)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write_temp(self, path: Path, data: bytes) -> str:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=TMP_SUFFIX)
        except OSError as exc:
            raise _write_error(path, exc) from None
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException as exc:
            os.unlink(tmp)
            if isinstance(exc, OSError):  # a full disk, a read-only or vanished directory: the store's failure
                raise _write_error(path, exc) from None
            raise
        return tmp

    def put(self, key: str, data: bytes, *, content_type: str | None = None, create_only: bool = False) -> bool:
        path = self._path(key)
        tmp = self._write_temp(path, data)
        try:
            if create_only:
                try:
                    os.link(tmp, path)  # atomic, fails if the key exists
                except FileExistsError:
                    return False
            else:
                os.replace(tmp, path)
                tmp = ""
            return True
        except OSError as exc:
            raise StoreError(f"cannot write {key}: {exc}") from exc
        finally:
            if tmp:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFound(key) from None
        except OSError as exc:
            raise StoreError(f"cannot read {key}: {exc}") from exc

    def get_view(self, key: str):
        # A month's dedup base is ~180 MB at a million documents, and a load copies some columns
        # out of it and uses others in place: mapped, nothing is copied twice. Populated at once
        # (the file is in the page cache after compaction wrote it): one call instead of a page
        # fault per 64 KB; the loader drops the mapping's pages afterwards (segments.unmap_pages).
        try:
            with open(self._path(key), "rb") as handle:
                if os.fstat(handle.fileno()).st_size == 0:
                    return b""
                return mmap.mmap(handle.fileno(), 0, flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0), prot=mmap.PROT_READ)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFound(key) from None
        except OSError as exc:
            raise StoreError(f"cannot read {key}: {exc}") from exc

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        data = self.get(key)
        return data, _version(data)

    @contextmanager
    def _lock(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.parent / ".lock-newswatch", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def put_if_version(self, key: str, data: bytes, version: str | None, *, content_type: str | None = None) -> str:
        path = self._path(key)
        try:
            with self._lock(path):
                try:
                    current = _version(path.read_bytes())
                except FileNotFoundError:
                    current = None
                if current != version:
                    raise Conflict(f"{key} changed since it was read")
                tmp = self._write_temp(path, data)
                os.replace(tmp, path)
        except OSError as exc:
            raise _write_error(path, exc) from None
        return _version(data)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[str]:
        # Walk only the directory the prefix points into, not the whole store.
        directory = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        base = self.root / directory if directory else self.root
        if not base.is_dir():
            return iter(())
        keys = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith(".") or name.endswith(TMP_SUFFIX):
                    continue
                key = os.path.relpath(os.path.join(dirpath, name), self.root).replace(os.sep, "/")
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]
