"""A real S3-protocol server on loopback (moto's threaded server), and stores on it.

* ``s3_server`` (session): moto on 127.0.0.1 and a free port; dummy credentials, a region and
  ``AWS_ENDPOINT_URL`` are set in the environment for the session, so ``open_store("s3://…")``
  and any subprocess (``newswatch poll --store s3://…``) reach it with no other set-up.
* ``s3_bucket`` / ``s3_uri`` (function): a fresh bucket, and ``s3://<bucket>/<prefix>``.
* ``s3_store``: an ``S3Store`` opened on ``s3_uri``.
* ``any_store``: parametrised, a ``LocalStore`` (tmp_path) and an ``S3Store``: a test that takes
  it runs on both backends.

Not ``mock_aws``: that patches botocore in-process and would hide the HTTP layer (retries,
headers, conditional writes) that this store depends on.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

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
    from moto.server import ThreadedMotoServer

    saved = {name: os.environ.get(name) for name in [*DUMMY_ENV, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(DUMMY_ENV)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    info = S3Server(host, port)
    os.environ["AWS_ENDPOINT_URL"] = info.endpoint
    try:
        yield info
    finally:
        server.stop()
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
