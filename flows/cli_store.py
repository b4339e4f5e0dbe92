"""``newswatch store check|copy|compact``: verify (and repair) a store; copy one store to another;
fold the write-once state segments into one base object per month.

Plain functions over ``storage.check`` and ``storage.copy``; no Prefect here, so the commands start fast and work
where no Prefect server is configured. The main CLI (flows/cli.py) calls ``register``; each
sub-command sets ``func`` (args → exit code) on its parser.

Exit codes: 0 consistent / copied, 1 problems found (or left after repair) / copy incomplete,
2 the store could not be opened or read.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import sys
from typing import Any

from extractors.errors import NewswatchError

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add ``store check``, ``store copy`` and ``store compact`` to an argparse sub-parsers object."""
    store = subparsers.add_parser("store", help="verify, repair, copy or compact a store")
    commands = store.add_subparsers(dest="store_command", metavar="check|copy|compact", required=True)

    check = commands.add_parser("check", help="verify that manifests, records, raw pages and state agree")
    check.add_argument("--store", default=None, help="path, file://… or s3://bucket[/prefix] (default: NEWSWATCH_STORE or ./data)")
    check.add_argument("--repair", action="store_true", help="rebuild what is missing from what is there (never edits manifests)")
    check.add_argument("--format", choices=("text", "json"), default="text", help="report as text or one JSON object")
    check.set_defaults(func=run_check)

    copy = commands.add_parser("copy", help="copy every object of one store to another (resumable, idempotent)")
    copy.add_argument("src", help="source store URI")
    copy.add_argument("dst", help="target store URI")
    copy.add_argument("--format", choices=("text", "json"), default="text", help="report as text or one JSON object")
    copy.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    copy.set_defaults(func=run_copy)

    compact = commands.add_parser("compact", help="merge the state segments of each month into one base object")
    compact.add_argument("--store", default=None, help="path, file://… or s3://bucket[/prefix] (default: NEWSWATCH_STORE or ./data)")
    compact.add_argument("--format", choices=("text", "json"), default="text", help="report as text or one JSON object")
    compact.set_defaults(func=run_compact)


def _settings():
    from config.settings import get_settings

    return get_settings()


def _rebuild_record(store):
    """The pipeline's raw page → record function bound to ``store``, when the pipeline is there.

    ``flows.rebuild.rebuild_record_from_raw`` takes ``(store, raw_key)``; ``check_store`` wants
    ``raw_key → record``. A one-argument function is taken as it is.
    """
    try:
        from flows.rebuild import rebuild_record_from_raw
    except ImportError:
        return None
    try:
        wants_store = len(inspect.signature(rebuild_record_from_raw).parameters) >= 2
    except (TypeError, ValueError):
        wants_store = True
    return functools.partial(rebuild_record_from_raw, store) if wants_store else rebuild_record_from_raw


def _error(message: str) -> int:
    print(f"newswatch store: {message}", file=sys.stderr)
    return EXIT_ERROR


def run_check(args: argparse.Namespace) -> int:
    from storage import open_store
    from storage.check import check_store, report_text

    settings = _settings()
    uri = settings.store if args.store is None else args.store  # an explicit "" is a mistake, not the default
    try:
        store = open_store(uri, settings, must_exist=True)
        report = check_store(store, repair=args.repair, rebuild_record=_rebuild_record(store) if args.repair else None)
    except NewswatchError as exc:
        return _error(str(exc))
    if args.format == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1, sort_keys=True))
    else:
        print(report_text(report))  # the report is the command's answer: stdout
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def run_copy(args: argparse.Namespace) -> int:
    from storage import local_path, open_store
    from storage.copy import copy_store

    settings = _settings()
    local_target = local_path(args.dst)
    made_here = local_target is not None and not local_target.exists()
    try:
        src = open_store(args.src, settings, must_exist=True)
        dst = open_store(args.dst, settings)
        report = copy_store(src, dst, progress=not args.no_progress and sys.stderr.isatty(), threads=settings.upload_threads)
    except NewswatchError as exc:
        if made_here and local_target.is_dir() and not any(local_target.iterdir()):
            local_target.rmdir()  # a refused copy leaves nothing behind (not an empty folder inside the source)
        return _error(str(exc))
    if args.format == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1, sort_keys=True))
    else:
        print(
            f"{report.source} → {report.target}: {report.objects} objects, {report.copied} copied, "
            f"{report.updated} updated, {report.skipped} already there, {report.bytes} bytes",
            file=sys.stderr,
        )
        for problem in report.problems:
            print(f"  {problem.kind}: {problem.key} — {problem.detail}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def run_compact(args: argparse.Namespace) -> int:
    from storage import open_store
    from storage.compact import compact_store

    settings = _settings()
    try:
        report = compact_store(open_store(settings.store if args.store is None else args.store, settings, must_exist=True))
    except NewswatchError as exc:
        return _error(str(exc))
    if args.format == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1, sort_keys=True))
    else:
        print(report.to_text(), file=sys.stderr)
    return EXIT_OK
