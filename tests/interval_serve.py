"""Run by tests/test_local_server.py in a fresh interpreter (``python -m tests.interval_serve``):
start a local Prefect server as ``newswatch serve`` does without PREFECT_API_URL, print its URL,
then serve one flow on a short interval schedule until interrupted.

The flow's runs exist only if the server's scheduler creates them, and complete only if the flow
run's own process (started by the runner) reaches the same server.
"""

from __future__ import annotations

from datetime import timedelta

from prefect import flow, serve

from flows.local_server import local_prefect_server

INTERVAL_SECONDS = 5


@flow(name="tick")
def tick() -> str:
    return "tick"


if __name__ == "__main__":
    with local_prefect_server() as base_url:
        print(base_url, flush=True)
        serve(tick.to_deployment(name="tick", interval=timedelta(seconds=INTERVAL_SECONDS)),
              print_starting_message=False)
