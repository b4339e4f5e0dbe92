"""``newswatch``: the command line (DESIGN.md's contract).

Commands that are flows (poll, import-seeds, digest, reprocess) run through Prefect;
the others (extract, articles, compare, store, demo's server) never import it, since
``import prefect`` alone costs about a second. ``--format json`` prints one JSON value on
stdout; messages and progress go to stderr. Every flag has a ``NEWSWATCH_<FLAG>`` twin.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from datetime import datetime, timezone

from extractors.errors import NewswatchError
from flows.cli_options import add_common_options, add_top_options, apply_env_twins, parse_day, unknown_env_names


def env(name: str, default=None):
    """The ``NEWSWATCH_*`` twin of a flag."""
    return os.environ.get("NEWSWATCH_" + name.upper().replace("-", "_"), default)


def env_flag(name: str) -> bool:
    return str(env(name, "")).lower() in ("1", "true", "yes", "on")


def emit(value, fmt: str, text: str) -> None:
    if fmt == "json":
        json.dump(value, sys.stdout, ensure_ascii=False, indent=1, default=str)
        sys.stdout.write("\n")
    else:
        print(text)


def store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", default=None, help="path, file://… or s3://bucket[/prefix] (default ./data; NEWSWATCH_STORE)")


def format_option(parser: argparse.ArgumentParser, choices=("text", "json"), default="text") -> None:
    parser.add_argument("--format", choices=choices, default=default,
                        help=f"output: {' or '.join(choices)} (default {default}; NEWSWATCH_FORMAT)")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2), like every other error."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def get_settings_for(args):
    from config.settings import settings_with

    return settings_with(store=getattr(args, "store", None))


# Commands -----------------------------------------------------------------------------------


def cmd_extract(args) -> int:
    from extractors.article import extract_document, make_record
    from extractors.errors import ExtractionError
    from extractors.urls import normalise_url
    from flows.process_guard import resume_collection
    from storage import layout

    from config.settings import get_settings
    from extractors.gazetteer import load_gazetteer

    gazetteer = load_gazetteer(get_settings().topics_file)  # NEWSWATCH_TOPICS_FILE, as a poll reads it
    status = 0
    results = []
    paths = args.paths or ["-"]
    # the address as a poll would keep it (trackers dropped): the same id the store would give
    page_url = (normalise_url(args.url) or args.url) if args.url else None
    for path in paths:
        try:
            data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
            extracted = extract_document(data, url=page_url)
            url = page_url or ("stdin" if path == "-" else os.path.abspath(path))
            article_id = layout.url_key(url)
            record = make_record(extracted, article_id=article_id, url=url, canonical_url=extracted.canonical_url or url,
                                 source="extract", first_seen=datetime.now(timezone.utc), gazetteer=gazetteer)
            results.append(record.to_dict())
        except (OSError, ExtractionError) as exc:
            print(f"newswatch extract: {path}: {exc}", file=sys.stderr)
            results.append({"path": path, "error": str(exc)})
            status = 1
        resume_collection()  # the first document loaded the tables; collect what later ones leave
    if args.format == "json":
        emit(results, "json", "")  # always a list: the same shape for one path or many
    else:
        for record in results:
            if "error" in record:
                continue
            caucasus = record["caucasus"]
            terms = ", ".join(sorted({t["entity"] for t in caucasus.get("terms", [])}))[:200]
            print(f"title:     {record['title']}\nauthor:    {record['author']}\n"
                  f"published: {record['published']} ({record.get('published_source')})\n"
                  f"language:  {record['language']} (confidence {record.get('language_confidence')}, {record.get('language_method')})\n"
                  f"caucasus:  relevant={caucasus['relevant']} score={caucasus['score']} {terms}\n\n{record['text']}\n")
    return status


def cmd_import_seeds(args) -> int:
    from pathlib import Path

    from flows.poll import preflight_store
    from flows.seeds import seed_files

    # Refuse bad settings, a missing directory or an unwritable store before Prefect's start-up is paid.
    if args.directory:
        seed_files(Path(args.directory))
    preflight_store(get_settings_for(args))
    from flows.maintenance_flows import import_seeds_flow

    result = import_seeds_flow(directory=args.directory, store=args.store)
    from flows.seeds import ImportSummary

    emit(result, args.format, ImportSummary(**result).to_text())
    return 0 if not result["skipped"] else 1


def cmd_poll(args) -> int:
    from flows.poll import preflight

    # Fail on bad settings, feed list, --feed, --since or an unwritable store before paying for Prefect's start-up.
    preflight(store=args.store, feeds_file=args.feeds, feed_ids=args.feed, since=args.since)
    if args.keep_irrelevant:
        print("newswatch poll: --keep-irrelevant is deprecated and has no effect: every fetched article is "
              "stored, irrelevant ones flagged (list them with `newswatch articles --irrelevant`)", file=sys.stderr)
    from flows.poll_flow import run_poll_flow

    result = run_poll_flow(feeds=args.feed, since=args.since, force=args.force, store=args.store,
                        feeds_file=args.feeds, keep_irrelevant=args.keep_irrelevant or None)
    from flows.poll import PollSummary
    from flows.pipeline import FeedResult

    summary = PollSummary(run_id=result["run_id"], store=result["store"], feeds=[FeedResult(**f) for f in result["feeds"]],
                          recovered=result["totals"]["recovered"])
    emit(result, args.format, summary.to_text())
    return summary.exit_code  # 0 all fine, 1 some feeds failed, 2 the run could not work (README)


def cmd_articles(args) -> int:
    from storage import open_store
    from storage.articles import ArticleStore

    settings = get_settings_for(args)
    articles = ArticleStore(open_store(settings.store, settings, must_exist=True))
    if args.all:
        items = list(articles.all_articles())
    elif args.since:
        from flows.corpus import manifest_lines, read_records
        from flows.corpus import Filter as _Filter

        items = list(read_records(articles, manifest_lines(articles, _Filter(since=parse_day(args.since, "--since")).days())))
    else:
        # Store days are UTC days (articles/<yyyy>/<mm>/<dd>/ by first_seen).
        day = parse_day(args.date, "--date") or datetime.now(timezone.utc).date()
        items = list(articles.articles_for_day(day))
    from flows.cli_corpus import filter_records  # --source, --language, --country, --min-score, --story; stable order

    # Relevant records by default; --irrelevant lists the others (stored, flagged), with the reason.
    records = [record.to_dict() for record in filter_records([r for _key, r in items], args, articles.store)
               if bool((record.caucasus or {}).get("relevant")) != args.irrelevant]
    if args.format == "json":
        emit(records, "json", "")
        return 0
    print(f"{'id':<12} {'first seen':<11} {'source':<16} {'lang':<4} {'rel':<5} {'dup':<3} title", file=sys.stdout)
    for r in records:
        reason = f"  — {r['caucasus'].get('reason', '')}" if args.irrelevant else ""
        print(f"{r['id'][:12]:<12} {r['first_seen'][:10]:<11} {r['source'][:16]:<16} {str(r['language'])[:4]:<4} "
              f"{r['caucasus'].get('score', 0):<5.2f} {'yes' if r['duplicate_of'] else '':<3} {_headline(r)}{reason}")
    if not args.quiet:
        print(f"{len(records)} record(s) in {settings.store}", file=sys.stderr)
    return 0


def _headline(record: dict, width: int = 90) -> str:
    """The title, or the opening words in brackets when a text has no headline."""
    if record["title"]:
        return record["title"][:width]
    words = record["text"][: width * 2].split()
    opening = ""
    for word in words:
        if len(opening) + len(word) + 1 > width - 4:
            break
        opening = f"{opening} {word}".strip()
    return f"[{opening} …]"


def cmd_reprocess(args) -> int:
    from storage import open_store

    # Refuse bad settings, --date or a missing store before Prefect's start-up is paid.
    parse_day(args.date, "--date")
    settings = get_settings_for(args)
    open_store(settings.store, settings, must_exist=True).close()
    from extractors.gazetteer import load_gazetteer

    load_gazetteer(settings.topics_file)  # a missing or damaged topics file: one line now, not a warning per record
    from flows.maintenance_flows import reprocess_flow
    from flows.reprocess import ReprocessSummary

    result = reprocess_flow(date=args.date, store=args.store)
    emit(result, args.format, ReprocessSummary(**result).to_text())
    return 0 if not result["failed"] else 1


def cmd_compare(args) -> int:
    from extractors.article import decode_text, extract_document
    from extractors.fingerprint import compare_texts

    from extractors.binary import binary_signature

    docs = []
    if args.a == "-" and args.b == "-":
        raise NewswatchError("compare: only one of the two can be standard input (-)")
    for path in (args.a, args.b):
        try:
            data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
        except OSError as exc:
            raise NewswatchError(f"compare: cannot read {path}: {exc.strerror or exc}") from None
        kind = binary_signature(data)
        if kind or not data.strip():  # what `extract` refuses is no text to compare either
            raise NewswatchError(f"compare: {path} is {'not text: ' + kind if kind else 'empty'}")
        try:
            extracted = extract_document(data)
            docs.append((extracted.text, extracted.title))
        except NewswatchError:
            docs.append((decode_text(data), ""))  # compare what is there, even a stub
    result = compare_texts(docs[0][0], docs[1][0], a_title=docs[0][1], b_title=docs[1][1])
    value = {"duplicate": result.duplicate, "similarity": round(result.similarity, 3), "same_story": result.same_story}
    emit(value, args.format, "  ".join(f"{k}: {v}" for k, v in value.items()))
    return 0


def cmd_demo(args) -> int:
    from flows.demo import run_demo

    return run_demo(store=args.demo_store, fmt=args.format)


def cmd_serve(args) -> int:
    from flows.deployments import serve_all

    serve_all(take_over=args.take_over)
    return 0


# Parser -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="newswatch", description="Caucasus news monitor: feeds → clean articles → store → digest",
                                     epilog="Every option has a NEWSWATCH_<OPTION> environment twin (NEWSWATCH_FORMAT=json, NEWSWATCH_FEED=a,b).")
    add_top_options(parser)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("extract", help="extract pages or text files to records (no store)")
    p.add_argument("paths", nargs="*", help="files, or - for standard input")
    p.add_argument("--url", default=None, help="the URL the page came from (resolves relative links)")
    format_option(p, default="json")
    p.set_defaults(handler=cmd_extract)

    p = sub.add_parser("import-seeds", help="import the seed corpus (or DIR) into the store")
    p.add_argument("directory", nargs="?", default=env("seeds_dir"), help="seed directory (default: the bundled corpus; NEWSWATCH_SEEDS_DIR)")
    store_option(p)
    format_option(p)
    p.set_defaults(handler=cmd_import_seeds)

    p = sub.add_parser("poll", help="poll the feeds once")
    p.add_argument("--feeds", default=None, help="feed list (default config/feeds.yaml; NEWSWATCH_FEEDS_FILE)")
    p.add_argument("--feed", action="append", default=None, help="poll only this feed id (repeatable; NEWSWATCH_FEED=a,b)")
    store_option(p)
    p.add_argument("--since", default=None, help="only entries published on or after this date (YYYY-MM-DD) or time")
    p.add_argument("--force", action="store_true", help="ignore validators, the seen-URL index and back-off; re-extract in place")
    p.add_argument("--keep-irrelevant", action="store_true",
                   help="deprecated, no effect: every fetched article is stored, irrelevant ones flagged")
    format_option(p)
    p.set_defaults(handler=cmd_poll)

    p = sub.add_parser("articles", help="list stored articles")
    store_option(p)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--date", default=None, help="first-seen day YYYY-MM-DD (UTC; default today)")
    group.add_argument("--all", action="store_true", help="every stored record (lists the whole store)")
    group.add_argument("--since", default=None, help="first seen on or after this UTC day YYYY-MM-DD")
    p.add_argument("--irrelevant", action="store_true",
                   help="list the articles judged not about the region (stored, flagged), with the reason")
    from flows.cli_corpus import add_filter_options

    add_filter_options(p, since=False)
    format_option(p, choices=("table", "json"), default="table")
    p.set_defaults(handler=cmd_articles)

    p = sub.add_parser("reprocess", help="re-extract stored raw pages with the current extractor")
    store_option(p)
    p.add_argument("--date", default=None, help="only records first seen on this UTC day YYYY-MM-DD (default: all)")
    format_option(p)
    p.set_defaults(handler=cmd_reprocess)

    p = sub.add_parser("compare", help="are two pages or texts duplicates / the same story?")
    p.add_argument("a", help="a page or text file (- for standard input)")
    p.add_argument("b", help="another page or text file")
    format_option(p)
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("demo", help="offline end to end on a bundled sample site")
    # its own destination, so NEWSWATCH_STORE is no twin: the sample site's made-up articles must
    # never reach a real store by way of the environment (records are write-once)
    p.add_argument("--store", dest="demo_store", default=None,
                   help="where to put the demo's records (default: a new temporary directory; NEWSWATCH_STORE is not used)")
    format_option(p)
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("serve", help="serve all deployments with their schedules")
    p.add_argument("--take-over", action="store_true",
                   help="serve even deployments that `prefect deploy` bound to a work pool (the last route registered wins)")
    p.set_defaults(handler=cmd_serve)

    for module in ("flows.cli_digest", "flows.cli_store", "flows.cli_corpus", "flows.cli_feeds"):
        __import__(module, fromlist=["register"]).register(sub)
    add_common_options(parser)
    apply_env_twins(parser)
    return parser


# Commands that take long enough to deserve a progress bar and a closing line on stderr.
LONG_COMMANDS = {"poll", "import-seeds", "reprocess", "demo", "store", "export", "search"}
# Commands whose first document loads what the process keeps: the collector resumes after it.
ONE_SHOT_COMMANDS = {"extract", "compare"}


def main(argv: list[str] | None = None) -> int:
    """``newswatch`` with ``argv`` (the process's own arguments when None: run as the program)."""
    from flows import process_guard

    if argv is not None:
        return run(argv)
    process_guard.defer_collection()  # the process ends when this returns: start-up and exit skip the collector
    try:
        return run(argv, program=True)
    finally:
        process_guard.freeze_for_exit()


def run(argv: list[str] | None, program: bool = False) -> int:
    from flows.process_guard import (EXIT_TERMINATED, Terminated, guard_prefect_server, install_signal_handlers,
                                     quiet_after_closed_pipe, quiet_offline_prefect, reader_gone, resume_collection)

    install_signal_handlers()  # SIGTERM unwinds like Ctrl-C: leases released, Prefect's server stopped
    quiet_offline_prefect()
    started = time.monotonic()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except NewswatchError as exc:  # a bad NEWSWATCH_* twin
        print(f"newswatch: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        for warning in unknown_env_names(parser):
            print(f"newswatch: {warning}", file=sys.stderr)
    level = logging.ERROR if args.quiet else logging.INFO if args.verbose else logging.WARNING
    if args.quiet:  # Prefect configures its loggers from the environment when a flow command imports it
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    long_command = args.command in LONG_COMMANDS
    if program:  # its regular expressions come compiled from the command's earlier runs
        from flows import regex_cache

        regex_cache.install(args.command)
    if args.command not in ONE_SHOT_COMMANDS:
        resume_collection()  # start-up is over for a command that may run long
    else:  # numpy's OpenBLAS starts a thread per core at import, for algebra these commands never do
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from flows import progress

    progress.enable(long_command and progress.wanted(args.quiet))
    guard_prefect_server()  # Prefect's temporary server dies with this process, even after kill -9 (no import cost)
    try:
        handler = getattr(args, "handler", None) or getattr(args, "func")
        status = handler(args) or 0
    except NewswatchError as exc:
        print(f"newswatch: {exc}", file=sys.stderr)  # an error stays one line: no closing line after it
        return 2
    except Terminated:
        print(f"newswatch {args.command}: stopped by a signal; the next run finishes what this one started", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print(f"newswatch {args.command}: interrupted; the next run finishes what this one started", file=sys.stderr)
        return 130
    except BrokenPipeError:
        if not reader_gone():
            raise  # a socket's broken pipe: the handler below's business
        return quiet_after_closed_pipe()
    except Exception as exc:  # a bug or an unforeseen input: one line, the traceback only with -v
        if args.verbose:
            raise
        print(f"newswatch {args.command}: unexpected {type(exc).__name__}: {exc} (rerun with -v for the traceback)",
              file=sys.stderr)
        return 2
    if long_command and not args.quiet and status != 2:  # exit 2 is an error: its one line stands alone
        # The closing line: how long it took and how it ended, after whatever the command printed.
        outcome = "ok" if status == 0 else f"exit {status}"
        print(f"newswatch {args.command}: {outcome} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
