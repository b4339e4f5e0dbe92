"""Re-extract stored raw pages with the current extractor, without fetching again.

Records keep their id, URL, source, first_seen, dedup decision and raw page; text, title,
author, date, language and relevance are recomputed from the raw page and the feed metadata
kept beside it (flows.rebuild), the same way the poll computed them. Only records that change are
rewritten, and a ``reprocess-…`` manifest lists them (a later manifest line for an id
wins), so running it twice changes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date

from config.settings import Settings
from extractors.article import extract_document, make_record
from extractors.errors import NewswatchError, NotFound, Unreadable
from extractors.gazetteer import load_gazetteer
from extractors.urls import host_of
from flows.dedup_check import confirmed
from flows.rebuild import PageMeta, rebuild_record
from flows.progress import track
from storage import layout, open_store
from storage.articles import ArticleStore, ManifestLine

log = logging.getLogger("newswatch.reprocess")

RECOMPUTED = ("text", "title", "author", "published", "published_source", "language", "language_confidence",
              "language_method", "caucasus", "content_hash", "extractor")
FEED_FIELDS = ("title", "author", "published")  # what a feed entry gives when the page does not


@dataclass
class ReprocessSummary:
    store: str
    scope: str
    examined: int = 0
    changed: int = 0
    unchanged: int = 0
    no_raw: int = 0
    now_relevant: int = 0  # stored as irrelevant, relevant under the current rules (then de-duplicated)
    now_irrelevant: int = 0
    failed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return self.__dict__.copy()

    def to_text(self) -> str:
        return (f"reprocess {self.scope} in {self.store}: {self.examined} records, {self.changed} changed, "
                f"{self.unchanged} unchanged, {self.no_raw} without raw page, {len(self.failed)} failed; "
                f"{self.now_relevant} now relevant, {self.now_irrelevant} now irrelevant")


def site_boilerplate(store, host: str, cache: dict) -> frozenset[str]:
    """The site memory's known boilerplate and template paths for a host (cached per run)."""
    if host not in cache:
        from flows.context import known_boilerplate

        cache[host] = known_boilerplate(store, host)
    return cache[host]


def reprocess_record(articles: ArticleStore, record, gazetteer=None,
                     known_boilerplate: frozenset[str] = frozenset()) -> "object | None":
    """The record re-extracted from its raw page, or None when it has none.

    With the page's metadata (``raw-meta/``) the record is rebuilt exactly as the poll built
    it (flows.rebuild), so what came from the feed (author, date, title) stays. A page kept
    before metadata was: re-extracted from the page alone, and a feed field the page does
    not give keeps its stored value (the record is then the only witness of the feed).
    """
    if not record.raw_key:
        return None
    body = articles.get_raw(record.raw_key)
    meta = articles.get_raw_meta(record.raw_key)
    if meta is not None:
        try:
            page_meta = PageMeta.from_dict(meta)
        except (ValueError, TypeError) as exc:
            raise Unreadable(f"damaged page metadata of {record.raw_key}: {str(exc)[:80]}") from None
        fresh = rebuild_record(body, page_meta, raw_key=record.raw_key, gazetteer=gazetteer,
                               known_boilerplate=known_boilerplate)
        return replace(record, **{name: getattr(fresh, name) for name in RECOMPUTED})
    url = record.url if record.url.startswith("http") else None
    extracted = extract_document(body, url=url, known_boilerplate=known_boilerplate)
    fresh = make_record(extracted, article_id=record.id, url=record.url, canonical_url=record.canonical_url,
                        source=record.source, first_seen=layout.as_utc(record.first_seen), raw_key=record.raw_key,
                        gazetteer=gazetteer)
    changes = {name: getattr(fresh, name) for name in RECOMPUTED}
    for name in FEED_FIELDS:
        if not changes[name] and getattr(record, name):
            changes[name] = getattr(record, name)
    if changes["published"] == record.published:
        changes["published_source"] = record.published_source
    return replace(record, **changes)


