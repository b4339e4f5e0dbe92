"""Article records, raw pages and manifests on top of any ``ObjectStore``.

Write order makes a crash safe (DESIGN.md): raw page and record first (write-once),
then the run's manifest, then state. Readers that need one day read that day's
manifests only; nothing here lists the whole corpus except the explicit ``--all``.
"""

from __future__ import annotations

import gzip
import json
import logging
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from extractors.errors import NotFound, Unreadable
from extractors.records import ArticleRecord
from storage import layout
from storage.base import ObjectStore, dumps

log = logging.getLogger("newswatch.store")

# zlib's knee for HTML: level 4 compresses a page 2.8x faster than gzip's default 9 for 5 % more
# bytes (181 pages of 174 KB: 1.85 vs 5.16 ms, 0.207 vs 0.196 of the size; on 600 others of 73 KB:
# 0.77 vs 1.84 ms, 0.231 vs 0.222). A poll compresses every page it fetches, on the cores that
# extract: at 9 this was ~10 % of a bare trafilatura extraction per page.
RAW_GZIP_LEVEL = 4


@dataclass(frozen=True)
class ManifestLine:
    """One line of a run manifest: which record a run stored, and where."""

    id: str
    key: str
    url: str
    source: str
    first_seen: str
    status: str  # "stored", "duplicate", "irrelevant" (kept with --keep-irrelevant), "seed", "reprocessed"
    duplicate_of: str | None = None
    cluster: str | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_record(cls, record: ArticleRecord, key: str, status: str) -> "ManifestLine":
        return cls(
            id=record.id,
            key=key,
            url=record.url,
            source=record.source,
            first_seen=record.first_seen,
            status=status,
            duplicate_of=record.duplicate_of,
            cluster=record.cluster,
        )


