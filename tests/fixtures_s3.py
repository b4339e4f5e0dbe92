"""A real S3-protocol server on loopback (moto's threaded server), and stores on it.

* ``s3_server`` (session): moto on 127.0.0.1 and a free port; dummy credentials, a region and
  ``AWS_ENDPOINT_URL`` are set in the environment for the session, so ``open_store("s3://…")``
  and any subprocess (``newswatch poll --store s3://…``) reach it with no other set-up.
* ``s3_bucket`` / ``s3_uri`` (function): a fresh bucket, and ``s3://<bucket>/<prefix>``.
* ``s3_store``: an ``S3Store`` opened on ``s3_uri``.
* ``fault_proxy``: a loopback proxy in front of moto that fails requests on purpose (FaultPlan).
* ``any_store``: parametrised, a ``LocalStore`` (tmp_path) and an ``S3Store``: a test that takes
  it runs on both backends.

Not ``mock_aws``: that patches botocore in-process and would hide the HTTP layer (retries,
headers, conditional writes) that this store depends on.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    # A developer's own profile or config must not leak into a test.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@dataclass(frozen=True)
class S3Server:
    host: str
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self, endpoint: str | None = None):
        import boto3

        return boto3.client("s3", endpoint_url=endpoint or self.endpoint, region_name="us-east-1")

    def create_bucket(self, name: str | None = None) -> str:
        name = name or f"nw-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def drop_bucket(self, name: str) -> None:
        client = self.client()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", ())]
            if keys:
                client.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
        client.delete_bucket(Bucket=name)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one INFO line per request otherwise

    saved = {name: os.environ.get(name) for name in [*DUMMY_ENV, "AWS_ENDPOINT_URL", "AWS_PROFILE", "NEWSWATCH_CACHE_DIR"]}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(DUMMY_ENV)
    # Local copies of the test buckets' state bases (storage/base_cache.py) stay out of the user's cache.
    private_cache = None if os.environ.get("NEWSWATCH_CACHE_DIR") else tempfile.mkdtemp(prefix="newswatch-test-cache-")
    if private_cache:
        os.environ["NEWSWATCH_CACHE_DIR"] = private_cache
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    info = S3Server(host, port)
    os.environ["AWS_ENDPOINT_URL"] = info.endpoint
    try:
        yield info
    finally:
        server.stop()
        if private_cache:
            shutil.rmtree(private_cache, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> Iterator[str]:
    name = s3_server.create_bucket()
    yield name
    s3_server.drop_bucket(name)


@pytest.fixture
def s3_uri(s3_bucket: str) -> str:
    """``s3://<fresh bucket>/<prefix>``: keys live under a prefix, as in most real set-ups."""
    return f"s3://{s3_bucket}/newswatch"


@pytest.fixture
def s3_store(s3_uri: str):
    from storage.s3 import S3Store

    store = S3Store.from_uri(s3_uri)
    yield store
    store.close()


@pytest.fixture(params=["local", "s3"])
def any_store(request, tmp_path):
    """The same test on a local directory and on S3."""
    if request.param == "local":
        from storage.local import LocalStore

        yield LocalStore(tmp_path / "store")
    else:
        yield request.getfixturevalue("s3_store")


# Records for store tests ------------------------------------------------------------------------

SAMPLE_RECORD = Path(__file__).resolve().parent / "data" / "store" / "article.json"


def sample_record(n: int = 0, first_seen: str = "2020-09-28T05:02:11+00:00", **changes):
    """A realistic ~4 KB article record (tests/data/store/article.json), made distinct by ``n``."""
    from extractors.records import ArticleRecord
    from storage import layout

    data = json.loads(SAMPLE_RECORD.read_text(encoding="utf-8"))
    url = data["url"].rstrip("/") + f"-{n}/"
    article_id = layout.url_key(url)
    data.update(id=article_id, url=url, canonical_url=url, first_seen=first_seen, raw_key=layout.raw_key(article_id, first_seen))
    data.update(changes)
    return ArticleRecord.from_dict(data)


