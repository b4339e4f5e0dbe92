"""``newswatch stories | show | search | export`` and the filters of ``articles``.

Read-only commands over the store (flows/corpus.py); no Prefect is imported, so they answer at
once and work where no Prefect server is configured. ``--format json`` prints one JSON value on
stdout (``export`` writes its file and reports on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import PurePosixPath

from extractors.errors import ConfigError


def count_of(text: str, what_zero_means: str) -> int:
    """A count option's value: a whole number, 0 or more (the message says what 0 means)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value}: {what_zero_means}")
    # SQLite and Parquet take 64-bit counts: a bigger one would end in OverflowError, and means "all"
    return min(value, MAX_COUNT)


MAX_COUNT = 2**62


def limit_count(text: str) -> int:
    """--limit: a count of lines, 0 for all of them (as in every command that has it)."""
    return count_of(text, "give 0 for all, or how many")


def finite_number(text: str) -> float:
    """A number that compares: "nan" would let every record through every comparison."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def register(subparsers) -> None:
    from flows.cli import format_option, store_option

    p = subparsers.add_parser("stories", help="one line per story cluster: headline, outlets, languages, size")
    store_option(p)
    when = p.add_mutually_exclusive_group()
    when.add_argument("--date", default=None, help="stories first seen on this UTC day YYYY-MM-DD (default: today)")
    when.add_argument("--since", default=None, help="stories first seen on or after this UTC day YYYY-MM-DD")
    p.add_argument("--country", default=None, help="am, az, ge, nc (North Caucasus) or intl: the outlet's country "
                   "or a country the story is about")
    p.add_argument("--limit", type=limit_count, default=50, help="at most this many stories (default 50; 0: all)")
    format_option(p)
    p.set_defaults(handler=cmd_stories)

    p = subparsers.add_parser("show", help="one article (by id or a unique prefix) with the other records of its story")
    p.add_argument("id", help="the article id (as `articles` and `stories` print it), or its first 6+ characters")
    store_option(p)
    format_option(p)
    p.set_defaults(handler=cmd_show)

    p = subparsers.add_parser("search", help="full-text search over titles and texts (a local SQLite FTS5 index)")
    p.add_argument("query", help='words (all must occur), "a phrase", prefix*, OR, NOT (FTS5 syntax)')
    store_option(p)
    p.add_argument("--since", default=None, help="only records first seen on or after this UTC day YYYY-MM-DD")
    p.add_argument("--lang", action="append", default=None, help="only this language code (repeatable; NEWSWATCH_LANG=hy,ka)")
    p.add_argument("--country", default=None, help="am, az, ge, nc or intl (outlet country or story country)")
    p.add_argument("--limit", type=limit_count, default=20, help="at most this many results (default 20; 0: all)")
    p.add_argument("--irrelevant", action="store_true",
                   help="search the records judged not about the region too (stored, flagged)")
    p.add_argument("--index", default=None, help="the index file (default: per store under ~/.cache/newswatch/search)")
    format_option(p)
    p.set_defaults(handler=cmd_search)

    p = subparsers.add_parser("export", help="the records as one table: Parquet, CSV or JSON lines")
    store_option(p)
    p.add_argument("--format", choices=EXPORT_FORMATS, default=None,
                   help="parquet, csv or jsonl (NEWSWATCH_FORMAT); default: as --out's file name ends, else parquet")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--since", default=None, help="only records first seen on or after this UTC day YYYY-MM-DD")
    when.add_argument("--date", default=None, help="only records first seen on this UTC day YYYY-MM-DD")
    p.add_argument("--out", default=None, help="a file, s3://bucket/key, or - for stdout (csv, jsonl); "
                   "default newswatch-export.<format>")
    add_filter_options(p, since=False)
    p.set_defaults(handler=cmd_export)


def add_filter_options(p: argparse.ArgumentParser, since: bool = True) -> None:
    """The record filters that `articles` and `export` share."""
    if since:
        p.add_argument("--since", default=None, help="first seen on or after this UTC day YYYY-MM-DD")
    p.add_argument("--source", action="append", default=None,
                   help="only this feed id or outlet name (repeatable; NEWSWATCH_SOURCE=a,b)")
    p.add_argument("--language", action="append", default=None,
                   help="only this language code (repeatable; NEWSWATCH_LANGUAGE=hy,ka)")
    p.add_argument("--country", default=None, help="am, az, ge, nc or intl (outlet country or story country)")
    p.add_argument("--min-score", type=finite_number, default=None, help="only records with a relevance score at least this")
    p.add_argument("--story", default=None, help="only the records of this story (its id as `stories` prints it, or whole)")


def filter_from(args: argparse.Namespace, day=None):
    from flows.corpus import Filter, normalise_country
    from flows.cli_options import parse_day

    return Filter(day=day, since=parse_day(getattr(args, "since", None), "--since"),
                  sources=list(getattr(args, "source", None) or []), languages=[code.strip().lower() for code in getattr(args, "language", None) or []],
                  country=normalise_country(getattr(args, "country", None)), min_score=getattr(args, "min_score", None),
                  story=getattr(args, "story", None))


def filter_records(records: list, args: argparse.Namespace, store) -> list:
    """``articles``: the records its filters accept, in the stable order (first seen, then id)."""
    from flows.corpus import order_key, outlets

    wanted = filter_from(args)
    if wanted.since:
        records = [r for r in records if (r.first_seen or "")[:10] >= wanted.since.isoformat()]
    outlet_map = outlets(store, _settings(args).feeds_file) if (wanted.sources or wanted.country) else {}
    return sorted((r for r in records if wanted.accepts(r, outlet_map.get(r.source))), key=order_key)


def _settings(args):
    from config.settings import settings_with

    return settings_with(store=getattr(args, "store", None))


def _open(args):
    from storage import open_store
    from storage.articles import ArticleStore

    settings = _settings(args)
    return settings, ArticleStore(open_store(settings.store, settings, must_exist=True))


def _emit(value, fmt: str, lines: list[str]) -> None:
    if fmt == "json":
        print(json.dumps(value, ensure_ascii=False, indent=1, default=str))
    else:
        for line in lines:
            print(line)


def cmd_stories(args) -> int:
    from datetime import datetime, timezone

    from flows.corpus import select, stories
    from flows.cli_options import parse_day

    settings, articles = _open(args)
    try:
        from flows.corpus import outlets

        outlet_map = outlets(articles.store, settings.feeds_file)
        wanted = filter_from(args, day=parse_day(args.date, "--date"))
        wanted.relevant = True  # stories are what the digest would show: records about the region
        if not wanted.day and not wanted.since:
            wanted.day = datetime.now(timezone.utc).date()
        # a story is kept or left whole: filtered by country before grouping, a story told by outlets
        # of two countries showed as a smaller story with another headline
        country, wanted.country = wanted.country, None
        found = stories(select(articles, wanted, outlet_map), outlet_map)
        if country:
            found = [line for line in found if country in line.countries]
    finally:
        articles.store.close()
    shown = found[: args.limit] if args.limit > 0 else found
    lines = [f"{s.story[:12]:<12} {s.size:>3} {len(s.outlets):>2}  {','.join(s.languages)[:11]:<11} "
             f"{s.headline[:70]}  — {', '.join(s.outlets)[:60]}" for s in shown]
    if lines:
        lines.insert(0, f"{'story':<12} {'n':>3} {'out':>2}  {'languages':<11} headline — outlets")
    _emit([s.to_dict() for s in shown], args.format, lines)
    if not args.quiet and args.format != "json":
        more = f" (first {len(shown)})" if len(shown) < len(found) else ""
        print(f"{len(found)} stor{'y' if len(found) == 1 else 'ies'}{more} in {settings.store}", file=sys.stderr)
    return 0


def cmd_show(args) -> int:
    from flows.corpus import cluster_members, countries_of, find_record, outlets

    settings, articles = _open(args)
    try:
        key, record = find_record(articles, args.id)
        members = cluster_members(articles, record)
        outlet_map = outlets(articles.store, settings.feeds_file)
    finally:
        articles.store.close()
    if args.format == "json":
        _emit({"key": key, "record": record.to_dict(), "story": [m.to_dict() for m in members]}, "json", [])
        return 0
    outlet = outlet_map.get(record.source)
    caucasus = record.caucasus or {}
    lines = [
        f"id:         {record.id}  ({key})",
        f"title:      {record.title}",
        f"outlet:     {outlet.name if outlet else record.source} ({record.source})",
        f"url:        {record.url}",
        f"published:  {record.published or 'unknown'}    first seen: {record.first_seen}",
        f"language:   {record.language}    countries: {', '.join(countries_of(record, outlet)) or '-'}",
        f"caucasus:   relevant={caucasus.get('relevant')} score={caucasus.get('score')}  {caucasus.get('reason', '')}",
        f"story:      {record.cluster or record.id}" + (f"    duplicate of {record.duplicate_of}" if record.duplicate_of else ""),
        "",
        record.text,
    ]
    if members:
        lines += ["", f"also in this story ({len(members)}):"]
        for m in members:
            name = outlet_map[m.source].name if m.source in outlet_map else m.source
            lines.append(f"  {m.id}  {m.first_seen[:10]}  {name}: {' '.join((m.title or '').split())[:80]}"
                         + ("  (duplicate)" if m.duplicate_of else ""))
    _emit(None, "text", lines)
    return 0


def _search_index(given: str | None, store_description: str):
    """The index given (its errors are the user's to see), else the cached one; a cache folder that
    cannot hold it (NEWSWATCH_CACHE_DIR a file, a read-only home) costs only speed: a throw-away
    index is built in memory for this search, with a warning."""
    import logging

    from storage.search_index import SearchIndex, default_index_path, fts5_available

    if given or not fts5_available():  # without FTS5 no index helps: SearchIndex says so
        return SearchIndex(given or default_index_path(store_description))
    try:
        return SearchIndex(default_index_path(store_description))
    except ConfigError as exc:
        logging.getLogger("newswatch.search").warning("%s; searching with an index in memory (rebuilt each time)", exc)
        return SearchIndex(":memory:")


def cmd_search(args) -> int:
    from flows import progress
    from flows.corpus import normalise_country, outlets
    from flows.cli_options import parse_day
    from storage.search_index import SearchIndex, default_index_path

    settings, articles = _open(args)
    try:
        index = _search_index(args.index, articles.store.describe())
        try:
            outlet_map = outlets(articles.store, settings.feeds_file)
            report = index.update(articles, {k: o.country for k, o in outlet_map.items()},
                                  progress=lambda keys: progress.track(keys, total=len(keys), desc="index",
                                                                       unit="manifest"))
            hits = index.search(args.query, since=parse_day(args.since, "--since"), languages=[code.strip().lower() for code in args.lang or []],
                                country=normalise_country(args.country), limit=args.limit or -1,
                                relevant_only=not args.irrelevant)
            size = index.count()
        finally:
            index.close()
    finally:
        articles.store.close()
    lines = []
    for hit in hits:
        name = outlet_map[hit.source].name if hit.source in outlet_map else hit.source
        lines += [f"{hit.id}  {hit.first_seen[:10]}  {hit.language or '?':<3} {name}: {' '.join(hit.title.split())[:90] or '[no title]'}",
                  f"    {hit.snippet[:160]}"]
    _emit([h.to_dict() for h in hits], args.format, lines)
    if not args.quiet:
        print(f"{len(hits)} result(s); index {index.path}: {size} records, {report.records} newly indexed"
              + (" (rebuilt)" if report.rebuilt else ""), file=sys.stderr)
    return 0


EXPORT_FORMATS = ("parquet", "csv", "jsonl")
_SUFFIX_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def export_format(given: str | None, out: str | None) -> str:
    """The table's format: as given, else as the file name says (``x.csv``), else Parquet. A name
    that says another format than the one given is refused: Parquet bytes in ``x.csv`` open as
    garbage in every tool that trusts the name."""
    suffix = PurePosixPath(out.split("?")[0]).suffix.lower() if out and out != "-" else ""
    named = _SUFFIX_FORMATS.get(suffix)
    if given and named and given != named:
        raise ConfigError(f"--out {out} names a .{suffix[1:]} file but --format is {given}: "
                          f"give --format {named} or a file name ending .{given}")
    if suffix and not named and not given:  # "x.json", "x.xlsx": Parquet bytes under a name that promises else
        raise ConfigError(f"--out {out}: export writes parquet, csv or jsonl; name the file .parquet, .csv or "
                          f".jsonl (JSON lines), or give --format")
    return given or named or "parquet"


def cmd_export(args) -> int:
    from flows import progress
    from flows.corpus import manifest_lines, outlets, read_records
    from storage.export import export, row_of

    from flows.cli_options import parse_day

    fmt = export_format(args.format, args.out)
    day = parse_day(args.date, "--date")
    settings, articles = _open(args)
    target = args.out or f"newswatch-export.{fmt}"
    try:
        outlet_map = outlets(articles.store, settings.feeds_file)
        wanted = filter_from(args, day=day)
        lines = sorted(manifest_lines(articles, wanted.days()), key=lambda line: (line.first_seen or "", line.id))

        def rows():
            for _key, record in progress.track(read_records(articles, lines), total=len(lines), desc="export",
                                               unit="record"):
                outlet = outlet_map.get(record.source)
                if wanted.accepts(record, outlet):
                    yield row_of(record, outlet.name if outlet else None)

        report = export(rows(), fmt, target, settings)
    finally:
        articles.store.close()
    if not args.quiet:
        size = f", {report.bytes:,} bytes" if report.bytes else ""
        print(f"exported {report.rows} record(s) as {report.format} to {report.target}{size}", file=sys.stderr)
    if report.rows == 0 and not args.quiet:
        print("note: no record matched (check --since/--date and the filters)", file=sys.stderr)
    return 0


__all__ = ["add_filter_options", "filter_records", "register"]
