"""The ``import-seeds`` and ``reprocess`` Prefect flows (on demand), and ``maintenance``
(scheduled: compacts the write-once state segments)."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from config.settings import settings_with
from flows.cli_options import parse_day
from flows.reprocess import reprocess
from flows.seeds import import_seeds
from flows.run_logs import send_newswatch_logs_to_runs


@flow(name="import-seeds")
def import_seeds_flow(directory: str | None = None, store: str | None = None) -> dict:
    """Import the bundled seed corpus (or ``directory``) into the store, cleaned.

    Args:
        directory: a folder of seed pages or text files; empty means the bundled seed corpus.
        store: where records are: a path, file://… or s3://bucket[/prefix]; empty means NEWSWATCH_STORE.
    """
    send_newswatch_logs_to_runs()
    settings = settings_with(store=store)
    summary = import_seeds(settings.store, directory, settings)
    get_run_logger().info("%s", summary.to_text())
    create_markdown_artifact(key="import-seeds-summary", markdown=f"```\n{summary.to_text()}\n```")
    return summary.to_dict()


@flow(name="reprocess")
def reprocess_flow(date: str | None = None, store: str | None = None) -> dict:
    """Re-extract stored raw pages (one day, or everything) with the current extractor.

    Args:
        date: only records first seen on this UTC day, YYYY-MM-DD; empty means every record.
        store: where records are: a path, file://… or s3://bucket[/prefix]; empty means NEWSWATCH_STORE.
    """
    send_newswatch_logs_to_runs()
    settings = settings_with(store=store)
    day = parse_day(date)
    summary = reprocess(settings.store, settings, day=day)
    get_run_logger().info("%s", summary.to_text())
    create_markdown_artifact(key="reprocess-summary", markdown=f"```\n{summary.to_text()}\n```")
    return summary.to_dict()


@flow(name="maintenance")
def maintenance_flow(store: str | None = None) -> dict:
    """Fold each month's state segments into one base object (safe beside a running poll).

    Args:
        store: where records are: a path, file://… or s3://bucket[/prefix]; empty means NEWSWATCH_STORE.
    """
    from storage import open_store
    from storage.compact import compact_store

    settings = settings_with(store=store)
    report = compact_store(open_store(settings.store, settings))
    get_run_logger().info("%s", report.to_text())
    create_markdown_artifact(key="maintenance-summary", markdown=f"```\n{report.to_text()}\n```")
    return report.to_dict()

