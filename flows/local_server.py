"""A real local Prefect server for ``newswatch serve`` when no Prefect API is configured.

Without ``PREFECT_API_URL``, Prefect talks to a temporary in-process ("ephemeral") server, and
that server runs none of Prefect's loop services: the scheduler never creates a run, so a served
deployment with a schedule never runs (observed: 12 minutes, neither the :40 maintenance nor a
15-minute poll). ``prefect server start`` runs the scheduler, so serve starts one on a free
loopback port, points this process at it, and stops it on the way out.

The server is Prefect's own command, run through ``flows.orphan_guard`` as the temporary server
is (flows/process_guard.py): even if ``newswatch serve`` is killed with ``kill -9``, the server
notices its parent is gone and stops, so nothing is left listening. It runs in a session of its
own, so Ctrl-C at the terminal reaches serve alone and the server is still there while serve
shuts down; serve then stops it (SIGTERM, a grace period, SIGKILL).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from extractors.errors import ConfigError

HOST = "127.0.0.1"  # loopback only: the server has no authentication
START_TIMEOUT_SECONDS = 90.0  # a first start runs the database migrations: ~14 s here, more on a busy host
STOP_GRACE_SECONDS = 10.0  # uvicorn's clean shutdown takes ~0.2 s; more means it hangs
HEALTH_POLL_SECONDS = 0.25
LOG_NAME = "newswatch-serve-server.log"  # under PREFECT_HOME, next to the database it serves
PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # the directory that holds flows/


def configured_api_url() -> str | None:
    """The Prefect API this process would use (environment or active profile), if any."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def free_port(host: str = HOST) -> int:
    """A port nothing listens on now (the kernel's pick; the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def server_command(port: int) -> list[str]:
    # ``python -m prefect`` is Prefect's own entry point (prefect/__main__.py), so the server runs
    # on this interpreter whether or not a ``prefect`` script sits next to it.
    return [sys.executable, "-m", "flows.orphan_guard", str(os.getpid()),
            "prefect", "server", "start", "--host", HOST, "--port", str(port)]


def server_environment() -> dict[str, str]:
    from prefect.settings import PREFECT_HOME

    from flows import process_guard

    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)  # a server that is its own client would not start
    # The child runs from another directory (below): a relative PREFECT_HOME must mean the same one.
    env["PREFECT_HOME"] = str(Path(PREFECT_HOME.value()).expanduser().resolve())
    if "PREFECT_SERVER_LOGGING_LEVEL" in process_guard.defaults_applied:
        # CRITICAL keeps a one-shot command's terminal clean; this server writes to a log file, and a
        # start that fails is explained there at ERROR (a migration, a locked database).
        env["PREFECT_SERVER_LOGGING_LEVEL"] = "WARNING"
    return env


def healthy(base_url: str, timeout: float = 2.0) -> bool:
    # No proxies: a user's HTTP_PROXY must not swallow a loopback request.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{base_url}/api/health", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):  # refused while it starts, reset, timed out
        return False


EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception): ")


def cause(log_path: Path) -> str:
    """The log's last exception line (``sqlalchemy.exc.OperationalError: unable to open database
    file``), else its last line: uvicorn ends a failed start with words that name no cause."""
    try:
        lines = [line.strip() for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    errors = [line for line in lines if EXCEPTION_LINE.match(line)]
    return (errors or lines or [""])[-1][:200]


def wait_until_healthy(process: subprocess.Popen, base_url: str, log_path: Path, timeout: float) -> None:
    """Return once the server answers its health check; raise ConfigError (one line) if it never will."""
    deadline = time.monotonic() + timeout
    while not healthy(base_url):
        if process.poll() is not None:
            detail = cause(log_path)
            raise ConfigError(f"the local Prefect server (prefect server start) exited with code {process.returncode} "
                              f"before answering{': ' + detail if detail else ''} (log: {log_path})")
        if time.monotonic() > deadline:
            raise ConfigError(f"the local Prefect server did not answer {base_url}/api/health within {timeout:.0f} s "
                              f"(log: {log_path}); or start one yourself and set PREFECT_API_URL")
        time.sleep(HEALTH_POLL_SECONDS)


def stop_server(process: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM (uvicorn's clean shutdown), then SIGKILL if it has not ended within ``grace``."""
    if process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    except KeyboardInterrupt:  # a second Ctrl-C while it stops: do not wait, but do not leave it either
        process.kill()
        process.wait()
        raise


@contextmanager
def local_prefect_server(timeout: float = START_TIMEOUT_SECONDS) -> Iterator[str]:
    """Start ``prefect server start`` on a free loopback port; inside, this process's Prefect API is
    that server. Yields the server's base URL (the UI; the API is ``<url>/api``). The server is
    stopped when the block ends, however it ends."""
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings

    port = free_port()
    base_url = f"http://{HOST}:{port}"
    home = Path(PREFECT_HOME.value()).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / LOG_NAME
    with log_path.open("wb") as log:
        # cwd: ``python -m`` puts the working directory first on the path, and a stray timeit.py or
        # http.py there would shadow the standard library in the server (seen with a timeit.py in /tmp).
        process = subprocess.Popen(server_command(port), cwd=PACKAGE_ROOT,
                                   env=server_environment(), stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_healthy(process, base_url, log_path, timeout)
        # The settings context is what Prefect's clients read, and the runner exports the current
        # settings to each flow run's process: both reach this server.
        with temporary_settings(updates={PREFECT_API_URL: f"{base_url}/api"}):
            yield base_url
    finally:
        stop_server(process)


@contextmanager
def serving_api() -> Iterator[str | None]:
    """The Prefect API ``newswatch serve`` registers with and polls: the configured one, untouched,
    or else a local server started for the duration (yields its URL, None for a configured API)."""
    from prefect.settings import PREFECT_HOME

    if configured_api_url():
        yield None
        return
    started = time.monotonic()
    with local_prefect_server() as base_url:
        print(f"newswatch serve: no PREFECT_API_URL, so a local Prefect server with its scheduler was started "
              f"in {time.monotonic() - started:.0f} s: runs are scheduled there, UI at {base_url}; it stops with serve "
              f"(log: {Path(PREFECT_HOME.value()).expanduser() / LOG_NAME})", file=sys.stderr)
        yield base_url
