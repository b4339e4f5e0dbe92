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
    from flows.poll_flow import poll_feeds

    monkeypatch.setenv("NEWSWATCH_RESPECT_ROBOTS", "false")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{id: dead, name: Dead, url: '{refused_url()}'}}\n")
    result = poll_feeds(store=str(tmp_path / "store"), feeds_file=str(feeds))
    dead = result["feeds"][0]
    assert dead["outcome"] == "failed" and dead["error"].startswith("connect")
    assert load_feed_state(LocalStore(tmp_path / "store"), "dead").consecutive_failures == 1
    # Two more polls: the third failure in a row starts the back-off (by polls, not attempts).
    poll_feeds(store=str(tmp_path / "store"), feeds_file=str(feeds))
    poll_feeds(store=str(tmp_path / "store"), feeds_file=str(feeds))
    state = load_feed_state(LocalStore(tmp_path / "store"), "dead")
    assert state.consecutive_failures == 3 and state.next_poll
    fourth = poll_feeds(store=str(tmp_path / "store"), feeds_file=str(feeds))
    assert fourth["feeds"][0]["outcome"] == "backing-off"
