"""A local full-text index of a store (SQLite FTS5), brought up to date from the manifests.

The store stays the truth; the index is a disposable local copy for ``newswatch search``:

* one SQLite file per store (``<cache>/search/<hash of the store's URI>.sqlite``, or ``--index``),
  so an S3 store is searched locally after one pass over its new records;
* manifests are write-once, so the index remembers which manifest objects it has read and reads
  only the new ones on each search — a record that a later manifest lists again (reprocess,
  repair) replaces its earlier version. When a manifest it has read is gone from the store (the
  store was wiped or replaced), the index is rebuilt from scratch;
* FTS5 with the ``unicode61`` tokenizer and ``remove_diacritics 2``: words in every script of the
  region (Armenian, Georgian, Cyrillic, Latin with accents, Arabic script) are indexed as
  written, case-folded and without accents. Inflected languages match with a prefix query
  (``Грузи*`` finds Грузия, Грузии);
* letters that people often type as their plain neighbour are folded on both sides (``FOLDED``:
  Azerbaijani ə → e and ı → i, Russian ё → е): the tokenizer's accent removal does not cover
  them, as they are letters of their own, not accented ones. Folded copies of the title and text
  are indexed only for records that contain such a letter, and the query is folded, so
  "Azerbaycan", "Azərbaycan", "елка" and "ёлка" each find both spellings;
* ranking is FTS5's BM25, the title weighing three times the text.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from extractors.errors import ConfigError, NotFound, Unreadable
from extractors.records import ArticleRecord

log = logging.getLogger("newswatch.search")

SCHEMA = 3  # 2: folded columns; 3: texts cut at SEARCH_TEXT_CHARS (an older index is rebuilt on first use)
# Characters of a record's text that are indexed: a long analysis is ~40,000. FTS5's snippet()
# costs the square of a term's hits in one text: a 4 MB "article" (a page dump, a hostile
# server's) held a search for a quarter of an hour, deaf to SIGTERM inside SQLite.
SEARCH_TEXT_CHARS = 60_000
TITLE_WEIGHT, TEXT_WEIGHT = 3.0, 1.0
# Letters typed as their plain neighbour on keyboards without them (see module docstring).
FOLDED = str.maketrans({"ə": "e", "Ə": "E", "ı": "i", "ё": "е", "Ё": "Е"})


def fold(text: str) -> str:
    """``text`` with the letters of ``FOLDED`` replaced by their plain neighbours."""
    return text.translate(FOLDED)

_DDL = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS manifests (key TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, record_key TEXT, source TEXT, language TEXT,
    first_seen TEXT, published TEXT, title TEXT, url TEXT, score REAL, relevant INTEGER,
    duplicate_of TEXT, cluster TEXT, countries TEXT
);
CREATE INDEX IF NOT EXISTS docs_first_seen ON docs (first_seen);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(title, text, folded_title, folded_text,
                                                   tokenize = 'unicode61 remove_diacritics 2');
"""


def fts5_available() -> bool:
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")
        return True
    except sqlite3.OperationalError:
        return False


def default_index_path(store_description: str) -> Path:
    from extractors.compiled_cache import cache_dir

    digest = hashlib.sha256(store_description.encode("utf-8")).hexdigest()[:16]
    return cache_dir() / "search" / f"{digest}.sqlite"


@dataclass
class Hit:
    id: str
    title: str
    source: str
    language: str | None
    first_seen: str
    url: str
    cluster: str | None
    rank: float  # BM25: lower is better
    snippet: str

    def to_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass
class UpdateReport:
    manifests: int = 0  # new manifests read
    records: int = 0  # records (re)indexed
    rebuilt: bool = False


