"""Import a folder of .txt/.html files (by default the bundled seed corpus) as cleaned records.

Each file becomes ``seeds/<id>.json`` with id ``seed-<file stem>``, through the same
extract → language → relevance → dedup → commit path as a polled article, so a later
article that copies a seed is flagged as its duplicate. Importing twice changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from config import SEEDS_DIR
from config.settings import Settings
from extractors.article import extract_document, make_record
from extractors.errors import ExtractionError, NewswatchError
from flows.batch import PreparedArticle, commit_batch
from flows.context import close_context
from flows.pipeline import FeedResult
from flows.poll import start_run
from flows.progress import track
from storage import layout

log = logging.getLogger("newswatch.seeds")

SEED_SUFFIXES = (".txt", ".text", ".html", ".htm")


@dataclass
class ImportSummary:
    run_id: str
    store: str
    directory: str
    files: int = 0
    imported: int = 0
    duplicates: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return self.__dict__.copy()

    def to_text(self) -> str:
        text = (f"import-seeds {self.directory} → {self.store}: {self.files} files, {self.imported} imported, "
                f"{self.duplicates} duplicates, {self.unchanged} already there, {len(self.skipped)} skipped")
        return text + "".join(f"\n  skipped {s}" for s in self.skipped)


def seed_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise NewswatchError(f"seed directory not found: {directory}")
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in SEED_SUFFIXES)


def import_seeds(store_uri: str, directory: str | Path | None, settings: Settings, *,
                 now: datetime | None = None) -> ImportSummary:
    directory = Path(directory) if directory else SEEDS_DIR
    ctx, _recovered = start_run(store_uri, settings, now=now)
    summary = ImportSummary(run_id=ctx.run_id, store=ctx.store.describe(), directory=str(directory))
    try:
        prepared = []
        files = seed_files(directory)
        for path in track(files, total=len(files), desc="import", unit="file"):
            summary.files += 1
            article_id = "seed-" + layout.safe_id(path.stem)
            if ctx.store.exists(layout.seed_key(article_id)):
                summary.unchanged += 1
                continue
            try:
                body = path.read_bytes()
                extracted = extract_document(body)
            except (OSError, ExtractionError) as exc:
                summary.skipped.append(f"{path.name}: {exc}")
                log.warning("seed %s skipped: %s", path.name, exc)
                continue
            record = make_record(extracted, article_id=article_id, url=f"seed:{path.name}",
                                 canonical_url=f"seed:{path.name}", source="seed", first_seen=ctx.now,
                                 gazetteer=ctx.gazetteer)
            prepared.append(PreparedArticle(record=record, body=body, url_keys=[article_id]))
        result = FeedResult(feed_id="seed")
        commit_batch(ctx, "seeds", prepared, result)
        summary.imported, summary.duplicates = result.stored, result.duplicates
        summary.ids = [a["id"] for a in result.new_articles]
    finally:
        close_context(ctx.run_id)
    return summary
