"""``newswatch feeds``: the feed list and each feed's health.

    newswatch feeds [--feeds FILE] [--store URI] [--format table|json]   health from the store
    newswatch feeds check [FILE]                   validate the list, no network (exit 2 on a problem)
    newswatch feeds export [--feeds FILE]          the list as OPML, on stdout
    newswatch feeds import OPML [--feeds FILE] [--write]   OPML subscriptions → feed-list entries
    newswatch feeds try URL [--limit N] [--no-pages]       fetch and judge one feed, store nothing

No Prefect here. The main CLI (flows/cli.py) calls ``register``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from extractors.errors import ConfigError

EXIT_OK, EXIT_PROBLEMS = 0, 2


def register(subparsers) -> None:
    from flows.cli import format_option, store_option

    feeds = subparsers.add_parser("feeds", help="feed health; check, import, export or try feeds",
                                  description="Without a sub-command: each feed's health from its state in the store.")
    feeds.add_argument("--feeds", default=None, help="feed list (default config/feeds.yaml; NEWSWATCH_FEEDS_FILE)")
    store_option(feeds)
    format_option(feeds, choices=("table", "json"), default="table")
    feeds.set_defaults(handler=cmd_status)
    commands = feeds.add_subparsers(dest="feeds_command", metavar="check|export|import|try")

    check = commands.add_parser("check", help="validate a feed list before any network (one line per problem)")
    check.add_argument("file", nargs="?", default=None, help="the list (default: the configured one)")
    check.set_defaults(handler=cmd_check)

    export = commands.add_parser("export", help="print the feed list as OPML")
    _feeds_option(export)
    export.set_defaults(handler=cmd_export)

    imp = commands.add_parser("import", help="turn an OPML subscription list into feed-list entries")
    imp.add_argument("opml", help="an .opml file (or - for standard input)")
    imp.add_argument("--write", action="store_true", help="append the new entries to the feed list (else print them)")
    _feeds_option(imp)
    imp.set_defaults(handler=cmd_import)

    trial = commands.add_parser("try", help="fetch and parse one feed and show what would be stored (stores nothing)")
    trial.add_argument("url", help="the feed's address (http or https)")
    trial.add_argument("--limit", type=entries_count, default=10, help="entries whose pages are fetched (default 10)")
    trial.add_argument("--no-pages", action="store_true", help="parse the feed only, fetch no page")
    trial.add_argument("--country", default=None, help="the outlet's country, as feeds.yaml would say")
    trial.add_argument("--language", default=None, help="the outlet's language, as feeds.yaml would say")
    format_option(trial, choices=("text", "json"), default="text")
    trial.set_defaults(handler=cmd_try)


def _feeds_option(parser) -> None:
    # SUPPRESS: given before the sub-command (``feeds --feeds F export``), it must not be reset to None.
    parser.add_argument("--feeds", default=argparse.SUPPRESS, help="feed list (default config/feeds.yaml; NEWSWATCH_FEEDS_FILE)")


def _feeds_file(args) -> Path:
    from config.settings import settings_with

    return Path(getattr(args, "file", None) or args.feeds or settings_with().feeds_file)


def _quiet(args) -> bool:
    return bool(getattr(args, "quiet", False))


def cmd_check(args: argparse.Namespace) -> int:
    from flows.feed_list import check_file

    path = _feeds_file(args)
    feeds, problems = check_file(path)
    for problem in problems:
        print(problem)
    if problems:
        print(f"newswatch feeds check: {len(problems)} problem(s) in {path}", file=sys.stderr)
        return EXIT_PROBLEMS
    if not _quiet(args):
        unverified = sum(feed.status == "unverified" for feed in feeds)
        print(f"{path}: {len(feeds)} feeds, no problems ({unverified} marked unverified)", file=sys.stderr)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from config.settings import settings_with
    from flows.feed_list import read_feeds
    from flows.feed_status import feed_statuses, status_table
    from storage import open_store

    feeds = read_feeds(_feeds_file(args))
    settings = settings_with(store=args.store)
    store = open_store(settings.store, settings, must_exist=True)  # reading: a mistyped path is an error, not a new store
    try:
        rows = feed_statuses(store, feeds, silent_after=settings.digest_silent_days)
    finally:
        store.close()
    if args.format == "json":
        json.dump([row.to_dict() for row in rows], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print(status_table(rows))
        if not _quiet(args):
            print(f"{len(rows)} feeds in {settings.store} (? = unverified in the list, + = polled into this store but not in the list; new/day over 7 days)", file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from flows.feed_list import read_feeds, to_opml

    from extractors.urls import credentials_of

    feeds = read_feeds(_feeds_file(args))
    sys.stdout.write(to_opml(feeds))
    private = sum(1 for feed in feeds if credentials_of(feed.url))
    if private and not _quiet(args):
        print(f"{private} private feed(s) exported without their user name and password: add them in the other reader",
              file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from flows.feed_list import check_file, entries_yaml, from_opml, read_feeds

    path = _feeds_file(args)
    try:
        data = sys.stdin.buffer.read() if args.opml == "-" else Path(args.opml).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {args.opml}: {exc.strerror or exc}") from exc
    existing = read_feeds(path) if path.is_file() else []
    entries, skipped = from_opml(data, existing)
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    text = entries_yaml(entries)
    if not args.write:
        sys.stdout.write(text)
    elif entries:
        original = path.read_text(encoding="utf-8") if path.is_file() else "feeds:\n"
        combined = original.rstrip("\n") + "\n  # imported from " + Path(args.opml).name + " (unverified until polled)\n" + text
        candidate = path.with_name(path.name + ".import-check")
        candidate.write_text(combined, encoding="utf-8")
        try:
            _feeds, problems = check_file(candidate)
        finally:
            candidate.unlink()
        if problems:
            for problem in problems:
                print(str(problem).replace(str(candidate), str(path)))
            print(f"newswatch feeds import: nothing written, the list would have {len(problems)} problem(s)", file=sys.stderr)
            return EXIT_PROBLEMS
        path.write_text(combined, encoding="utf-8")
    if not _quiet(args):
        where = f"appended to {path}" if args.write and entries else "printed"
        print(f"{len(entries)} new feed(s) {where}, {len(skipped)} skipped", file=sys.stderr)
    return EXIT_OK


def entries_count(text: str) -> int:
    """feeds try --limit: entries whose pages are fetched, 0 for none."""
    from flows.cli_corpus import count_of

    return count_of(text, "give how many entries to fetch (0: none)")


def cmd_try(args: argparse.Namespace) -> int:
    from config.settings import settings_with
    from flows.feed_try import report_text, try_feed

    report = try_feed(args.url, settings_with(), pages=not args.no_pages, limit=args.limit,
                      country=args.country, language=args.language)
    if args.format == "json":
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        # a feed that could not be tried is an error: on stderr, as every command's errors are
        print(report_text(report), file=sys.stderr if report.problem else sys.stdout)
    return EXIT_PROBLEMS if report.problem else EXIT_OK
