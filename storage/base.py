"""The object-store interface that every backend implements.

Keys are "/"-separated relative paths (``articles/2026/11/22/<id>.json``) and mean
the same on a directory and in a bucket. Two kinds of write matter for crash safety:

* write-once objects (raw pages, article records, manifests) use ``create_only``:
  a second writer finds the object there and gets ``False`` back, which is fine;
* mutable state (feed state, indexes) uses ``put_if_version``: compare-and-swap on
  the version token ``get_versioned`` returned, so overlapping runs cannot silently
  overwrite each other — the loser gets ``Conflict`` and re-reads.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from extractors.errors import Conflict, NotFound, StoreError

T = TypeVar("T")


class ObjectStore(ABC):
    """A flat namespace of immutable-or-CAS objects."""

    uri: str

    @abstractmethod
    def put(self, key: str, data: bytes, *, content_type: str | None = None, create_only: bool = False) -> bool:
        """Write ``data`` at ``key``. With ``create_only``, return False (writing nothing) if it exists."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The object's bytes; ``NotFound`` if absent."""

    def get_view(self, key: str):
        """The object's bytes as a read-only buffer: a backend that can map a file instead of
        copying it (the local store) does, so a reader that takes a few columns of a large
        object touches only those. Default: ``get``."""
        return self.get(key)

    def drop_view(self, key: str) -> bool:
        """Forget a local copy that ``get_view`` answered from (a reader could not decode it):
        True when there was one, and the next ``get_view`` reads the store's object. Default:
        nothing is copied, so a view that does not decode is the store's object itself."""
        return False

    @abstractmethod
    def get_versioned(self, key: str) -> tuple[bytes, str]:
        """The object's bytes and an opaque version token for ``put_if_version``."""

    @abstractmethod
    def put_if_version(self, key: str, data: bytes, version: str | None, *, content_type: str | None = None) -> str:
        """Replace ``key`` only if it still has ``version`` (None: only if absent). Returns the new version."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]:
        """Every key that starts with ``prefix``, in lexical order."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""

    def close(self) -> None:  # pragma: no cover - backends with resources override
        pass

    def describe(self) -> str:
        """Where the store is, for messages (never includes credentials)."""
        return self.uri

    # JSON conveniences shared by every backend -------------------------------------------

    def get_json(self, key: str) -> Any:
        return json.loads(self.get(key))

    def put_json(self, key: str, value: Any, *, create_only: bool = False) -> bool:
        return self.put(key, dumps(value), content_type="application/json", create_only=create_only)

    def update_json(self, key: str, change: Callable[[Any | None], T], *, attempts: int = 8) -> T:
        """Read-modify-write a JSON object under compare-and-swap, retrying on conflict.

        ``change`` gets the current value (None when absent) and returns the new one;
        it may be called again after a conflict, so it must not have side effects.
        """
        for _ in range(attempts):
            try:
                raw, version = self.get_versioned(key)
                current = json.loads(raw)
            except NotFound:
                current, version = None, None
            new_value = change(current)
            try:
                self.put_if_version(key, dumps(new_value), version, content_type="application/json")
                return new_value
            except Conflict:
                continue
        raise Conflict(f"{key}: changed by another run {attempts} times in a row; giving up")


def dumps(value: Any) -> bytes:
    """Canonical JSON bytes: UTF-8, stable key order, so equal records are equal bytes."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def check_key(key: str) -> str:
    """Refuse keys that could escape the store root or mean different things per backend."""
    if not key or key.startswith("/") or "\\" in key or any(part in ("", ".", "..") for part in key.split("/")):
        raise StoreError(f"invalid store key: {key!r}")
    return key
