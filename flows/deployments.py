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


def serve_all(settings: Settings | None = None) -> None:
    """Serve every deployment with its schedule until interrupted.

    ``pause_on_shutdown=False``: stopping the process (a restart, an upgrade) must not
    leave the schedules paused on the server (Prefect's default would pause them).
    """
    serve(*build_deployments(settings), pause_on_shutdown=False)
