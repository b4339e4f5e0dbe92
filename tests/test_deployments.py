"""Deployments: `newswatch serve` and deploy/prefect.yaml against a real Prefect server.

The session's test harness is the server. One `newswatch serve` subprocess (module
fixture) serves the five deployments; manual runs go through it with parameters, from
Python (`run_deployment`) and from the `prefect deployment run --param` command line.
The harness runs no scheduler, so schedules are checked as registered, not as fired.

Order matters in this module: the prefect.yaml tests create deployments with the same
names as `serve` and delete them again, so they come before the first served test.
"""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from config.settings import Settings, settings_with
from extractors.errors import ConfigError
from storage.articles import ArticleStore
from storage.local import LocalStore

REPO = Path(__file__).resolve().parents[1]
PREFECT_YAML = REPO / "deploy" / "prefect.yaml"
PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "newswatch-process"
SCHEDULED = {"poll-feeds/poll-feeds": "*/15 * * * *", "daily-digest/daily-digest": "0 7 * * *",
             "maintenance/maintenance": "40 * * * *"}
UNSCHEDULED = ["import-seeds/import-seeds", "reprocess/reprocess"]
ALL = [*SCHEDULED, *UNSCHEDULED]


# Helpers -------------------------------------------------------------------------------------


def client():
    from prefect import get_client

    return get_client(sync_client=True)