class SearchIndex:
    def __init__(self, path: Path | str):
        if not fts5_available():
            raise ConfigError("this Python's SQLite has no FTS5: newswatch search needs it")
        self.path = Path(path)
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path))
            self.db.executescript(_DDL)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the search index {self.path}: {exc}") from exc
        version = self.db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
        if version is None:
            self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            self.db.commit()
        elif version[0] != str(SCHEMA):
            self._reset()

    def close(self) -> None:
        self.db.close()

    def _reset(self) -> None:
        self.db.executescript("DROP TABLE IF EXISTS manifests; DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS fts;"
                              "DROP TABLE IF EXISTS meta;" + _DDL)
        self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
        self.db.commit()

    # Updating -----------------------------------------------------------------------------

    def update(self, articles, outlet_countries: dict[str, str | None] | None = None, progress=None) -> UpdateReport:
        """Read the manifests this index has not read yet (all of them after a rebuild)."""
        report = UpdateReport()
        in_store = sorted(k for k in articles.store.list("manifests/") if k.endswith(".jsonl"))
        done = {row[0] for row in self.db.execute("SELECT key FROM manifests")}
        if done - set(in_store):
            log.info("search index %s: manifests gone from the store; rebuilding", self.path)
            self._reset()
            done, report.rebuilt = set(), True
        new = [key for key in in_store if key not in done]
        for key in (progress(new) if progress else new):
            for line in articles.read_manifest(key):
                try:
                    record = articles.get_article(line.key)
                except (NotFound, Unreadable):
                    continue  # `newswatch store check` reports it
                self._put(line.key, record, (outlet_countries or {}).get(record.source))
                report.records += 1
            self.db.execute("INSERT OR IGNORE INTO manifests VALUES (?)", (key,))
            self.db.commit()  # one manifest at a time: an interrupted update resumes where it stopped
            report.manifests += 1
        return report

    def _put(self, key: str, record: ArticleRecord, outlet_country: str | None) -> None:
        caucasus = record.caucasus or {}
        countries = list(caucasus.get("countries") or [])
        if outlet_country and outlet_country not in countries:
            countries.append(outlet_country)
        old = self.db.execute("SELECT rowid FROM docs WHERE id = ?", (record.id,)).fetchone()
        if old:
            self.db.execute("DELETE FROM fts WHERE rowid = ?", old)
            self.db.execute("DELETE FROM docs WHERE rowid = ?", old)
        cursor = self.db.execute(
            "INSERT INTO docs (id, record_key, source, language, first_seen, published, title, url, score, relevant,"
            " duplicate_of, cluster, countries) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (record.id, key, record.source, record.language, record.first_seen, record.published, record.title,
             record.url, float(caucasus.get("score") or 0), int(bool(caucasus.get("relevant"))), record.duplicate_of,
             record.cluster, " " + " ".join(countries) + " "),
        )
        title, text = (record.title or "")[:2000], (record.text or "")[:SEARCH_TEXT_CHARS]
        folded_title, folded_text = fold(title), fold(text)
        self.db.execute("INSERT INTO fts (rowid, title, text, folded_title, folded_text) VALUES (?, ?, ?, ?, ?)",
                        (cursor.lastrowid, title, text, folded_title if folded_title != title else "",
                         folded_text if folded_text != text else ""))

    # Searching ----------------------------------------------------------------------------

    def search(self, query: str, *, since: date | None = None, languages: Iterable[str] = (),
               country: str | None = None, limit: int = 20, relevant_only: bool = False) -> list[Hit]:
        """Records matching ``query`` (FTS5 syntax; plain words otherwise), best first."""
        if not query.strip():
            raise ConfigError("an empty query finds nothing: give a word")
        filters = (since, list(languages), country, limit, relevant_only)
        query = fold(query)
        try:
            return self._search(query, *filters)
        except sqlite3.OperationalError:
            pass
        # Not an FTS5 expression ("Nagorno-Karabakh" reads as a column filter, a stray quote...):
        # search its words as phrases, which every input is.
        words = ['"' + word.replace('"', '""') + '"' for word in query.split()]
        try:
            return self._search(" ".join(words), *filters)
        except sqlite3.OperationalError as exc:
            raise ConfigError(f"search {query!r} failed: {exc}") from exc

    def _search(self, match: str, since, languages, country, limit, relevant_only) -> list[Hit]:
        sql = ["SELECT d.id, d.title, d.source, d.language, d.first_seen, d.url, d.cluster,",
               f"bm25(fts, {TITLE_WEIGHT}, {TEXT_WEIGHT}, {TITLE_WEIGHT}, {TEXT_WEIGHT}) AS rank,",
               "snippet(fts, 1, '[', ']', '…', 12), snippet(fts, 3, '[', ']', '…', 12), fts.text",
               "FROM fts JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ?"]
        params: list = [match]
        if since:
            sql.append("AND d.first_seen >= ?")
            params.append(since.isoformat())
        if languages:
            sql.append(f"AND d.language IN ({', '.join('?' for _ in languages)})")
            params += languages
        if relevant_only:
            sql.append("AND d.relevant = 1")
        if country:
            sql.append("AND d.countries LIKE ?")
            params.append(f"% {country} %")
        sql.append("ORDER BY rank, d.first_seen, d.id LIMIT ?")
        params.append(limit)
        return [Hit(*row[:7], rank=round(row[7], 4), snippet=" ".join(_snippet(*row[8:]).split()))
                for row in self.db.execute(" ".join(sql), params)]


    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM docs").fetchone()[0]


def _snippet(plain: str | None, folded: str | None, text: str) -> str:
    """The text's snippet; when only the folded copy matched, its snippet in the original letters
    (folding maps one character to one, so positions agree)."""
    if "[" in (plain or "") or not folded or "[" not in folded:
        return plain or ""
    bare = folded.replace("[", "").replace("]", "").strip("…")
    start = fold(text).find(bare)
    if start < 0:
        return plain or ""
    original = iter(text[start:start + len(bare)])
    return "".join(ch if ch in "[]" or (ch == "…" and i in (0, len(folded) - 1)) else next(original, ch)
                   for i, ch in enumerate(folded))
