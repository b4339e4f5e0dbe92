"""Shared test set-up: offline, quiet Prefect settings before anything imports Prefect.

Fixtures for each kind of real server live in their own plugin module (HTTP site,
S3 server, SMTP server, Prefect harness) and are registered here.
"""

import os
import tempfile
from pathlib import Path

_PREFECT_HOME = tempfile.mkdtemp(prefix="newswatch-prefect-")
for _name, _value in {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_HOME": _PREFECT_HOME,
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    # Fixture servers run on loopback, which the fetcher refuses by default.
    "NEWSWATCH_ALLOW_PRIVATE_HOSTS": "true",
    # Extraction in the test's own process; tests/test_workers.py runs the process pool itself.
    "NEWSWATCH_WORKERS": "1",
}.items():
    os.environ[_name] = _value
# A developer's own store or recipients must never leak into a test.
for _name in list(os.environ):
    if _name.startswith("NEWSWATCH_") and _name not in ("NEWSWATCH_ALLOW_PRIVATE_HOSTS", "NEWSWATCH_WORKERS"):
        del os.environ[_name]

import pytest  # noqa: E402

pytest_plugins = [
    "tests.fixtures_http",
    "tests.fixtures_s3",
    "tests.fixtures_smtp",
    "tests.fixtures_prefect",
]

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(autouse=True)
def _fresh_settings():
    """Each test sees the environment as it set it (settings are cached per process)."""
    from config.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
