"""Credentials a user puts in an S3 endpoint URL or a store URI are never shown."""

import pytest

from config.settings import Settings
from extractors.errors import StoreError
from extractors.urls import without_credentials_in
from storage.s3 import S3Store


def test_an_endpoint_with_credentials_that_cannot_be_reached_is_named_without_them(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
    settings = Settings(s3_endpoint="http://AKIA:hunter2secret@127.0.0.1:1/")
    with pytest.raises(StoreError) as caught:
        S3Store.from_uri("s3://bkt/x", settings)
    assert "hunter2secret" not in str(caught.value) and "AKIA" not in str(caught.value)
    assert "127.0.0.1:1" in str(caught.value)


def test_a_store_uri_with_credentials_is_refused_without_echoing_them():
    with pytest.raises(StoreError) as caught:
        S3Store.from_uri("s3://user:hunter2@bucket/x", Settings())
    assert "hunter2" not in str(caught.value) and "holds no credentials" in str(caught.value)


def test_every_url_in_a_message_loses_its_user_and_password():
    message = 'Could not connect to "http://AKIA:s3cr%2Ft@host:9000/b" (via https://u:p@proxy/)'
    assert without_credentials_in(message) == 'Could not connect to "http://host:9000/b" (via https://proxy/)'