def reprocess(store_uri: str, settings: Settings, *, day: date | None = None, run_id: str | None = None) -> ReprocessSummary:
    store = open_store(store_uri, settings, must_exist=True)
    articles = ArticleStore(store)
    run_id = run_id or "reprocess-" + layout.new_run_id()
    summary = ReprocessSummary(store=store.describe(), scope=day.isoformat() if day else "all")
    items = track(articles.articles_for_day(day) if day else articles.all_articles(), desc="reprocess", unit="record")
    changed: dict[str, list[ManifestLine]] = {}
    recovered: list[tuple[str, object]] = []  # records stored irrelevant that the current rules find relevant
    site_memory: dict[str, frozenset[str]] = {}  # host -> what the site memory knows (templates, boilerplate)
    try:
        for key, record in items:
            summary.examined += 1
            try:
                known = site_boilerplate(store, host_of(record.url), site_memory)
                fresh = reprocess_record(articles, record, load_gazetteer(settings.topics_file), known)
            except NotFound as exc:
                # its raw page is gone (store check names it): the record stays as it is, as one
                # without a raw page does; a failure here made every later reprocess fail for good
                summary.no_raw += 1
                log.warning("reprocess %s: %s is missing; the record is kept as it is", key, exc)
                continue
            except (NewswatchError, OSError) as exc:
                summary.failed.append(f"{key}: {exc}")
                log.warning("reprocess %s failed: %s", key, exc)
                continue
            if fresh is None:
                summary.no_raw += 1
                continue
            if fresh == record:
                summary.unchanged += 1
                continue
            if _newly_relevant(record, fresh):
                recovered.append((key, fresh))  # written once its dedup decision is made
                continue
            articles.replace_article(key, fresh)
            summary.changed += 1
            summary.now_irrelevant += _relevant(record) and not _relevant(fresh)
            changed.setdefault(layout.day_path(fresh.first_seen), []).append(
                ManifestLine.from_record(fresh, key, "reprocessed"))
        for key, fresh in _index_recovered(store, recovered):
            articles.replace_article(key, fresh)
            summary.changed += 1
            summary.now_relevant += 1
            changed.setdefault(layout.day_path(fresh.first_seen), []).append(
                ManifestLine.from_record(fresh, key, "reprocessed"))
        for day_key, lines in changed.items():
            articles.write_manifest(run_id, day_key.replace("/", "-"), lines)
    finally:
        store.close()
    return summary


def _relevant(record) -> bool:
    return bool((record.caucasus or {}).get("relevant"))


def _newly_relevant(old, fresh) -> bool:
    """Relevant now, and never in the dedup index (stored as irrelevant: no cluster)."""
    return _relevant(fresh) and not old.cluster and not old.duplicate_of and old.source != "seed"


def _index_recovered(store, items: list) -> list:
    """Dedup decisions for records that became relevant, in first-seen order, as a poll makes them.

    They join the near-duplicate index like new articles of their day: an earlier relevant copy
    makes them its duplicate, and they start or join a story cluster.
    """
    if not items:
        return []
    from storage.dedup_index import DedupIndex

    items = sorted(items, key=lambda item: layout.as_utc(item[1].first_seen))
    index = DedupIndex(store)
    index.load_recent(layout.as_utc(items[-1][1].first_seen))
    decisions = index.decide_and_add_many(
        [(r.id, r.text, r.title, layout.as_utc(r.first_seen)) for _key, r in items])
    index.flush()
    out = []
    texts_here = {record.id: record.text for _key, record in items}
    articles = ArticleStore(store)
    for (key, record), decision in zip(items, decisions):
        decision = confirmed(decision, record.text, texts_here, articles)
        duplicate_of = decision.duplicate_of if decision.duplicate_of != record.id else None
        out.append((key, replace(record, duplicate_of=duplicate_of, cluster=decision.cluster,
                                 content_hash=decision.content_hash)))
    return out
