"""``newswatch export``: the records as one table, for pandas, R, DuckDB or a spreadsheet.

One row per record, the same columns in every format (``COLUMNS``); lists (countries, matched
entities) are joined with ";" so a CSV cell and a Parquet column hold the same value. Rows are
written in batches (pyarrow), so memory stays bounded whatever the store's size:

* ``parquet`` — a typed, compressed (zstd) file: the format for large stores and for S3;
* ``csv`` — UTF-8 with a header, RFC 4180 quoting (the text column keeps its newlines);
* ``jsonl`` — one JSON object per line.

The target is a local path, ``-`` (stdout; csv and jsonl only) or ``s3://bucket/key``: the file
is written locally first, then put through the store adapter (same credentials and endpoint
settings as an S3 store).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from extractors.errors import ConfigError, StoreError
from extractors.records import ArticleRecord

FORMATS = ("parquet", "csv", "jsonl")
BATCH = 1000
# name, pyarrow type name
COLUMNS = (
    ("id", "string"), ("url", "string"), ("canonical_url", "string"), ("source", "string"), ("outlet", "string"),
    ("title", "string"), ("author", "string"), ("published", "string"), ("published_source", "string"),
    ("first_seen", "string"), ("language", "string"), ("language_confidence", "float64"),
    ("relevant", "bool_"), ("score", "float64"), ("countries", "string"), ("entities", "string"),
    ("duplicate_of", "string"), ("cluster", "string"), ("content_hash", "string"), ("extractor", "string"),
    ("text", "string"),
)


@dataclass
class ExportReport:
    target: str
    format: str
    rows: int
    bytes: int

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def row_of(record: ArticleRecord, outlet: str | None = None) -> dict:
    caucasus = record.caucasus or {}
    entities = list(dict.fromkeys(t.get("entity", "") for t in caucasus.get("terms") or [] if t.get("entity")))
    return {
        "id": record.id, "url": record.url, "canonical_url": record.canonical_url, "source": record.source,
        "outlet": outlet or record.source, "title": record.title, "author": record.author,
        "published": record.published, "published_source": record.published_source,
        "first_seen": record.first_seen, "language": record.language,
        "language_confidence": record.language_confidence, "relevant": bool(caucasus.get("relevant")),
        "score": float(caucasus.get("score") or 0.0), "countries": ";".join(caucasus.get("countries") or []),
        "entities": ";".join(entities), "duplicate_of": record.duplicate_of, "cluster": record.cluster,
        "content_hash": record.content_hash, "extractor": record.extractor, "text": record.text,
    }


def _schema():
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, kind)()) for name, kind in COLUMNS])


def _batches(rows: Iterable[dict]) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def write_rows(rows: Iterable[dict], fmt: str, out) -> int:
    """Write ``rows`` to a binary file object in ``fmt``. Returns the number of rows."""
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}")
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
            count += 1
        return count
    import pyarrow as pa

    schema = _schema()
    writer = None
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            writer = pq.ParquetWriter(out, schema, compression="zstd")
        else:
            import pyarrow.csv as pacsv

            writer = pacsv.CSVWriter(out, schema)
        for batch in _batches(rows):
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    finally:
        if writer is not None:
            writer.close()
    return count


def export(rows: Iterable[dict], fmt: str, target: str, settings=None) -> ExportReport:
    """Write the rows to ``target``: a path, ``-`` for stdout, or ``s3://bucket/key``."""
    if target == "-":
        if fmt == "parquet":
            raise ConfigError("Parquet is binary: give --out FILE (or s3://bucket/key)")
        count = write_rows(rows, fmt, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return ExportReport("-", fmt, count, 0)
    if target.startswith("s3://"):
        return _export_to_s3(rows, fmt, target, settings)
    path = Path(target)
    if path.is_dir():
        raise ConfigError(f"--out {target} is a directory: give a file name")
    if path.exists() and not path.is_file():
        # a device, a FIFO or a shell's /dev/fd/N (`--out >(gzip > f)`): written in place, since a
        # file renamed over it would replace the device node, and a pipe has no directory to put one
        try:
            with open(target, "wb") as out:
                count = write_rows(rows, fmt, out)
        except OSError as exc:
            raise ConfigError(f"cannot write {target}: {exc}") from exc
        return ExportReport(target, fmt, count, 0)
    path = Path(os.path.realpath(path))  # through a symlink: the file it names gets the new table
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with open(partial, "wb") as out:
            count = write_rows(rows, fmt, out)
        os.replace(partial, path)  # a failed export never leaves a truncated file under the real name
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return ExportReport(str(path), fmt, count, path.stat().st_size)


def _export_to_s3(rows: Iterable[dict], fmt: str, target: str, settings) -> ExportReport:
    from storage import open_store

    bucket_and_key = target[len("s3://"):]
    prefix, _, name = bucket_and_key.rpartition("/")
    if not prefix or not name:
        raise ConfigError(f"--out {target}: give s3://bucket/key (a key, not only a bucket)")
    with tempfile.TemporaryDirectory(prefix="newswatch-export-") as tmp:
        local = Path(tmp) / name
        with open(local, "wb") as out:
            count = write_rows(rows, fmt, out)
        store = open_store("s3://" + prefix, settings)
        try:
            kind = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv; charset=utf-8",
                    "jsonl": "application/x-ndjson"}[fmt]
            size = local.stat().st_size
            store.put(name, local.read_bytes(), content_type=kind)
        except StoreError:
            raise
        finally:
            store.close()
    return ExportReport(target, fmt, count, size)
