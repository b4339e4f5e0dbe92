"""The five deployments, for ``newswatch serve`` (one process, no work pool).

They mirror ``deploy/prefect.yaml`` (the work-pool route): same names, schedules, time
zone and concurrency limit. Schedules carry their time zone explicitly: Prefect's plain
``cron=`` argument means UTC.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prefect import serve
from prefect.schedules import Cron

from config.settings import Settings, get_settings
from extractors.errors import ConfigError

POLL_CRON = "*/15 * * * *"  # every 15 minutes
DIGEST_CRON = "0 7 * * *"  # 07:00 in the configured time zone
MAINTENANCE_CRON = "40 * * * *"  # hourly, between polls: keeps a month to a base and an hour of segments
DEFAULT_TIMEZONE = "UTC"  # what an unset or empty NEWSWATCH_TIMEZONE means, here and in prefect.yaml


def schedule_timezone(settings: Settings) -> str:
    """The IANA zone the crons run in; a typo fails here, not silently at 07:00 UTC."""
    tz = (settings.timezone or "").strip() or DEFAULT_TIMEZONE
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"NEWSWATCH_TIMEZONE={tz!r} is not an IANA time zone (e.g. Asia/Tbilisi)") from exc
    return tz


def build_deployments(settings: Settings | None = None) -> list:
    from flows.digest_flow import daily_digest
    from flows.maintenance_flows import import_seeds_flow, maintenance_flow, reprocess_flow
    from flows.poll_flow import poll_feeds

    settings = settings or get_settings()
    tz = schedule_timezone(settings)
    return [
        poll_feeds.to_deployment(
            name="poll-feeds", schedules=[Cron(POLL_CRON, timezone=tz)], concurrency_limit=1,
            description="Poll every configured feed; store new Caucasus articles.", tags=["newswatch"],
        ),
        daily_digest.to_deployment(
            name="daily-digest", schedules=[Cron(DIGEST_CRON, timezone=tz)], concurrency_limit=1,
            description="Send yesterday's digest (once per day).", tags=["newswatch"],
        ),
        import_seeds_flow.to_deployment(
            name="import-seeds", concurrency_limit=1, description="Import the seed corpus.", tags=["newswatch"],
        ),
        reprocess_flow.to_deployment(
            name="reprocess", concurrency_limit=1, description="Re-extract stored raw pages.", tags=["newswatch"],
        ),
        maintenance_flow.to_deployment(
            name="maintenance", schedules=[Cron(MAINTENANCE_CRON, timezone=tz)], concurrency_limit=1,
            description="Compact the state segments of each month into one base object.", tags=["newswatch"],
        ),
    ]


def pool_bound(deployments: list) -> list[str]:
    """The deployments that ``prefect deploy`` registered for a work pool under the same names.

    Both routes name their deployments alike (``poll-feeds/poll-feeds`` ...), and a deployment is
    one object on the server: whichever route registers last wins — serve re-registers at each
    start and drops the pool, so the pool's worker stops getting runs. Serving over a pool-bound
    deployment is therefore refused unless asked for (``newswatch serve --take-over``).
    """
    from prefect import get_client
    from prefect.exceptions import ObjectNotFound

    taken = []
    with get_client(sync_client=True) as client:
        for deployment in deployments:
            try:
                existing = client.read_deployment_by_name(f"{deployment.flow_name}/{deployment.name}")
            except ObjectNotFound:
                continue
            if existing.work_pool_name:
                taken.append(f"{deployment.flow_name}/{deployment.name} (work pool {existing.work_pool_name})")
    return taken


def serve_all(settings: Settings | None = None, take_over: bool = False) -> None:
    """Serve every deployment with its schedule until interrupted.

    ``pause_on_shutdown=False``: stopping the process (a restart, an upgrade) must not
    leave the schedules paused on the server (Prefect's default would pause them).
    Without a configured ``PREFECT_API_URL`` the deployments are served against a local Prefect
    server started for the purpose: Prefect's temporary server has no scheduler (flows/local_server.py).
    """
    from flows.local_server import serving_api

    deployments = build_deployments(settings)  # a bad time zone fails before a server is started
    with serving_api():
        taken = [] if take_over else pool_bound(deployments)
        if taken:
            raise ConfigError(f"{', '.join(taken)} already run on a work pool (prefect deploy); serving them here "
                              "would take them over: stop that route first, or pass --take-over")
        serve(*deployments, pause_on_shutdown=False)
