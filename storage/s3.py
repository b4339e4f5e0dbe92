"""The S3 backend (boto3): the same keys as a local directory, under ``s3://bucket[/prefix]``.

Crash safety rests on S3 conditional writes:

* write-once objects: ``PutObject`` with ``If-None-Match: *`` (412 → already there → False);
* compare-and-swap: the version token is the ETag; ``If-Match: <etag>`` (or ``If-None-Match: *``
  for "still absent"); 412, 409 ``ConditionalRequestConflict`` or 404 → ``Conflict``.

Some S3-compatible servers lack conditional writes (they answer 501 or silently ignore the
header). The first conditional write probes the server once with a scratch object under the
prefix; where the probe fails the store falls back to check-then-write, which is not atomic
between concurrent runs, and says so in one warning. The probe is lazy so that read-only uses
(listing articles, the source of ``store copy``) need no write permission.

boto3 retries throttling and 5xx itself (standard mode, 8 attempts), and each object operation
has its own bounded back-off on top (storage/s3_retry.py: botocore's retry quota drains under a
sustained error rate). A PUT retried after a lost
response may find its own object: a create-only put then answers False (the object is there,
which is what the caller wanted) and a CAS put answers ``Conflict``, after which
``update_json`` re-reads and re-applies its (idempotent) change.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

from extractors.errors import Conflict, NotFound, StoreError
from extractors.urls import without_credentials, without_credentials_in
from storage import base_cache
from storage.base import ObjectStore, check_key
from storage.s3_retry import RetryingClient

log = logging.getLogger(__name__)

RETRIES = {"mode": "standard", "max_attempts": 8}
PROBE_PREFIX = ".newswatch-probe/"
_CONTENT_TYPES = {
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".gz": "application/gzip",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".eml": "message/rfc822",
}
_CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound"}
_UNSUPPORTED_CODES = {"NotImplemented", "501"}

# (endpoint, bucket) → whether conditional writes work; probed once per process.
_CONDITIONAL_SUPPORT: dict[tuple[str, str], bool] = {}
_PROBE_LOCK = threading.Lock()


@dataclass(frozen=True)
class ObjectStat:
    """What a listing tells about an object without reading it (used by ``store copy``)."""

    key: str
    size: int
    md5: str | None  # the ETag when it is a plain MD5 (single-part upload), else None


def guess_content_type(key: str) -> str:
    for suffix, kind in _CONTENT_TYPES.items():
        if key.endswith(suffix):
            return kind
    return "application/octet-stream"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _is_conflict(exc: ClientError) -> bool:
    return _code(exc) in _CONFLICT_CODES or _status(exc) in (409, 412)


def _describe_error(exc: BaseException) -> str:
    # botocore messages name the operation and the code, never the secret key; they do name the
    # endpoint URL, with any user:password@ a user put in it: removed.
    return without_credentials_in(str(exc).splitlines()[0]) if str(exc) else type(exc).__name__


class S3Store(ObjectStore):
    """An ``ObjectStore`` on one bucket (and optional key prefix) through one thread-safe client."""

    def __init__(self, bucket: str, prefix: str = "", *, client, endpoint: str | None = None, check: bool = True,
                 cache_bytes: int | None = None, check_client=None):
        if not bucket:
            raise StoreError("an S3 store URI needs a bucket: s3://bucket[/prefix]")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.uri = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.endpoint = endpoint or getattr(getattr(client, "meta", None), "endpoint_url", None) or ""
        # botocore's retries draw on a shared quota that a sustained error rate drains: each object
        # operation gets its own bounded back-off on top (storage/s3_retry.py).
        self.client = client if isinstance(client, RetryingClient) else RetryingClient(client)
        self._warned = False
        # State bases are kept on local disk between runs (storage/base_cache.py). cache_bytes
        # None: the settings' bound (NEWSWATCH_STATE_CACHE_MB); 0: no local copies.
        self.bases = base_cache.StoreBases(f"{self.endpoint}|{self.bucket}|{self.prefix}", cache_bytes)
        if check:
            self._check_bucket(check_client or self.client)

    # Opening ------------------------------------------------------------------------------

    @classmethod
    def from_uri(cls, uri: str, settings=None) -> "S3Store":
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise StoreError(f"not an S3 store URI: {without_credentials(uri)!r} (expected s3://bucket[/prefix])")
        if "@" in parsed.netloc:  # never echoed: what precedes the "@" is a secret
            raise StoreError(f"an S3 store URI holds no credentials: {without_credentials(uri)} (use AWS_ACCESS_KEY_ID "
                             "and AWS_SECRET_ACCESS_KEY, or a profile)")
        if settings is None:
            from config.settings import get_settings

            settings = get_settings()
        # the opening check gets a client of its own with few, short tries: an endpoint that never
        # answers is a one-line error in seconds, not after every retry of every layer
        session = _session(settings)  # once: a credentials block is loaded once
        return cls(parsed.netloc, parsed.path, client=make_client(settings, session=session),
                   check_client=make_client(settings, max_attempts=2, read_timeout=CHECK_READ_SECONDS, session=session))

    def _check_bucket(self, client) -> None:
        """Fail in one line before any work when the bucket or the credentials are wrong."""
        where = self.describe()
        try:
            client.head_bucket(Bucket=self.bucket)
            # A web server or captive portal at the endpoint answers 200 to everything: HEAD passes,
            # then every read is HTML and a poll spun on "unreadable" state for ever. Any S3 names the
            # bucket in a listing; an answer without it is not S3.
            listing = client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
            if listing.get("Name") != self.bucket:
                raise StoreError(f"{where}: the endpoint does not answer as S3 (its bucket listing has no bucket "
                                 "name: a web server at that address? check NEWSWATCH_S3_ENDPOINT)")
        except (NoCredentialsError, PartialCredentialsError):
            raise StoreError(f"{where}: no AWS credentials found (environment, profile or credentials block)") from None
        except ClientError as exc:
            status, code = _status(exc), _code(exc)
            if status == 404 or code in {"NoSuchBucket", "404"}:
                raise StoreError(f"{where}: bucket {self.bucket!r} does not exist") from None
            if status in (401, 403) or code in {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
                raise StoreError(f"{where}: access denied to bucket {self.bucket!r} (check the credentials)") from None
            raise StoreError(f"{where}: cannot open bucket: {_describe_error(exc)}") from None
        except BotoCoreError as exc:
            raise StoreError(f"{where}: cannot reach the S3 endpoint: {_describe_error(exc)}") from None

    def describe(self) -> str:
        return f"{self.uri} (endpoint {without_credentials(self.endpoint)})" if self.endpoint else self.uri

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    # Conditional-write support ---------------------------------------------------------------

    @property
    def conditional_writes(self) -> bool:
        """Whether the server enforces If-None-Match / If-Match on PUT (probed once)."""
        cache_key = (self.endpoint, self.bucket)
        if cache_key not in _CONDITIONAL_SUPPORT:
            with _PROBE_LOCK:
                if cache_key not in _CONDITIONAL_SUPPORT:
                    _CONDITIONAL_SUPPORT[cache_key] = self._probe()
        supported = _CONDITIONAL_SUPPORT[cache_key]
        if not supported and not self._warned:
            self._warned = True
            log.warning(
                "%s: the server does not enforce conditional writes; falling back to check-then-write, "
                "which is not safe against two runs writing the same store at once",
                self.describe(),
            )
        return supported

    def _probe(self) -> bool:
        probe = self.prefix + PROBE_PREFIX + uuid.uuid4().hex
        try:
            # A first "conflict" is fine: a retried attempt of this very PUT may have landed.
            if self._probe_put(probe, b"1", IfNoneMatch="*") == "unsupported":
                return False
            if self._probe_put(probe, b"2", IfNoneMatch="*") != "conflict":
                return False  # the header was ignored (or refused)
            return self._probe_put(probe, b"3", IfMatch='"' + "0" * 32 + '"') == "conflict"
        finally:
            try:
                self.client.delete_object(Bucket=self.bucket, Key=probe)
            except (ClientError, BotoCoreError):
                pass

    def _probe_put(self, key: str, body: bytes, **condition) -> str:
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **condition)
            return "ok"
        except ClientError as exc:
            if _is_conflict(exc):
                return "conflict"
            # 501 NotImplemented is the documented answer; some servers say 400 instead.
            if _code(exc) in _UNSUPPORTED_CODES or _status(exc) in (400, 501):
                return "unsupported"
            raise self._error(exc, "probe conditional writes with", key) from None
        except BotoCoreError as exc:
            raise self._error(exc, "probe conditional writes with", key) from None

    def _ours(self, full: str, data: bytes, exc: ClientError) -> str | None:
        """After a lost conditional PUT that boto3 retried: the ETag if an earlier attempt of
        this very call wrote ``data`` (the first response was lost, the retry found our object)."""
        if not exc.response.get("ResponseMetadata", {}).get("RetryAttempts"):
            return None
        try:
            etag = self.client.head_object(Bucket=self.bucket, Key=full)["ETag"]
        except (ClientError, BotoCoreError):
            return None
        return etag if etag.strip('"') == hashlib.md5(data, usedforsecurity=False).hexdigest() else None

    # Error conversion -------------------------------------------------------------------------

    def _error(self, exc: BaseException, action: str, key: str) -> StoreError:
        if isinstance(exc, ClientError):
            if _code(exc) in _MISSING_CODES or _status(exc) == 404:
                return NotFound(key)
            return StoreError(f"{self.uri}: cannot {action} {key}: {_describe_error(exc)}")
        return StoreError(f"{self.describe()}: cannot {action} {key}: {_describe_error(exc)}")

    def _call(self, operation: str, full_key: str, **kwargs):
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, Key=full_key, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, operation.replace("_", " "), full_key) from None

    # ObjectStore ------------------------------------------------------------------------------

    def put(self, key: str, data: bytes, *, content_type: str | None = None, create_only: bool = False) -> bool:
        full = self._key(key)
        kind = content_type or guess_content_type(key)
        if not create_only:
            self._call("put_object", full, Body=data, ContentType=kind)
            return True
        if not self.conditional_writes:
            if self.exists(key):
                return False
            self._call("put_object", full, Body=data, ContentType=kind)
            return True
        for _ in range(3):
            try:
                self.client.put_object(Bucket=self.bucket, Key=full, Body=data, ContentType=kind, IfNoneMatch="*")
                return True
            except ClientError as exc:
                if _code(exc) == "ConditionalRequestConflict" or _status(exc) == 409:
                    continue  # a concurrent writer is mid-upload: ask again, then see who won
                if _is_conflict(exc):
                    return self._ours(full, data, exc) is not None
                raise self._error(exc, "write", full) from None
            except BotoCoreError as exc:
                raise self._error(exc, "write", full) from None
        return False if self.exists(key) else self.put(key, data, content_type=kind, create_only=True)

    def get(self, key: str) -> bytes:
        return self.get_versioned(key)[0]

    def get_view(self, key: str):
        """A state base from its local copy when that matches the store's ETag and size (no GET),
        else downloaded once into the cache (storage/base_cache.py) and mapped; else ``get``."""
        return self.bases.view(key, head=self._head, download=self._download, fallback=self.get)

    def drop_view(self, key: str) -> bool:
        return self.bases.drop(key)

    def _head(self, key: str) -> tuple[str, int]:
        head = self._call("head_object", self._key(key))
        return head.get("ETag", ""), int(head.get("ContentLength", 0))

    def _download(self, key: str) -> tuple[str, int, Iterator[bytes]]:
        """(ETag, size, chunks) of a GET of ``key``, streamed; read errors as ``StoreError``."""
        full = self._key(key)
        response = self._call("get_object", full)

        def chunks() -> Iterator[bytes]:
            try:
                yield from response["Body"].iter_chunks(1 << 20)
            except (BotoCoreError, ValueError) as exc:
                raise self._error(exc, "read", full) from None

        return response.get("ETag", ""), int(response.get("ContentLength", 0)), chunks()

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        full = self._key(key)
        response = self._call("get_object", full)
        try:
            return response["Body"].read(), response["ETag"]
        except (BotoCoreError, OSError) as exc:
            raise self._error(exc, "read", full) from None

    def put_if_version(self, key: str, data: bytes, version: str | None, *, content_type: str | None = None) -> str:
        full = self._key(key)
        kind = content_type or guess_content_type(key)
        if not self.conditional_writes:
            return self._check_then_put(key, full, data, version, kind)
        condition = {"IfNoneMatch": "*"} if version is None else {"IfMatch": version}
        try:
            response = self.client.put_object(Bucket=self.bucket, Key=full, Body=data, ContentType=kind, **condition)
        except ClientError as exc:
            # If-Match on a key deleted meanwhile answers 404: the version is gone, a conflict too.
            if _is_conflict(exc) or (version is not None and (_code(exc) in _MISSING_CODES or _status(exc) == 404)):
                etag = self._ours(full, data, exc)
                if etag is not None:
                    return etag
                raise Conflict(f"{key} changed since it was read") from None
            raise self._error(exc, "write", full) from None
        except BotoCoreError as exc:
            raise self._error(exc, "write", full) from None
        return response["ETag"]

    def _check_then_put(self, key: str, full: str, data: bytes, version: str | None, kind: str) -> str:
        try:
            current = self._call("head_object", full)["ETag"]
        except NotFound:
            current = None
        if current != version:
            raise Conflict(f"{key} changed since it was read")
        return self._call("put_object", full, Body=data, ContentType=kind)["ETag"]

    def exists(self, key: str) -> bool:
        try:
            self._call("head_object", self._key(key))
            return True
        except NotFound:
            return False

    def list(self, prefix: str = "") -> Iterator[str]:
        for stat in self.list_stats(prefix):
            yield stat.key

    def list_stats(self, prefix: str = "") -> Iterator[ObjectStat]:
        """Keys under ``prefix`` with size and MD5 (lexical order, paginated)."""
        paginator = self.client.get_paginator("list_objects_v2")
        cut = len(self.prefix)
        bases: dict[str, tuple[str, int]] = {}  # what get_view needs to find a base's local copy
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", ()):
                    key = item["Key"][cut:]
                    if key.startswith(PROBE_PREFIX):
                        continue
                    etag = item.get("ETag", "").strip('"')
                    md5 = etag if len(etag) == 32 and "-" not in etag else None
                    if base_cache.cacheable(key):
                        bases[key] = (item.get("ETag", ""), int(item.get("Size", 0)))
                    yield ObjectStat(key, int(item.get("Size", 0)), md5)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "list", self.prefix + prefix) from None
        self.bases.listing_done(prefix, bases)  # a complete listing: the truth about the bases under it

    def delete(self, key: str) -> None:
        try:
            self._call("delete_object", self._key(key))
        except NotFound:
            pass

    def close(self) -> None:
        self.client.close()


S3_CONNECT_SECONDS = 10
S3_READ_SECONDS = 30  # per socket read, not per object: a large base still downloads
CHECK_READ_SECONDS = 10  # the opening HEAD and one-key listing are small


def make_client(settings, *, max_attempts: int = RETRIES["max_attempts"], read_timeout: float = S3_READ_SECONDS,
                session=None):
    """One S3 client for the process's settings (boto3 clients are thread-safe; sessions are not).
    ``session``: ``(boto3 session, block endpoint)`` from ``_session``, shared by a second client."""
    threads = int(getattr(settings, "upload_threads", 16) or 16)
    config = Config(
        retries={"mode": RETRIES["mode"], "max_attempts": max_attempts},
        # botocore waits 60 s per read by default, times 8 attempts: an endpoint that accepts
        # connections and never answers held a one-line `articles` for 9 minutes
        connect_timeout=S3_CONNECT_SECONDS, read_timeout=read_timeout,
        # One connection per upload thread, or urllib3 discards and reopens them.
        max_pool_connections=max(10, threads + 4),
        s3={"addressing_style": "path"} if getattr(settings, "s3_path_style", False) else None,
    )
    session, block_endpoint = session or _session(settings)
    # NEWSWATCH_S3_ENDPOINT, else the credentials block's endpoint, else None: boto3 then
    # reads AWS_ENDPOINT_URL itself (and defaults to AWS).
    endpoint = getattr(settings, "s3_endpoint", None) or block_endpoint or None
    region = getattr(settings, "s3_region", None) or None
    try:
        return session.client("s3", endpoint_url=endpoint, region_name=region, config=config)
    except (BotoCoreError, ValueError) as exc:
        raise StoreError(f"cannot configure the S3 client: {_describe_error(exc)}") from None


def _session(settings) -> tuple[boto3.session.Session, str | None]:
    """A session from the standard AWS chain, or from the Prefect AwsCredentials block named in settings."""
    block = getattr(settings, "aws_credentials_block", None)
    if not block:
        return boto3.session.Session(), None
    try:
        from prefect_aws import AwsCredentials  # only when a block is named: Prefect is heavy

        credentials = AwsCredentials.load(block, _sync=True)
        session = credentials.get_boto3_session()
    except Exception as exc:  # Prefect raises ValueError / ObjectNotFound / httpx errors
        raise StoreError(f"cannot load the AwsCredentials block {block!r}: {type(exc).__name__}") from None
    params = getattr(credentials, "aws_client_parameters", None)
    endpoint = getattr(params, "endpoint_url", None)
    return session, str(endpoint) if endpoint else None