def child_env(**extra: str) -> dict[str, str]:
    """This process's (offline, quiet) environment, pointed at the harness server."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    env.update(extra)
    return env


def read_deployments(names=ALL) -> dict:
    from prefect.exceptions import ObjectNotFound

    found = {}
    with client() as c:
        for name in names:
            try:
                found[name] = c.read_deployment_by_name(name)
            except ObjectNotFound:
                pass
    return found


def concurrency_limit(deployment) -> int | None:
    # Prefect 3 keeps a deployment's limit as a global concurrency limit of its own.
    gcl = deployment.global_concurrency_limit
    return gcl.limit if gcl is not None else None


def crons(deployment) -> list[tuple[str, str | None, bool]]:
    return [(s.schedule.cron, s.schedule.timezone, s.active) for s in deployment.schedules]


def articles(store: Path) -> list:
    return [r for _k, r in ArticleStore(LocalStore(store)).all_articles() if r.source != "seed"]


def plain_poll(store: Path, feeds_file: Path, since: str):
    """The same poll without Prefect: what a deployment run must store."""
    from flows.pipeline import PollOptions, load_feeds
    from flows.poll import parse_since, run_poll

    settings = Settings(allow_private_hosts=True, task_retry_delays=[0, 0, 0])
    return run_poll(str(store), load_feeds(feeds_file), PollOptions(since=parse_since(since)), settings)


def prefect_cli(*args: str, timeout: float = 90, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([PREFECT, *args], cwd=REPO, env=child_env(**env), capture_output=True, text=True,
                          timeout=timeout)


# Without a server: serve's deployments and prefect.yaml say the same thing ---------------------


def test_empty_or_unset_time_zone_means_utc_and_a_typo_is_refused():
    from flows.deployments import schedule_timezone

    assert schedule_timezone(Settings(timezone="")) == "UTC"
    assert schedule_timezone(Settings()) == "UTC"
    assert schedule_timezone(Settings(timezone="Asia/Tbilisi")) == "Asia/Tbilisi"
    # A typo is refused by the settings object itself, before any schedule is built.
    with pytest.raises(ValueError, match="Asia/Tbilsi"):
        schedule_timezone(Settings(timezone="Asia/Tbilsi"))
    with pytest.raises(ConfigError, match="Asia/Tbilsi"):
        settings_with(timezone="Asia/Tbilsi")


def test_served_deployments_match_prefect_yaml():
    from flows.deployments import build_deployments

    spec = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    declared = {d["name"]: d for d in spec["deployments"]}
    served = {d.name: d for d in build_deployments(Settings(timezone="Asia/Tbilisi"))}
    assert set(served) == set(declared) == {"poll-feeds", "daily-digest", "import-seeds", "reprocess", "maintenance"}
    for name, deployment in served.items():
        entry = declared[name]
        assert deployment.entrypoint == entry["entrypoint"]  # the very flow serve deploys
        assert deployment.concurrency_limit == entry["concurrency_limit"] == 1
        assert [s.schedule.cron for s in deployment.schedules] == [s["cron"] for s in entry.get("schedules", [])]
        assert all(s.schedule.timezone == "Asia/Tbilisi" for s in deployment.schedules)


# prefect.yaml through `prefect deploy` ----------------------------------------------------------


@pytest.fixture(scope="module")
def process_pool(prefect_harness):
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with client() as c:
        try:
            c.create_work_pool(WorkPoolCreate(name=POOL, type="process"))
        except ObjectAlreadyExists:
            pass
    return POOL


def delete_deployments(names=ALL) -> None:
    with client() as c:
        for deployment in read_deployments(names).values():
            c.delete_deployment(deployment.id)


@pytest.mark.slow
def test_prefect_yaml_deploys_four_deployments_on_the_process_pool(process_pool):
    from flows.digest_flow import daily_digest
    from flows.maintenance_flows import import_seeds_flow, maintenance_flow, reprocess_flow
    from flows.poll_flow import poll_feeds

    delete_deployments()
    done = prefect_cli("--no-prompt", "deploy", "--all", "--prefect-file", str(PREFECT_YAML),
                       NEWSWATCH_TIMEZONE="Asia/Tbilisi", NEWSWATCH_HOME=str(REPO))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    try:
        found = read_deployments()
        assert sorted(found) == sorted(ALL)
        for name, cron in SCHEDULED.items():
            assert crons(found[name]) == [(cron, "Asia/Tbilisi", True)]
        for name in UNSCHEDULED:
            assert found[name].schedules == []
        functions = {"poll-feeds/poll-feeds": poll_feeds, "daily-digest/daily-digest": daily_digest,
                     "import-seeds/import-seeds": import_seeds_flow, "reprocess/reprocess": reprocess_flow,
                     "maintenance/maintenance": maintenance_flow}
        for name, deployment in found.items():
            assert deployment.work_pool_name == POOL
            assert concurrency_limit(deployment) == 1
            assert deployment.pull_steps == [
                {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]
            # no empty NEWSWATCH_* job variables that would override the worker's own settings
            assert not (deployment.job_variables or {}).get("env")
            properties = deployment.parameter_openapi_schema["properties"]
            assert set(properties) == set(inspect.signature(functions[name].fn).parameters)
        assert found["poll-feeds/poll-feeds"].parameter_openapi_schema["properties"]["feeds"]["anyOf"][0]["type"] == "array"
    finally:
        delete_deployments()


@pytest.mark.slow
def test_prefect_yaml_without_time_zone_or_home_gives_utc_and_the_current_directory(process_pool):
    # An unset {{ $VAR }} would become an empty time zone and a literal "{{ $VAR }}" path:
    # the yaml's build steps default them instead.
    delete_deployments(["daily-digest/daily-digest"])
    done = prefect_cli("--no-prompt", "deploy", "--name", "daily-digest", "--prefect-file", str(PREFECT_YAML),
                       NEWSWATCH_TIMEZONE="")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    try:
        digest = read_deployments(["daily-digest/daily-digest"])["daily-digest/daily-digest"]
        assert crons(digest) == [("0 7 * * *", "UTC", True)]
        assert digest.pull_steps == [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}]
    finally:
        delete_deployments(["daily-digest/daily-digest"])


# `newswatch serve` ------------------------------------------------------------------------------


@dataclass
class Served:
    process: subprocess.Popen
    store: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self, grace: float = 20) -> int:
        """Ctrl-C as a user would, then kill if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


