"""The four deployments, for ``newswatch serve`` (one process, no work pool).

They mirror ``deploy/prefect.yaml`` (the work-pool route): same names, schedules, time
zone and concurrency limit. Schedules carry their time zone explicitly: Prefect's plain
``cron=`` argument means UTC.
"""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from config.settings import Settings, get_settings

POLL_CRON = "*/15 * * * *"  # every 15 minutes
DIGEST_CRON = "0 7 * * *"  # 07:00 in the configured time zone


def build_deployments(settings: Settings | None = None) -> list:
    from flows.digest_flow import daily_digest
    from flows.maintenance_flows import import_seeds_flow, reprocess_flow
    from flows.poll_flow import poll_feeds

    settings = settings or get_settings()
    tz = settings.timezone
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
    ]


def serve_all(settings: Settings | None = None) -> None:
    """Serve every deployment with its schedule until interrupted (schedules stay active after)."""
    serve(*build_deployments(settings), pause_on_shutdown=False)
