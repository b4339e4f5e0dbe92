"""The poll-feeds and import-seeds flows under Prefect's own test harness."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from storage.articles import ArticleStore
from storage.local import LocalStore

pytestmark = pytest.mark.slow


@pytest.fixture
def no_retry_wait(monkeypatch):
    monkeypatch.setenv("NEWSWATCH_TASK_RETRY_DELAYS", "[0, 0, 0]")


def test_poll_flow_stores_once_then_gets_304s(prefect_harness, no_retry_wait, site, site_feeds, tmp_path):
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    from flows.poll_flow import poll_feeds, poll_summary, run_poll_flow

    state = poll_feeds(store=str(tmp_path), feeds_file=str(site_feeds), return_state=True)
    first = poll_summary(state)
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    by_key = {a.key: a for a in artifacts}
    assert "stored" in by_key["poll-summary"].data and by_key["poll-summary"].type == "markdown"
    assert by_key["poll-new-articles"].type == "table" and "a1.html" in str(by_key["poll-new-articles"].data)
    second = run_poll_flow(store=str(tmp_path), feeds_file=str(site_feeds))
    assert first["totals"]["stored"] == 4 and first["totals"]["irrelevant"] == 1 and first["totals"]["page_failures"] == 1
    assert first["totals"]["feeds_malformed"] == 1
    assert second["totals"]["stored"] == 0
    assert second["totals"]["feeds_not_modified"] == 3
    assert len(list(ArticleStore(LocalStore(tmp_path)).all_articles())) == 5  # the irrelevant one stored, flagged


class FlakyFeed(BaseHTTPRequestHandler):
    """Drops the first ``drops`` connections, then serves an empty but valid feed."""

    calls = 0
    drops = 1

    def log_message(self, *args):
        pass

    def do_GET(self):
        FlakyFeed.calls += 1
        if FlakyFeed.calls <= FlakyFeed.drops:
            self.connection.close()  # the client sees the connection dropped
            return
        body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_dropped_connection_is_retried_and_a_dead_feed_fails_with_its_reason(prefect_harness, no_retry_wait, tmp_path,
                                                                                 monkeypatch):
    from flows.poll_flow import run_poll_flow

    monkeypatch.setenv("NEWSWATCH_RESPECT_ROBOTS", "false")
    FlakyFeed.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyFeed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "feeds:\n"
        f"  - {{id: flaky, name: Flaky, url: 'http://127.0.0.1:{server.server_address[1]}/rss'}}\n"
        "  - {id: dead, name: Dead, url: 'http://no-such-host.invalid/rss'}\n")
    try:
        result = run_poll_flow(store=str(tmp_path / "store"), feeds_file=str(feeds))
    finally:
        server.shutdown()
        server.server_close()
    outcomes = {f["feed_id"]: f for f in result["feeds"]}
    assert outcomes["flaky"]["outcome"] == "ok" and FlakyFeed.calls == 2
    assert outcomes["dead"]["outcome"] == "failed" and outcomes["dead"]["error"].startswith("dns")


def test_import_seeds_flow_imports_five_records(prefect_harness, tmp_path):
    from flows.maintenance_flows import import_seeds_flow

    result = import_seeds_flow(store=str(tmp_path))
    assert result["imported"] + result["duplicates"] == 5
    assert import_seeds_flow(store=str(tmp_path))["unchanged"] == 5


def test_retries_within_one_run_do_not_put_the_feed_into_back_off(prefect_harness, no_retry_wait, tmp_path,
                                                                   monkeypatch):
    from flows.poll_flow import run_poll_flow

    monkeypatch.setenv("NEWSWATCH_RESPECT_ROBOTS", "false")
    FlakyFeed.calls, FlakyFeed.drops = 0, 3  # three failures: enough to start a back-off
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyFeed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - {{id: flaky, name: Flaky, url: 'http://127.0.0.1:{server.server_address[1]}/rss'}}\n")
    try:
        result = run_poll_flow(store=str(tmp_path / "store"), feeds_file=str(feeds))
    finally:
        server.shutdown()
        server.server_close()
        FlakyFeed.drops = 1
    assert result["feeds"][0]["outcome"] == "ok" and FlakyFeed.calls == 4