def wait_for_deployments(served: Served, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            pytest.fail(f"newswatch serve exited with {served.process.returncode}:\n{served.output()}")
        found = read_deployments()
        if len(found) == len(ALL):
            return found
        time.sleep(0.5)
    pytest.fail(f"deployments not registered within {timeout} s: {sorted(read_deployments())}\n{served.output()}")


@pytest.fixture(scope="module")
def served(prefect_harness, tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    env = child_env(
        NEWSWATCH_TIMEZONE="Asia/Tbilisi",
        NEWSWATCH_STORE=str(root / "default-store"),
        NEWSWATCH_ALLOW_PRIVATE_HOSTS="true",  # the fixture site is on loopback
        NEWSWATCH_TASK_RETRY_DELAYS="[0,0,0]",
        PREFECT_RUNNER_POLL_FREQUENCY="1",  # default 10 s between looks for new runs
    )
    log = root / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve"], cwd=REPO, env=env,
                                   stdout=sink, stderr=subprocess.STDOUT)
    running = Served(process, root / "default-store", log)
    try:
        wait_for_deployments(running)
        yield running
    finally:
        running.stop()


@pytest.mark.slow
def test_serve_registers_schedules_in_the_configured_time_zone(served):
    found = read_deployments()
    for name, cron in SCHEDULED.items():
        assert crons(found[name]) == [(cron, "Asia/Tbilisi", True)]
    for name in UNSCHEDULED:
        assert found[name].schedules == []
    assert {name: concurrency_limit(d) for name, d in found.items()} == dict.fromkeys(ALL, 1)
    assert all(d.work_pool_name is None for d in found.values())  # served: no pool, no worker


@pytest.mark.slow
def test_manual_import_seeds_run_with_a_store_parameter(served, tmp_path):
    from prefect.deployments import run_deployment

    store = tmp_path / "store"
    run = run_deployment("import-seeds/import-seeds", parameters={"store": str(store)}, timeout=90, poll_interval=1)
    assert run.state.is_completed(), f"{run.state}\n{served.output()}"
    assert len(list((store / "seeds").glob("*.json"))) == 5
    assert not served.store.exists()  # the parameter, not the served process's NEWSWATCH_STORE, chose the store


@pytest.mark.slow
def test_manual_poll_run_stores_what_a_plain_poll_stores(served, site_feeds, tmp_path):
    from prefect.deployments import run_deployment

    store = tmp_path / "store"
    run = run_deployment("poll-feeds/poll-feeds", timeout=90, poll_interval=1,
                         parameters={"store": str(store), "feeds_file": str(site_feeds), "since": "2026-11-01"})
    assert run.state.is_completed(), f"{run.state}\n{served.output()}"
    stored = articles(store)
    plain_poll(tmp_path / "plain", site_feeds, "2026-11-01")
    expected = articles(tmp_path / "plain")
    assert stored, f"{run.state.message}\n{served.output()[-3000:]}"
    assert sorted(r.id for r in stored) == sorted(r.id for r in expected)
    assert max(Counter(r.id for r in stored).values()) == 1
    # the served run's extraction workers started (a module of flows/ once shadowed the standard library there)
    log = served.log.read_text(errors="replace")
    assert "cannot start" not in log and "workers stopped" not in log, log[-3000:]


@pytest.mark.slow
def test_cli_rerun_with_a_json_list_of_feeds_polls_only_those(served, site, site_feeds, tmp_path):
    store = tmp_path / "store"
    feeds = yaml.safe_load(site_feeds.read_text(encoding="utf-8"))["feeds"]
    chosen, left_out = feeds[:2], feeds[2:]
    assert chosen and left_out
    listed = ",".join(f'"{f["id"]}"' for f in chosen)
    # the README's form: an unquoted date falls back to a string, the list is JSON
    done = prefect_cli("deployment", "run", "poll-feeds/poll-feeds", "--param", "since=2026-11-01",
                       "--param", f"feeds=[{listed}]", "--param", f"feeds_file={site_feeds}",
                       "--param", f"store={store}", "--watch", "--watch-timeout", "90", timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:] + served.output()
    assert "Completed" in done.stdout
    stored = articles(store)
    assert stored and {r.source for r in stored} <= {f["id"] for f in chosen}
    for feed in left_out:  # never even requested
        assert site.statuses(urlsplit(feed["url"]).path) == []
    with client() as c:
        runs = c.read_flow_runs()
    mine = [r for r in runs if r.parameters.get("store") == str(store)]
    assert len(mine) == 1
    assert mine[0].parameters["feeds"] == [f["id"] for f in chosen] and mine[0].parameters["since"] == "2026-11-01"


@pytest.mark.slow
def test_stopping_serve_leaves_the_schedules_active(served):
    # Last in the module: it stops the shared serve process.
    assert served.stop() in (0, 130), served.output()
    found = read_deployments()
    assert sorted(found) == sorted(ALL)
    assert not any(d.paused for d in found.values())  # Prefect's default would pause them all
    assert all(active for d in found.values() for _c, _tz, active in crons(d))