# A misbehaving S3 in front of the real one -------------------------------------------------------

_ERRORS = {
    500: ("InternalError", "We encountered an internal error. Please try again."),
    501: ("NotImplemented", "A header you provided implies functionality that is not implemented"),
    503: ("SlowDown", "Please reduce your request rate."),
}


@dataclass
class FaultPlan:
    """What the proxy does to the requests it forwards (deterministic: counted, never random).

    ``every``: answer every Nth request with ``status`` (500 InternalError, 503 SlowDown), at most
    ``limit`` times; ``after_forwarding``: the server applies the request but the answer is lost
    and replaced by the error (the hard case for idempotency); ``strip_conditions``: drop
    If-Match / If-None-Match (a server that ignores them); ``refuse_conditions``: answer them 501.
    """

    every: int = 0
    status: int = 503
    limit: int = 1_000_000
    after_forwarding: bool = False
    strip_conditions: bool = False
    refuse_conditions: bool = False
    rate: float = 0.0  # besides ``every``: answer this share of requests with ``status``, at random (seeded)
    seed: int = 0


class FaultProxy:
    """A loopback HTTP proxy to moto that injects faults according to a ``FaultPlan``."""

    def __init__(self, upstream: str, plan: FaultPlan | None = None):
        from http.server import ThreadingHTTPServer
        from urllib.parse import urlparse

        self.plan = plan or FaultPlan()
        self.upstream = urlparse(upstream)
        self.requests = 0
        self.faults = 0
        self._random = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def decide(self, headers) -> int | None:
        """Count one request; the error status to answer it with, if any."""
        with self._lock:
            self.requests += 1
            plan = self.plan
            conditional = "If-None-Match" in headers or "If-Match" in headers
            if plan.refuse_conditions and conditional:
                return 501
            if plan.every and self.requests % plan.every == 0 and self.faults < plan.limit:
                self.faults += 1
                return plan.status
            if plan.rate and self.faults < plan.limit:
                if self._random is None or self._random[0] is not plan:
                    import random

                    self._random = (plan, random.Random(plan.seed))
                if self._random[1].random() < plan.rate:
                    self.faults += 1
                    return plan.status
        return None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_for(proxy: FaultProxy):
    import http.client
    from http.server import BaseHTTPRequestHandler

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # boto3 keeps connections alive

        def log_message(self, *args):  # quiet
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if not size:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _error(self, status: int) -> None:
            code, message = _ERRORS[status]
            body = b"" if self.command == "HEAD" else (
                f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                f"<Message>{message}</Message><RequestId>proxy</RequestId></Error>"
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self, body: bytes):
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "connection")}
            if proxy.plan.strip_conditions:
                headers = {k: v for k, v in headers.items() if k.lower() not in ("if-match", "if-none-match")}
            headers["Content-Length"] = str(len(body))
            conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=30)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                return response.status, response.getheaders(), response.read()
            finally:
                conn.close()

        def _handle(self) -> None:
            body = self._body()
            status = proxy.decide(self.headers)
            if status is not None and not proxy.plan.after_forwarding:
                return self._error(status)
            upstream_status, headers, data = self._forward(body)
            if status is not None:
                return self._error(status)  # applied upstream, but the answer is lost
            self.send_response(upstream_status)
            for name, value in headers:
                if name.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                    self.send_header(name, value)
            # A HEAD answer carries the object's length, not its own (empty) body's.
            length = dict((k.lower(), v) for k, v in headers).get("content-length", "0")
            self.send_header("Content-Length", length if self.command == "HEAD" else str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

    return Handler


@pytest.fixture
def fault_proxy(s3_server: S3Server) -> Iterator[FaultProxy]:
    """A ``FaultProxy`` in front of the session's moto server; set ``proxy.plan`` in the test."""
    proxy = FaultProxy(s3_server.endpoint)
    yield proxy
    proxy.close()
