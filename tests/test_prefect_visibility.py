"""What a user sees in Prefect: failed feeds as Failed task runs, our warnings in the run's logs, a
poll artifact that starts with the per-feed table, and flow parameters described in the run form."""

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def feeds_with_failures(site, tmp_path):
    """The fixture site's three feeds, a feed that is gone (404) and a page that is not a feed."""
    path = tmp_path / "feeds.yaml"
    path.write_text(
        "feeds:\n"
        f"  - {{id: news, name: Regional News, url: '{site.base}/news/feed.xml', country: am}}\n"
        f"  - {{id: wire, name: Regional News Wire, url: '{site.base}/wire/atom.xml', country: intl}}\n"
        f"  - {{id: gone, name: Gone Outlet, url: '{site.base}/no-such-feed.xml', country: ge}}\n"
        f"  - {{id: notfeed, name: Not A Feed, url: '{site.base}/news/a1.html', country: az}}\n",
        encoding="utf-8")
    return path


def _flush_logs():
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)


def test_failed_feeds_are_failed_task_runs_and_our_warnings_reach_the_run_logs(prefect_harness, feeds_with_failures,
                                                                               tmp_path, monkeypatch):
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, LogFilter, LogFilterFlowRunId

    from flows.poll_flow import poll_feeds, poll_summary
    from tests.fixtures_prefect import settled_task_runs

    monkeypatch.setenv("NEWSWATCH_TASK_RETRY_DELAYS", "[0, 0, 0]")
    state = poll_feeds(store=str(tmp_path / "store"), feeds_file=str(feeds_with_failures), return_state=True)
    summary = poll_summary(state)
    flow_run_id = state.state_details.flow_run_id
    _flush_logs()
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        task_runs = settled_task_runs(client, flow_run_id)
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
        artifacts = {a.key: a for a in client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))}

    states = {t.name: t.state for t in task_runs}
    assert states["poll-gone"].type.value == "FAILED" and "404" in states["poll-gone"].message
    assert states["poll-notfeed"].type.value == "FAILED"
    assert states["poll-news"].type.value == "COMPLETED" and states["poll-wire"].type.value == "COMPLETED"
    assert run.state.type.value == "COMPLETED"
    assert run.state.message.startswith("2 of 4 feeds failed: gone (feed gone (404)); notfeed (")
    assert {f["feed_id"]: f["outcome"] for f in summary["feeds"]} == {
        "news": "ok", "wire": "ok", "gone": "failed", "notfeed": "failed"}

    ours = [log for log in logs if log.name.startswith("newswatch.")]
    assert any("gone.html" in log.message and log.level >= 30 for log in ours), [log.message for log in logs]

    markdown = artifacts["poll-summary"].data
    assert markdown.index("| feed | outcome") < markdown.index("**feeds polled**")  # the table first
    assert "| Gone Outlet | failed |" in markdown and "feed gone (404)" in markdown
    assert "**recovered**" not in markdown and "**refreshed**" not in markdown  # zero counters left out
    table = str(artifacts["poll-new-articles"].data)
    for column in ("outlet", "language", "score", "cluster"):
        assert f"'{column}'" in table or f'"{column}"' in table
    assert "Regional News" in table

    # The "feeds failing" automation's trigger covers the events this run emitted for its failed feeds.
    from prefect.events.filters import EventFilter, EventNameFilter
    from prefect.server.events.schemas.automations import EventTrigger
    from prefect.server.events.schemas.events import ReceivedEvent

    from deploy.automations import HERE, load

    import time

    from prefect.events.worker import EventsWorker

    trigger = EventTrigger.model_validate(load(HERE / "automations.yaml", None)[0]["trigger"])
    EventsWorker.drain_all(timeout=10)
    covered: set[str] = set()
    deadline = time.monotonic() + 30  # the server persists events in batches
    while not {"poll-gone", "poll-notfeed"} <= covered and time.monotonic() < deadline:
        with get_client(sync_client=True) as client:
            events = client.read_events(EventFilter(event=EventNameFilter(prefix=["prefect.task-run."])), limit=50).events
        covered = {e.resource["prefect.resource.name"] for e in events
                   if trigger.covers(ReceivedEvent.model_validate(e.model_dump()))}
        time.sleep(0.5)
    assert {"poll-gone", "poll-notfeed"} <= covered and "poll-news" not in covered


