"""``newswatch digest``: send (or preview) the daily digest.

A real send goes through the ``daily-digest`` Prefect flow, so a command run and a
deployment run are the same code, with the same retries and the same artifact.
``--dry-run`` calls ``run_digest`` directly, without Prefect: a preview sends nothing,
claims nothing and has nothing to retry, and skipping the flow engine makes it answer in
a fraction of a second instead of 10+ seconds (a temporary Prefect server per process).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from extractors.errors import ConfigError
from flows.cli_options import parse_day


def register(subparsers) -> None:
    from flows.cli import env, env_flag, format_option, store_option

    p = subparsers.add_parser(
        "digest", help="send the daily digest of a day (once; default: yesterday in NEWSWATCH_TIMEZONE)",
        description="Send the digest of the stories first seen on one local day. A day is sent once: "
        "a rerun reports 'already sent' unless --resend.",
    )
    p.add_argument("--date", default=env("date"), help="the local day YYYY-MM-DD (default: yesterday)")
    store_option(p)
    p.add_argument("--to", nargs="+", action="extend", metavar="ADDR", default=None,
                   help="recipients (repeatable; default NEWSWATCH_DIGEST_TO)")
    p.add_argument("--dry-run", action="store_true", default=env_flag("dry_run"),
                   help="build the digest without sending or claiming the day (no Prefect)")
    p.add_argument("--out", default=env("out"), metavar="DIR",
                   help="with --dry-run: write digest-<day>.html, .txt and .eml here (else print the text)")
    p.add_argument("--resend", action="store_true", default=env_flag("resend"),
                   help="send again even though the day was already sent")
    format_option(p)
    p.set_defaults(handler=cmd_digest)


def cmd_digest(args: argparse.Namespace) -> int:
    if args.out and not args.dry_run:
        raise ConfigError("--out only goes with --dry-run")
    if args.dry_run:
        return _preview(args)
    # Refuse bad settings, --date or a missing store before Prefect's start-up is paid.
    from config.settings import settings_with
    from storage import open_store

    settings = settings_with(store=args.store)
    _not_ahead(parse_day(args.date, "--date"), settings)
    _check_recipients(args.to, settings)
    open_store(settings.store, must_exist=True).close()
    from flows.poll import preflight_store

    preflight_store(settings)  # a sent digest is archived in the store: a read-only one fails now, in one line
    from flows.digest_flow import daily_digest  # Prefect is imported only for real sends

    result = daily_digest(date=args.date, to=args.to, resend=args.resend, store=args.store)
    _report(result, args.format, quiet=getattr(args, "quiet", False))
    return 1 if result.refused else 0


def _not_ahead(day, settings) -> None:
    """A digest of a day still to come would be "nothing new", and a real send would claim the day."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    today = datetime.now(timezone.utc).astimezone(ZoneInfo(settings.timezone)).date()
    if day is not None and day > today:
        raise ConfigError(f"--date {day.isoformat()} is after today ({today.isoformat()} in {settings.timezone}): "
                          "no digest of it yet")


def _check_recipients(given: list[str] | None, settings) -> None:
    """--to or NEWSWATCH_DIGEST_TO, each a mailbox: refused here, before Prefect starts (~10 s)."""
    from config.settings import mail_addresses

    try:
        recipients = mail_addresses(list(given or [])) or settings.digest_to
    except ValueError as exc:
        raise ConfigError(f"--to: {exc}") from None
    if not recipients:
        raise ConfigError("no digest recipients: set NEWSWATCH_DIGEST_TO or pass --to")


def _preview(args: argparse.Namespace) -> int:
    from config.settings import settings_with
    from flows.digest import run_digest

    settings = settings_with(store=args.store)
    day = parse_day(args.date, "--date")
    _not_ahead(day, settings)
    if args.to:
        from config.settings import mail_addresses

        try:
            mail_addresses(args.to)
        except ValueError as exc:
            raise ConfigError(f"--to: {exc}") from None
    if args.out:
        result = run_digest(settings.store, day, to=args.to, dry_run=True, out_dir=Path(args.out), settings=settings)
        _report(result, args.format, quiet=getattr(args, "quiet", False))
        return 0
    with tempfile.TemporaryDirectory(prefix="newswatch-digest-") as tmp:
        result = run_digest(settings.store, day, to=args.to, dry_run=True, out_dir=Path(tmp), settings=settings)
        text = Path(tmp, f"digest-{result.day}.txt").read_text(encoding="utf-8")
    result.keys = []  # the temporary files are gone
    if args.format == "json":
        _report(result, "json")
    else:
        print(f"Subject: {result.subject}\n\n{text}", end="")
    return 0


def _report(result, fmt: str, quiet: bool = False) -> None:
    from flows.digest import result_json

    if fmt == "json":
        print(result_json(result))
        return
    line = f"digest {result.day}: {result.status}, {result.stories} {'story' if result.stories == 1 else 'stories'}"
    if result.recipients and result.status in ("sent", "already-sent"):
        line += f" to {', '.join(result.recipients)}"
    if result.message_id and result.status == "sent":
        line += f" {result.message_id}"
    print(line)
    for key in result.keys:
        print(f"  {key}", file=sys.stderr)
    if result.refused:
        print(f"refused by the server: {', '.join(result.refused)}", file=sys.stderr)
    if result.note and not quiet:  # a note, not an error: -q leaves only errors
        print(f"note: {result.note}", file=sys.stderr)
