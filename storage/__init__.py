"""Object storage: one interface, a local-directory and an S3 backend, and the store layout.

``open_store(uri)`` picks the backend from the URI: a path or ``file://`` → local
directory, ``s3://bucket[/prefix]`` → S3 through boto3.
"""

from __future__ import annotations

from storage.base import ObjectStore


def open_store(uri: str, settings=None) -> ObjectStore:
    """Open the store a ``--store`` value names (default ``./data``)."""
    if uri.startswith("s3://"):
        from storage.s3 import S3Store  # boto3 is only imported when S3 is used

        return S3Store.from_uri(uri, settings)
    from storage.local import LocalStore

    return LocalStore.from_uri(uri)


__all__ = ["ObjectStore", "open_store"]
