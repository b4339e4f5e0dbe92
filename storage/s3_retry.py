"""A bounded back-off per S3 object, on top of botocore's own retries.

botocore's ``standard`` mode retries 5xx and throttling, but from a *retry quota* shared by the
client: each retry costs 5 tokens of 500 and a success gives 1 back. Under a sustained error
rate (30 % of requests answered 500/503 in issue 13) the quota drains within a few hundred
requests, after which botocore stops retrying at all and a single 5xx failed a whole feed's batch.

``RetryingClient`` wraps the boto3 client: each object operation (put, get, head, delete, and each
page of a listing) is tried up to ``OBJECT_ATTEMPTS`` times with exponential back-off and full
jitter (``BASE_DELAY`` doubling, at most ``MAX_DELAY``), only for failures that say nothing about
the request itself (5xx, throttling, dropped or refused connections, time-outs). A 404, a 412 of
a conditional write or a 403 is answered at once. Retrying a write whose answer was lost is
safe: the store's create-only and compare-and-swap paths already recognise their own object.
"""

from __future__ import annotations

import logging
import random
import time

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

log = logging.getLogger(__name__)

OBJECT_ATTEMPTS = 8  # at a 30 % error rate, 8 failures in a row happen once in 15,000 operations
BASE_DELAY = 0.05
MAX_DELAY = 2.0  # worst case about 5 s of waiting per object
_RETRIED_OPERATIONS = {"put_object", "get_object", "head_object", "delete_object", "list_objects_v2", "copy_object"}
_PASSING_CODES = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError",
                  "ServiceUnavailable", "RequestLimitExceeded", "TooManyRequests"}
_CONNECTION_ERRORS = (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, ConnectTimeoutError)


def is_passing(exc: BaseException) -> bool:
    """A failure worth another try: the server or the network, not the request."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        unsupported = str(error.get("Code")) in ("501", "NotImplemented")  # an answer, not a hiccup
        return error.get("Code") in _PASSING_CODES or (int(status) >= 500 and not unsupported)
    return isinstance(exc, _CONNECTION_ERRORS) or (isinstance(exc, BotoCoreError) and "retries exceeded" in str(exc).lower())


def back_off(attempt: int) -> float:
    return random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2 ** attempt))


def with_retries(call, what: str, attempts: int = OBJECT_ATTEMPTS, sleep=time.sleep):
    for attempt in range(attempts):
        try:
            return call()
        except (ClientError, BotoCoreError) as exc:
            if attempt == attempts - 1 or not is_passing(exc):
                raise
            delay = back_off(attempt)
            log.info("S3 %s failed (%s); try %d of %d in %.2f s", what, exc, attempt + 2, attempts, delay)
            sleep(delay)
    raise AssertionError("unreachable")


class RetryingClient:
    """The boto3 client with a bounded back-off around each object operation."""

    def __init__(self, client, attempts: int = OBJECT_ATTEMPTS):
        self._client = client
        self._attempts = attempts

    def __getattr__(self, name: str):
        attribute = getattr(self._client, name)
        if name not in _RETRIED_OPERATIONS:
            return attribute

        def call(**kwargs):
            return with_retries(lambda: attribute(**kwargs), f"{name} {kwargs.get('Key', kwargs.get('Prefix', ''))}",
                                self._attempts)

        return call

    def get_paginator(self, name: str):
        if name != "list_objects_v2":
            return self._client.get_paginator(name)
        return _ResumingListing(self._client, self._attempts)


class _ResumingListing:
    """``list_objects_v2`` pages; a failed page is asked again from after the last key already yielded."""

    def __init__(self, client, attempts: int):
        self._client, self._attempts = client, attempts

    def paginate(self, **kwargs):
        last_key, failures = None, 0
        while True:
            request = dict(kwargs, StartAfter=last_key) if last_key else dict(kwargs)
            try:
                for page in self._client.get_paginator("list_objects_v2").paginate(**request):
                    failures = 0
                    contents = page.get("Contents", ())
                    yield page
                    if contents:
                        last_key = contents[-1]["Key"]
                return
            except (ClientError, BotoCoreError) as exc:
                failures += 1
                if failures >= self._attempts or not is_passing(exc):
                    raise
                time.sleep(back_off(failures - 1))
