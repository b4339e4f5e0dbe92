"""`newswatch serve` without PREFECT_API_URL: a real local Prefect server, whose scheduler creates runs.

Prefect's temporary server runs no scheduler, so serve used to register its schedules and never
get a run. These tests start the local server for real (``prefect server start``), with
PREFECT_API_URL unset even if the session's test harness is active, in the session's PREFECT_HOME
(conftest.py): only the first start pays for the database migrations.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from extractors.errors import ConfigError
from flows.local_server import configured_api_url, healthy, local_prefect_server

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def server_pids(port: int) -> list[int]:
    """Processes whose command line serves ``--port <port>`` (the server and nothing else would)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # ended while we looked
            continue
        if b"server" in args and b"--port" in args and str(port).encode() in args:
            found.append(int(entry.name))
    return found


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@contextmanager
def no_api_url():
    """PREFECT_API_URL unset here, whatever an earlier test's harness set for the session."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        yield


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_") and k != "PREFECT_API_URL"}
    env.update(extra)
    return env


@contextmanager
def client_of(base_url: str):
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: f"{base_url}/api"}):
        with get_client(sync_client=True) as client:
            yield client


def runs_of(client, deployment_name: str) -> list:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    deployment = client.read_deployment_by_name(deployment_name)
    return client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))


def wait_for(check, timeout: float, what: str, output=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except Exception:  # not there yet (no deployment, the API still starting)
            found = None
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"{what} within {timeout:.0f} s\n{output()}")


def stop(process: subprocess.Popen) -> int:
    """Ctrl-C as a user would; kill if it hangs (and fail then: the server would be left to the guard)."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("did not stop within 30 s of Ctrl-C")


def test_the_local_server_answers_is_the_api_inside_and_is_gone_after():
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    with no_api_url():
        assert configured_api_url() is None
        started = time.monotonic()
        with local_prefect_server() as base_url:
            print(f"local server answered after {time.monotonic() - started:.1f} s")
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
            assert healthy(base_url)
            assert PREFECT_API_URL.value() == f"{base_url}/api"
            assert PREFECT_UI_URL.value() == base_url  # serve's own message links to it
            from prefect import get_client

            with get_client(sync_client=True) as client:  # a client made inside talks to it
                assert str(client.api_url).rstrip("/") == f"{base_url}/api"
                assert client.api_healthcheck() is None  # None: healthy
            port = port_of(base_url)
            assert server_pids(port)
        assert not server_pids(port)  # stopped with the block, not left behind
        assert not healthy(base_url)
        assert PREFECT_API_URL.value() is None  # and the setting is back


def test_a_server_that_does_not_answer_in_time_is_one_error_and_is_stopped():
    with no_api_url():
        with pytest.raises(ConfigError, match=r"did not answer .*/api/health within 0 s") as raised:
            with local_prefect_server(timeout=0.2):
                pytest.fail("should not get here")
    port = int(re.search(r"127\.0\.0\.1:(\d+)", str(raised.value)).group(1))
    assert not server_pids(port)


def test_serve_without_an_api_url_gets_its_scheduled_runs_created(tmp_path):
    """The defect itself, through the command: the poll every 15 minutes has runs scheduled."""
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve"], cwd=REPO, stdout=sink,
                                   stderr=subprocess.STDOUT, env=child_env(NEWSWATCH_STORE=str(tmp_path / "store")))

    def output() -> str:
        return log.read_text(errors="replace")[-3000:]

    try:
        line = wait_for(lambda: re.search(r"started in \d+ s: runs are scheduled there, UI at (http://127\.0\.0\.1:\d+)",
                                          output()), 90, "no local server announced", output)
        base_url = line.group(1)
        with client_of(base_url) as client:
            runs = wait_for(lambda: runs_of(client, "poll-feeds/poll-feeds"), 30, "no poll run scheduled", output)
        assert all(run.auto_scheduled and run.state.is_scheduled() for run in runs)
        assert all(run.expected_start_time.minute % 15 == 0 for run in runs)
    finally:
        code = stop(process)
    assert code in (0, 130), output()
    assert not server_pids(port_of(base_url)), output()
    assert not healthy(base_url)


def test_a_short_interval_deployment_served_against_it_runs(tmp_path):
    """Scheduled by the server, picked up by the runner, run in its own process that reaches the server too."""
    log = tmp_path / "interval.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "tests.interval_serve"], cwd=REPO, stdout=sink,
                                   stderr=subprocess.STDOUT, env=child_env(PREFECT_RUNNER_POLL_FREQUENCY="1"))

    def output() -> str:
        return log.read_text(errors="replace")[-3000:]

    try:
        base_url = wait_for(lambda: re.search(r"^http://127\.0\.0\.1:\d+$", output(), re.M), 90,
                            "no local server started", output).group(0)
        with client_of(base_url) as client:
            done = wait_for(lambda: [r for r in runs_of(client, "tick/tick") if r.state.is_completed()], 60,
                            "no scheduled tick run completed", output)
        assert done[0].auto_scheduled
    finally:
        code = stop(process)
    assert code in (0, 130), output()
    assert not server_pids(port_of(base_url))