def test_the_automations_file_creates_each_automation_once(prefect_harness):
    from prefect import get_client
    from prefect.blocks.notifications import SlackWebhook

    from deploy.automations import HERE, apply, block_id, load

    SlackWebhook(url="http://127.0.0.1:9/hook").save("newsdesk", overwrite=True)
    notify = block_id("slack-webhook/newsdesk")
    first = apply(load(HERE / "automations.yaml", notify))
    second = apply(load(HERE / "automations.yaml", notify))  # rerun: replaced, not doubled
    assert [name for name, _ in first] == ["newswatch feeds failing", "newswatch digest failed",
                                           "newswatch digest not sent"]
    with get_client(sync_client=True) as client:
        for name, automation_id in second:
            [stored] = client.read_automations_by_name(name)
            assert str(stored.id) == automation_id
            assert str(stored.actions[0].block_document_id) == notify


def test_every_flow_parameter_is_described_in_the_registered_deployments(prefect_harness):
    from prefect import get_client

    from config.settings import Settings
    from flows.deployments import build_deployments

    schemas = {}
    with get_client(sync_client=True) as client:
        for deployment in build_deployments(Settings()):
            deployment_id = deployment.apply()  # what the server stores and the run form shows
            schemas[deployment.name] = client.read_deployment(deployment_id).parameter_openapi_schema
    assert {"poll-feeds", "daily-digest", "import-seeds", "reprocess"} <= set(schemas)
    for name, schema in schemas.items():
        assert schema["properties"] or name == "maintenance", name
        for parameter, spec in schema["properties"].items():
            assert spec.get("description"), f"{name}: parameter {parameter} has no description"
    described = schemas["poll-feeds"]["properties"]
    assert "YYYY-MM-DD" in described["since"]["description"]
    assert "feed ids" in described["feeds"]["description"]


def test_serve_refuses_to_take_over_deployments_bound_to_a_work_pool(prefect_harness):
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    from config.settings import Settings
    from extractors.errors import ConfigError
    from flows.deployments import build_deployments, pool_bound, serve_all

    deployments = build_deployments(Settings())
    with get_client(sync_client=True) as client:
        for deployment in deployments:  # as a previous `newswatch serve` left them: no pool
            deployment.apply()
        assert pool_bound(deployments) == []
        client.create_work_pool(WorkPoolCreate(name="newswatch-process", type="process"), overwrite=True)
    poll = next(d for d in deployments if d.name == "poll-feeds")
    poll.apply(work_pool_name="newswatch-process")  # as `prefect deploy --prefect-file deploy/prefect.yaml` does
    assert pool_bound(deployments) == ["poll-feeds/poll-feeds (work pool newswatch-process)"]
    with pytest.raises(ConfigError, match="poll-feeds/poll-feeds .* pass --take-over"):
        serve_all(Settings())


def test_our_own_errors_reach_the_run_logs_in_one_line_and_a_bug_keeps_its_traceback():
    import logging
    import sys

    from flows.mailer import MailError
    from flows.run_logs import _QuietFeedFailure

    def record_of(exc):
        try:
            raise exc
        except Exception:
            return logging.LogRecord("prefect.flow_runs", logging.ERROR, __file__, 1, "failed: %r", (exc,), sys.exc_info())

    quiet = _QuietFeedFailure()
    smtp = record_of(MailError("smtp://localhost:1 (tls=none): connection refused"))
    assert quiet.filter(smtp) and smtp.exc_info is None and "connection refused" in smtp.getMessage()
    bug = record_of(KeyError("digest_to"))
    assert quiet.filter(bug) and bug.exc_info is not None
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)  # what -v sets: progress and decisions, still no engine frames
    try:
        feed = record_of(MailError("smtp://localhost:1 (tls=none): connection refused"))
        assert quiet.filter(feed) and feed.exc_info is None
    finally:
        root.setLevel(level)
