"""Prefect's own test harness, started once per session and only by tests that ask for it."""

import pytest


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        # The heartbeat thread costs ~1 s per flow run to join; tests do not need it.
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


def settled_task_runs(client, flow_run_id, timeout: float = 30.0) -> list:
    """The flow run's task runs once every one has reached a final state. Prefect 3 records a task
    run's states through its events pipeline, after the task returned: read at once, a finished
    task can still show RUNNING (seen once in CI)."""
    import time

    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    deadline = time.monotonic() + timeout
    while True:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
        if all(run.state is not None and run.state.is_final() for run in runs) or time.monotonic() > deadline:
            return runs
        time.sleep(0.2)