class ArticleStore:
    """The layout-aware view of a store that the pipeline and the CLI use."""

    def __init__(self, store: ObjectStore):
        self.store = store

    # Write-once objects ------------------------------------------------------------------

    def put_raw(self, article_id: str, first_seen: str, body: bytes, *, replace: bool = False) -> str:
        """Store the page as fetched (write-once, unless ``replace``: a --force refresh)."""
        key = layout.raw_key(article_id, first_seen)
        # mtime=0 keeps the gzip bytes a pure function of the page.
        self.store.put(key, gzip.compress(body, compresslevel=RAW_GZIP_LEVEL, mtime=0), content_type="application/gzip",
                       create_only=not replace)
        return key

    def get_raw(self, key: str) -> bytes:
        """A raw page as fetched. A damaged object (truncated by a full disk or a hand, emptied)
        is ``Unreadable``: its record must keep what it says, never be re-extracted from nothing."""
        data = self.store.get(key)
        try:
            page = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
            raise Unreadable(f"raw page {key} is damaged ({len(data)} bytes): {exc or type(exc).__name__}") from exc
        if not page:
            raise Unreadable(f"raw page {key} is empty ({len(data)} bytes): the poll never stores an empty page")
        return page

    def put_raw_meta(self, raw_page_key: str, meta: dict, *, replace: bool = False) -> str:
        """Store what the feed and the fetch said about a raw page (write-once, like the page)."""
        key = layout.raw_meta_key(raw_page_key)
        self.store.put(key, dumps(meta), content_type="application/json", create_only=not replace)
        return key

    def get_raw_meta(self, raw_page_key: str) -> dict | None:
        """The metadata of a raw page, or None for a page stored before metadata was kept."""
        key = layout.raw_meta_key(raw_page_key)
        try:
            meta = self.store.get_json(key)
        except NotFound:
            return None
        except (ValueError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
            raise Unreadable(f"damaged page metadata {key}: {type(exc).__name__}: {str(exc)[:80]}") from None
        if not isinstance(meta, dict):
            raise Unreadable(f"damaged page metadata {key}: a JSON {type(meta).__name__}, not an object")
        return meta

    def record_key(self, record: ArticleRecord) -> str:
        if record.source == "seed":
            return layout.seed_key(record.id)
        return layout.article_key(record.id, record.first_seen)

    def put_article(self, record: ArticleRecord) -> tuple[str, bool]:
        """Store a record once. Returns its key and whether this call created it."""
        key = self.record_key(record)
        created = self.store.put(key, dumps(record.to_dict()), content_type="application/json", create_only=True)
        return key, created

    def replace_article(self, key: str, record: ArticleRecord) -> None:
        """Overwrite a record in place (reprocess, repair): the key and the id do not change."""
        self.store.put(key, dumps(record.to_dict()), content_type="application/json")

    def get_article(self, key: str) -> ArticleRecord:
        data = self.store.get(key)
        try:
            return ArticleRecord.from_dict(json.loads(data))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # UnicodeDecodeError is a ValueError
            raise Unreadable(f"damaged record {key}: {type(exc).__name__}: {exc}") from None

    def readable(self, keys: Iterable[str]) -> Iterator[tuple[str, ArticleRecord]]:
        """The records under ``keys`` that can be read; a missing or damaged one is skipped (a damaged
        one with a warning): one bad object must not hide the corpus. `newswatch store check` reports both."""
        for key in keys:
            try:
                yield key, self.get_article(key)
            except NotFound:
                continue
            except Unreadable as exc:
                log.warning("%s; skipped (`newswatch store check` lists it)", exc)

    # Manifests ------------------------------------------------------------------------------

    def write_manifest(self, run_id: str, day: date | datetime | str, lines: Iterable[ManifestLine]) -> str | None:
        """Write one manifest object for a run and a day (write-once; a rerun id never collides)."""
        body = "".join(line.to_json() + "\n" for line in lines)
        if not body:
            return None
        key = layout.manifest_key(run_id, day)
        self.store.put(key, body.encode("utf-8"), content_type="application/x-ndjson", create_only=True)
        return key

    def manifest_keys(self, day: date | datetime | str) -> list[str]:
        return list(self.store.list(layout.manifest_prefix(day)))

    def read_manifest(self, key: str, damaged: list[str] | None = None) -> list[ManifestLine]:
        """The manifest's lines. A damaged line (cut short, not JSON) is skipped: with a warning, or
        described in ``damaged`` for ``store check``. One bad line used to stop every reader."""
        lines = []
        for number, raw in enumerate(self.store.get(key).decode("utf-8", errors="replace").splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                if not isinstance(data, dict):
                    raise ValueError(f"a JSON {type(data).__name__}, not an object")
            except ValueError as exc:
                problem = f"line {number} is damaged ({str(exc)[:80]})"
                if damaged is None:
                    log.warning("%s: %s; skipped (`newswatch store check --repair` rewrites it)", key, problem)
                else:
                    damaged.append(problem)
                continue
            lines.append(ManifestLine(**{k: data.get(k) for k in ManifestLine.__dataclass_fields__}))
        return lines

    def manifest_lines(self, day: date | datetime | str) -> list[ManifestLine]:
        """Every line of a day's manifests, later lines for the same id winning (reprocess)."""
        latest: dict[str, ManifestLine] = {}
        for key in self.manifest_keys(day):
            for line in self.read_manifest(key):
                latest[line.id] = line
        return list(latest.values())

    # Reading records --------------------------------------------------------------------------

    def articles_for_day(self, day: date | str) -> Iterator[tuple[str, ArticleRecord]]:
        """Records a day's manifests name (the cheap path: one day, never the corpus)."""
        return self.readable(line.key for line in self.manifest_lines(day))

    def all_article_keys(self) -> Iterator[str]:
        """Every record key (seeds and articles). Lists the store: for --all, check and copy only."""
        for prefix in ("seeds/", "articles/"):
            for key in self.store.list(prefix):
                if key.endswith(".json"):
                    yield key

    def all_articles(self) -> Iterator[tuple[str, ArticleRecord]]:
        return self.readable(self.all_article_keys())
