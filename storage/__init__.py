"""Object storage: one interface, a local-directory and an S3 backend, and the store layout.

``open_store(uri)`` picks the backend from the URI: a path or ``file://`` → local
directory, ``s3://bucket[/prefix]`` → S3 through boto3.
"""

from __future__ import annotations

from storage.base import ObjectStore


def open_store(uri: str, settings=None, *, must_exist: bool = False) -> ObjectStore:
    """Open the store a ``--store`` value names (default ``./data``).

    Commands that only read (``articles``, ``store check``, the source of ``store copy``...) pass
    ``must_exist``: a mistyped path is an error, not a new empty store that "has 0 records".
    """
    if not uri or not uri.strip():
        from extractors.errors import StoreError

        raise StoreError("the store is empty: give a path, file://… or s3://bucket[/prefix]")
    uri = _checked_scheme(uri)
    if must_exist and not uri.startswith("s3://"):  # a missing bucket is refused by the S3 backend itself
        from extractors.errors import StoreError

        path = local_path(uri)
        if not path.is_dir():
            raise StoreError(f"no store at {uri} ({'not a directory' if path.exists() else 'no such directory'}); "
                             "check --store / NEWSWATCH_STORE")
    if uri.startswith("s3://"):
        from storage.s3 import S3Store  # boto3 is only imported when S3 is used

        store = S3Store.from_uri(uri, settings)
        if must_exist and next(iter(store.list("")), None) is None:
            # a mistyped prefix holds nothing: as a mistyped directory, not an empty store with "0 records"
            from extractors.errors import StoreError

            store.close()
            raise StoreError(f"no store at {uri} (nothing under that prefix); check --store / NEWSWATCH_STORE")
        return store
    from storage.local import LocalStore

    return LocalStore.from_uri(uri)


def local_path(uri: str):
    """The directory a local store's URI (a path or ``file://…``) names; None for an S3 store."""
    from pathlib import Path
    from urllib.parse import unquote, urlparse

    if uri.strip().lower().startswith("s3://"):
        return None
    return Path(unquote(urlparse(uri).path) if uri.startswith("file://") else uri).expanduser()


def _checked_scheme(uri: str) -> str:
    """``uri`` with an upper-case ``S3://`` lowered; a URL of any other scheme ("gs://", "ftp://", a
    mistyped "s3:/bucket") is refused, not made into a local directory of that name."""
    import re

    from extractors.errors import StoreError

    found = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(/*)", uri)
    if not found or (len(found.group(1)) == 1 and re.match(r"^[A-Za-z]:[\\/]", uri)):  # C:\ is a path
        return uri
    scheme, slashes = found.group(1).lower(), found.group(2)
    if not slashes and scheme != "s3":
        return uri  # "notes:2024" is a directory name
    if scheme in ("s3", "file") and slashes == "//" or scheme == "file" and slashes == "///":
        return scheme + uri[len(scheme):]
    if scheme in ("s3", "file"):
        raise StoreError(f"store {uri!r} is not a valid {scheme} URL: write {scheme}://…")
    raise StoreError(f"store {uri!r}: {scheme}:// stores are not supported; give a directory, file://… or "
                     "s3://bucket[/prefix] (S3-compatible services through NEWSWATCH_S3_ENDPOINT)")


__all__ = ["ObjectStore", "open_store"]
