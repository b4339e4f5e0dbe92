"""The poll-feeds flow against a dead host, a full store and signals: nothing stalls, nothing is left running."""

from __future__ import annotations

import socket

import pytest

from storage.local import LocalStore
from storage.state import load_feed_state

pytestmark = pytest.mark.slow


def refused_url() -> str:
    """A loopback port nobody listens on: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/rss"


def test_a_refused_connection_is_one_failure_and_the_feed_waits_for_the_next_poll(prefect_harness, tmp_path, monkeypatch):
    from flows.poll_flow import run_poll_flow

    monkeypatch.setenv("NEWSWATCH_RESPECT_ROBOTS", "false")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{id: dead, name: Dead, url: '{refused_url()}'}}\n")
    result = run_poll_flow(store=str(tmp_path / "store"), feeds_file=str(feeds))
    dead = result["feeds"][0]
    assert dead["outcome"] == "failed" and dead["error"].startswith("connect")
    assert load_feed_state(LocalStore(tmp_path / "store"), "dead").consecutive_failures == 1
    # Two more polls: the third failure in a row starts the back-off (by polls, not attempts).
    run_poll_flow(store=str(tmp_path / "store"), feeds_file=str(feeds))
    run_poll_flow(store=str(tmp_path / "store"), feeds_file=str(feeds))
    state = load_feed_state(LocalStore(tmp_path / "store"), "dead")
    assert state.consecutive_failures == 3 and state.next_poll
    fourth = run_poll_flow(store=str(tmp_path / "store"), feeds_file=str(feeds))
    assert fourth["feeds"][0]["outcome"] == "backing-off"


def test_poll_exit_codes_say_whether_the_run_worked():
    from flows.pipeline import FeedResult
    from flows.poll import PollSummary

    def summary(*outcomes, error=""):
        return PollSummary(run_id="r", store="s", feeds=[FeedResult(feed_id=str(n), outcome=o, error=error)
                                                          for n, o in enumerate(outcomes)])

    assert summary("ok", "not-modified", "unchanged", "backing-off").exit_code == 0
    assert summary("ok", "failed").exit_code == 1
    assert summary("ok", "blocked").exit_code == 1
    assert summary("failed", "blocked").exit_code == 2  # every feed it tried failed
    assert summary("failed", "backing-off").exit_code == 2
    assert summary("backing-off").exit_code == 0  # nothing was tried
    assert summary("ok", "failed", error="store: cannot write raw/x: No space left on device").exit_code == 2


def test_a_store_that_fails_mid_run_makes_the_poll_exit_2(tmp_path, site, site_feeds):
    from config.settings import Settings
    from extractors.errors import StoreError
    from flows.pipeline import PollOptions, load_feeds
    from flows.poll import run_poll
    from tests.faults import FaultyStore

    class FullDisk(FaultyStore):
        def put(self, key, data, *, content_type=None, create_only=False):
            if key.startswith("raw/"):
                raise StoreError(f"cannot write {key}: [Errno 28] No space left on device")
            return super().put(key, data, content_type=content_type, create_only=create_only)

    summary = run_poll(FullDisk(LocalStore(tmp_path)), load_feeds(site_feeds), PollOptions(),
                       Settings(allow_private_hosts=True, upload_threads=1))
    assert summary.exit_code == 2
    assert any(f.error.startswith("store: ") for f in summary.feeds)


def _children_running(marker: str) -> list[int]:
    from pathlib import Path

    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if marker in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGTERM"])
def test_a_stopped_poll_leaves_no_prefect_server_running(tmp_path, signal_name):
    """Prefect's temporary server is a child process; it must not outlive a killed or terminated poll."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    if not Path("/proc").is_dir():
        pytest.skip("needs /proc to find the server process")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{id: dead, name: Dead, url: '{refused_url()}'}}\n")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PYTHONPATH=str(Path(__file__).resolve().parent.parent), NEWSWATCH_ALLOW_PRIVATE_HOSTS="true",
               PREFECT_HOME=str(tmp_path / "prefect-home"))
    poll = subprocess.Popen([sys.executable, "-m", "flows.cli", "poll", "--feeds", str(feeds), "--store", str(tmp_path / "s")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    marker = f"flows.orphan_guard {poll.pid} "
    deadline = time.monotonic() + 240
    while not _children_running(marker) and time.monotonic() < deadline and poll.poll() is None:
        time.sleep(0.2)
    servers = _children_running(marker)
    assert servers, "the poll never started its temporary server"
    os.kill(poll.pid, getattr(signal, signal_name))
    code = poll.wait(timeout=60)
    gone_by = time.monotonic() + 20
    while _children_running(marker) and time.monotonic() < gone_by:
        time.sleep(0.2)
    assert not _children_running(marker), f"server left running after {signal_name}"
    if signal_name == "SIGTERM":
        assert code == 143, poll.stderr.read().decode()[-1000:]


def test_a_poll_whose_completed_report_is_sent_twice_still_returns_its_summary(prefect_harness, tmp_path, monkeypatch):
    """The client re-sends a state report when the first answer was lost; the server rejects the copy.

    The rejection carries the stored state, without the run's data (results are not persisted), so
    calling the flow raised MissingResult after a run that did its work (seen once in CI, under load).
    """
    from prefect.client.orchestration.base import BaseClient
    from prefect.exceptions import MissingResult

    from flows.poll_flow import poll_feeds, run_poll_flow

    send = BaseClient.request

    def completed_report_sent_twice(self, method, path, params=None, path_params=None, **kwargs):
        response = send(self, method, path, params=params, path_params=path_params, **kwargs)
        state = (kwargs.get("json") or {}).get("state") or {}
        if path.endswith("/set_state") and state.get("type") == "COMPLETED" and "flow_runs" in path:
            response = send(self, method, path, params=params, path_params=path_params, **kwargs)  # same transition id
        return response

    monkeypatch.setattr(BaseClient, "request", completed_report_sent_twice)
    monkeypatch.setenv("NEWSWATCH_RESPECT_ROBOTS", "false")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{id: dead, name: Dead, url: '{refused_url()}'}}\n")
    with pytest.raises(MissingResult):  # what calling the flow itself does then (Prefect's behaviour)
        poll_feeds(store=str(tmp_path / "store"), feeds_file=str(feeds))
    result = run_poll_flow(store=str(tmp_path / "store"), feeds_file=str(feeds))
    assert result["feeds"][0]["feed_id"] == "dead" and result["feeds"][0]["outcome"] == "failed"


def test_ctrl_c_at_the_terminal_stops_a_poll_in_seconds_without_a_traceback(tmp_path):
    """Ctrl-C signals the terminal's whole foreground process group. Prefect's temporary server was in
    it: stopped first, it left the poll retrying its reports to a dead API for ~150 s (exit 2)."""
    import os
    import signal
    import socket as sockets
    import subprocess
    import sys
    import threading
    import time
    from pathlib import Path

    if not Path("/proc").is_dir():
        pytest.skip("needs /proc to find the server process")
    silent = sockets.socket()  # accepts connections and never answers: the poll is mid-fetch
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    held = []
    threading.Thread(target=lambda: [held.append(silent.accept()) for _ in range(16)], daemon=True).start()
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{id: slow, name: Slow, url: 'http://127.0.0.1:{silent.getsockname()[1]}/rss'}}\n")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PYTHONPATH=str(Path(__file__).resolve().parent.parent), NEWSWATCH_ALLOW_PRIVATE_HOSTS="true",
               NEWSWATCH_RESPECT_ROBOTS="false", NEWSWATCH_TIMEOUT_SECONDS="120",
               PREFECT_HOME=str(tmp_path / "prefect-home"))
    poll = subprocess.Popen([sys.executable, "-m", "flows.cli", "poll", "--feeds", str(feeds), "--store", str(tmp_path / "s")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    marker = f"flows.orphan_guard {poll.pid} "
    deadline = time.monotonic() + 240
    while not held and time.monotonic() < deadline and poll.poll() is None:
        time.sleep(0.2)  # the feed's request has reached the silent server: the flow is running
    assert held and _children_running(marker), "the poll never reached its feed"
    os.killpg(poll.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    started = time.monotonic()
    code = poll.wait(timeout=120)
    took = time.monotonic() - started
    stderr = poll.stderr.read().decode(errors="replace")
    silent.close()
    assert code == 130 and took < 30, (code, took, stderr[-1500:])
    assert "Traceback" not in stderr and "interrupted" in stderr.splitlines()[-1] or "interrupted" in stderr
    gone_by = time.monotonic() + 20
    while _children_running(marker) and time.monotonic() < gone_by:
        time.sleep(0.2)
    assert not _children_running(marker)
