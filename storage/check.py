"""Verify and repair a store (``newswatch store check``); copying lives in ``storage.copy``.

What a consistent store looks like (DESIGN.md write order: objects, manifest, state):
every manifest line has its record; every record (``seeds/``, ``articles/``) is named by some
manifest; every raw page belongs to a record, and every page-metadata sidecar (``raw-meta/``)
to a raw page; records parse and sit at the key their id and first_seen give; no journal is
left by a dead run.

Repair never edits history. Manifests are write-once, so a repair adds objects:

* a record no manifest names → a line in a repair manifest ``manifests/<day>/repair-<time>.jsonl``;
* a manifest line whose record is gone → the record rebuilt from its raw page when there is one
  (``rebuild_record``); otherwise a repair-manifest line with status ``missing`` for the same id.
  Readers take the latest line per id and day (repair manifests sort after run manifests), so
  the lost record stops being announced, and the original line stays as the history of what
  was stored;
* a raw page without record → rebuilt and listed like above, or reported;
* every action is written down in ``state/repairs/<repair-id>.json``.

Stale journals are reported as warnings: the next poll finishes their batch, not the checker.
So are sidecars whose raw page is gone (a batch rolled back between the two writes): nothing
reads them, and a repair adds objects, it does not delete any.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from extractors.errors import StoreError
from extractors.records import ArticleRecord
from storage import layout
from storage.articles import ArticleStore, ManifestLine
from storage.base import ObjectStore, dumps
from storage.check_state import check_state_objects
from storage.pool import WritePool
from storage.state import is_stale, journals as all_journals

log = logging.getLogger(__name__)

MISSING = "missing"  # manifest status of a line whose record is lost for good
REPAIR_NOTES = "state/repairs/"
RECORD_PREFIXES = ("seeds/", "articles/")

RebuildRecord = Callable[[str], ArticleRecord | None]


@dataclass
class Problem:
    kind: str  # missing-record, unlisted-record, orphan-raw, bad-record, key-mismatch, bad-manifest,
    #            missing-raw (warning), stale-journal (warning), lost-record (warning: acknowledged),
    #            orphan-raw-meta (warning)
    key: str
    detail: str = ""
    severity: str = "error"
    repaired: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckReport:
    store: str
    manifests: int = 0
    manifest_lines: int = 0
    records: int = 0
    raw_pages: int = 0
    raw_meta: int = 0
    journals: int = 0
    repaired: int = 0
    written: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" and not p.repaired for p in self.problems)

    def add(self, kind: str, key: str, detail: str = "", severity: str = "error") -> Problem:
        problem = Problem(kind, key, detail, severity)
        self.problems.append(problem)
        return problem

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


@dataclass
class _Scan:
    """What one pass over the store found, before any repair."""

    records: dict[str, ArticleRecord] = field(default_factory=dict)  # key → parsed record
    record_keys: set[str] = field(default_factory=set)  # every record object, parsable or not
    listed: set[str] = field(default_factory=set)  # record keys some manifest line names
    latest: dict[tuple[str, str], tuple[str, ManifestLine]] = field(default_factory=dict)  # (day, id) → line
    raw_keys: set[str] = field(default_factory=set)
    bad_records: list[str] = field(default_factory=list)  # record keys that cannot be read
    damaged_manifests: dict[str, list[ManifestLine]] = field(default_factory=dict)  # key → its good lines


def check_store(
    store: ObjectStore,
    *,
    repair: bool = False,
    rebuild_record: RebuildRecord | None = None,
    threads: int = 8,
    now: datetime | None = None,
) -> CheckReport:
    """Check every invariant of the layout; with ``repair``, rebuild what is missing from what is there."""
    now = now or datetime.now(timezone.utc)
    articles = ArticleStore(store)
    report = CheckReport(store=store.describe())
    scan = _Scan()
    _scan_records(articles, scan, report, threads)
    _scan_manifests(articles, scan, report, threads)
    scan.raw_keys = set(store.list("raw/"))
    report.raw_pages = len(scan.raw_keys)
    meta_keys = set(store.list("raw-meta/"))
    report.raw_meta = len(meta_keys)
    for key in sorted(meta_keys - {layout.raw_meta_key(raw) for raw in scan.raw_keys}):
        report.add("orphan-raw-meta", key, "page metadata whose raw page is absent (nothing reads it)", "warning")

    missing = _missing_records(scan, report)
    unlisted = [key for key in sorted(scan.record_keys) if key not in scan.listed]
    for key in unlisted:
        report.add("unlisted-record", key, "no manifest names this record")
    orphans = _orphan_raws(scan, report)
    for key, record in sorted(scan.records.items()):
        if record.raw_key and record.raw_key not in scan.raw_keys:
            report.add("missing-raw", key, f"raw page {record.raw_key} is absent (reprocess will skip it)", "warning")
    journals = list(store.list("state/journal/"))
    report.journals = len(journals)
    for key, data in _dead_journals(store, now):
        items = len(data.get("items") or ())
        report.add("stale-journal", key, f"batch of {items} left by a dead run; the next poll finishes it", "warning")

    if repair:
        _Repair(articles, report, scan, rebuild_record, now).run(missing, unlisted, orphans)
    check_state_objects(store, report, repair=repair)
    return report


# Scanning ----------------------------------------------------------------------------------------


def _dead_journals(store: ObjectStore, now: datetime):
    """Journals whose run is gone: by its lease (storage/run_lease.py), or by age for journals without one."""
    from storage.run_lease import run_is_alive

    for key, data in all_journals(store):
        dead = not run_is_alive(store, data["run"], now) if data.get("run") else is_stale(data, now)
        if dead:
            yield key, data


def _read_all(keys: list[str], read: Callable[[str], Any], threads: int) -> Iterator[tuple[str, Any]]:
    """Read objects in parallel (S3 latency), yielding (key, value or the exception)."""

    def one(key: str):
        try:
            return key, read(key)
        except (StoreError, ValueError, TypeError, UnicodeDecodeError) as exc:
            return key, exc

    if not keys:
        return iter(())
    with ThreadPoolExecutor(max_workers=max(1, threads)) as executor:
        return iter(list(executor.map(one, keys)))


def _scan_records(articles: ArticleStore, scan: _Scan, report: CheckReport, threads: int) -> None:
    keys = list(articles.all_article_keys())
    scan.record_keys = set(keys)
    report.records = len(keys)
    for key, value in _read_all(keys, articles.get_article, threads):
        if isinstance(value, Exception):
            report.add("bad-record", key, f"cannot read or parse: {value}")
            scan.bad_records.append(key)
            continue
        expected = articles.record_key(value) if value.id and value.first_seen else None
        if expected != key:
            report.add("key-mismatch", key, f"id {value.id!r} and first_seen {value.first_seen!r} give {expected}")
        scan.records[key] = value


def _manifest_day(key: str) -> str:
    return "/".join(key.split("/")[1:4])


def _scan_manifests(articles: ArticleStore, scan: _Scan, report: CheckReport, threads: int) -> None:
    keys = sorted(k for k in articles.store.list("manifests/") if k.endswith(".jsonl"))
    report.manifests = len(keys)
    def read(key: str) -> tuple[list[ManifestLine], list[str]]:
        damaged: list[str] = []
        return articles.read_manifest(key, damaged), damaged

    for key, value in _read_all(keys, read, threads):  # lexical order: later wins
        if isinstance(value, Exception):
            report.add("bad-manifest", key, f"cannot read or parse: {value}")
            continue
        value, damaged = value
        if damaged:
            report.add("bad-manifest", key, "; ".join(damaged[:3]) + (f" (+{len(damaged) - 3} more)" if len(damaged) > 3 else ""))
            scan.damaged_manifests[key] = value
        for line in value:
            if not line.id or not line.key:
                report.add("bad-manifest", key, f"a line without id or key: {line}")
                continue
            report.manifest_lines += 1
            scan.listed.add(line.key)
            scan.latest[(_manifest_day(key), line.id)] = (key, line)


def _missing_records(scan: _Scan, report: CheckReport) -> list[tuple[str, ManifestLine]]:
    """Manifest lines whose record is absent (a line superseded by ``missing`` is acknowledged)."""
    missing, seen = [], set()
    for (day, _id), (manifest, line) in sorted(scan.latest.items()):
        if line.key in scan.record_keys or line.key in seen:
            continue
        seen.add(line.key)
        if line.status == MISSING:
            report.add("lost-record", line.key, f"acknowledged as lost in {manifest}", "warning")
        else:
            missing.append((manifest, line))
            report.add("missing-record", line.key, f"named by {manifest} but absent")
    return missing


def _record_key_for_raw(raw_key: str) -> str:
    # raw/<yyyy>/<mm>/<dd>/<id>.html.gz → articles/<yyyy>/<mm>/<dd>/<id>.json
    stem = raw_key[len("raw/") :].split(".", 1)[0] if "." in raw_key.rsplit("/", 1)[-1] else raw_key[len("raw/") :]
    return f"articles/{stem}.json"


def _raw_key_for_record(record_key: str) -> str:
    # articles/<yyyy>/<mm>/<dd>/<id>.json → raw/<yyyy>/<mm>/<dd>/<id>.html.gz (the poll's naming)
    return "raw/" + record_key[len("articles/"):].removesuffix(".json") + ".html.gz"


def _orphan_raws(scan: _Scan, report: CheckReport) -> list[str]:
    referenced = {r.raw_key for r in scan.records.values() if r.raw_key}
    referenced |= {_raw_key_for_record(k) for k in scan.bad_records if k.startswith("articles/")}  # reported once, as bad-record
    orphans = []
    for key in sorted(scan.raw_keys):
        owner = _record_key_for_raw(key)
        # A raw page whose record a manifest names is the material to rebuild that record
        # (reported once, as missing-record), not an orphan.
        if key not in referenced and owner not in scan.record_keys and owner not in scan.listed:
            orphans.append(key)
            report.add("orphan-raw", key, "no record belongs to this raw page")
    return orphans


# Repair ------------------------------------------------------------------------------------------


def _with_decisions(record: ArticleRecord, line: ManifestLine | None) -> ArticleRecord:
    """A record rebuilt from its raw page, with the dedup decisions its manifest line recorded (the
    page cannot say what it was a copy of: without them the digest showed the story twice)."""
    return record if line is None else dataclasses.replace(
        record, duplicate_of=line.duplicate_of or record.duplicate_of, cluster=line.cluster or record.cluster)


def manifest_status(record: ArticleRecord) -> str:
    """The status a run would have given this record in its manifest."""
    if record.source == "seed":
        return "seed"
    if record.duplicate_of:
        return "duplicate"
    if (record.caucasus or {}).get("relevant") is False:
        return "irrelevant"
    return "stored"


class _Repair:
    def __init__(self, articles, report, scan, rebuild, now):
        self.articles, self.report, self.scan, self.rebuild = articles, report, scan, rebuild
        self.run_id = "repair-" + layout.new_run_id(now)  # time + randomness: two repairs never collide
        self.now = now
        self.lines: dict[str, list[ManifestLine]] = {}  # manifest day → lines

    def _problem(self, kind: str, key: str) -> Problem:
        return next(p for p in self.report.problems if p.kind == kind and p.key == key and not p.repaired)

    def _done(self, problem: Problem, note: str) -> None:
        problem.repaired = True
        problem.detail = f"{problem.detail}; repaired: {note}"
        self.report.repaired += 1

    def _rebuilt(self, raw_key: str) -> ArticleRecord | None:
        if self.rebuild is None or raw_key not in self.scan.raw_keys:
            return None
        try:
            return self.rebuild(raw_key)
        except Exception as exc:  # the rebuilder is the pipeline's: any failure is a report line
            log.warning("cannot rebuild a record from %s: %s", raw_key, exc)
            return None

    def run(self, missing, unlisted, orphans) -> None:
        with WritePool(self.articles.store, threads=8) as pool:
            for manifest, line in missing:
                self._missing(pool, manifest, line)
            for raw_key in orphans:
                self._orphan(pool, raw_key)
            for key in self.scan.bad_records:
                self._damaged(pool, key)
            pool.wait()  # records before the manifests that name them
        for key, good in self.scan.damaged_manifests.items():
            self._rewrite_manifest(key, good)
        for key in unlisted:
            record = self.scan.records.get(key)
            if record is not None:
                self._list(key, record, "listed in a repair manifest")
        self._write_manifests()

    def _missing(self, pool: WritePool, manifest: str, line: ManifestLine) -> None:
        problem = self._problem("missing-record", line.key)
        raw_key = layout.raw_key(line.id, line.first_seen) if line.first_seen else ""
        record = self._rebuilt(raw_key)
        if record is not None:
            # The manifest line is the authority on identity: the rebuilt record goes where it points.
            record = dataclasses.replace(_with_decisions(record, line), id=line.id, first_seen=line.first_seen, source=line.source, raw_key=raw_key)
            pool.submit(self.articles.replace_article, line.key, record)
            self.report.written.append(line.key)
            self._done(problem, f"rebuilt from {raw_key}")
            return
        lost = dataclasses.replace(line, status=MISSING)
        self.lines.setdefault(_manifest_day(manifest), []).append(lost)
        self._done(problem, "no raw page to rebuild from; marked missing in a repair manifest")

    def _damaged(self, pool: WritePool, key: str) -> None:
        """A record that cannot be read, rebuilt in place from its raw page when that gives the same key."""
        if not key.startswith("articles/"):
            return  # a seed has no page metadata to rebuild from; its file in the seed folder is the source
        record = self._rebuilt(_raw_key_for_record(key))
        if record is None or self.articles.record_key(record) != key:
            return
        record = _with_decisions(record, next((line for _m, line in self.scan.latest.values() if line.key == key), None))
        pool.submit(self.articles.replace_article, key, dataclasses.replace(record, raw_key=_raw_key_for_record(key)))
        self.report.written.append(key)
        self._done(self._problem("bad-record", key), f"rebuilt from {_raw_key_for_record(key)}")

    def _rewrite_manifest(self, key: str, good: list[ManifestLine]) -> None:
        """A manifest with damaged lines, written again with its good lines only (the records the
        damaged lines named are unlisted now, and listed again in this repair's manifest)."""
        body = "".join(line.to_json() + "\n" for line in good)
        if body:
            self.articles.store.put(key, body.encode("utf-8"), content_type="application/x-ndjson")
        else:
            self.articles.store.delete(key)
        self.report.written.append(key)
        self._done(self._problem("bad-manifest", key), f"rewritten with its {len(good)} readable lines")

    def _orphan(self, pool: WritePool, raw_key: str) -> None:
        record = self._rebuilt(raw_key)
        if record is None:
            return
        record = dataclasses.replace(record, raw_key=raw_key)
        key = self.articles.record_key(record)
        pool.submit(self.articles.put_article, record)
        self.report.written.append(key)
        self.scan.record_keys.add(key)
        self._done(self._problem("orphan-raw", raw_key), f"rebuilt as {key}")
        self._list(key, record, None)

    def _list(self, key: str, record: ArticleRecord, note: str | None) -> None:
        line = ManifestLine.from_record(record, key, manifest_status(record))
        self.lines.setdefault(layout.day_path(record.first_seen), []).append(line)
        if note:
            self._done(self._problem("unlisted-record", key), note)

    def _write_manifests(self) -> None:
        for day, lines in sorted(self.lines.items()):
            key = self.articles.write_manifest(self.run_id, day.replace("/", "-"), lines)
            if key:
                self.report.written.append(key)
        if self.report.repaired:
            note_key = f"{REPAIR_NOTES}{self.run_id}.json"
            note = {
                "repair": self.run_id,
                "at": self.now.isoformat(),
                "actions": [p.to_dict() for p in self.report.problems if p.repaired],
            }
            self.articles.store.put(note_key, dumps(note), content_type="application/json")
            self.report.written.append(note_key)


def report_text(report: CheckReport) -> str:
    """The human summary ``store check`` prints."""
    out = [
        f"{report.store}: {report.records} records, {report.manifests} manifests "
        f"({report.manifest_lines} lines), {report.raw_pages} raw pages ({report.raw_meta} with feed metadata), "
        f"{report.journals} journals",
    ]
    for p in report.problems:
        mark = "repaired" if p.repaired else p.severity
        out.append(f"  [{mark}] {p.kind}: {p.key} — {p.detail}")
    out.append("ok" if report.ok else f"{sum(1 for p in report.problems if not p.repaired and p.severity == 'error')} problems")
    return "\n".join(out)
