"""Committing a batch of articles in the crash-safe order, and finishing one a crash cut short.

Order: journal → raw pages and records (write-once, through a bounded pool) → manifest
→ dedup index, seen URLs, site memory → journal deleted. A crash at any point leaves
either nothing visible (re-fetched next time) or a journal the next run completes from
what is in the store: no record is lost, none is stored twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from extractors.errors import NotFound
from extractors.records import ArticleRecord
from flows.dedup_check import confirmed
from storage import layout, site_memory
from storage.articles import ManifestLine
from storage.state import SEEN_DUPLICATE, SEEN_IRRELEVANT, SEEN_STORED, is_stale, journals, write_journal

log = logging.getLogger("newswatch.poll")

IRRELEVANT = "irrelevant"  # the status (manifest line, PreparedArticle) of a stored, flagged article


@dataclass
class PreparedArticle:
    record: ArticleRecord
    body: bytes | None  # the raw page, or None (seeds, feed full text)
    url_keys: list[str]
    host: str = ""
    existing_day: str | None = None  # set when --force refreshes a record stored earlier
    status: str = "stored"
    meta: object | None = None  # flows.rebuild.PageMeta: the feed entry and fetch facts, kept beside the raw page
    site_blocks: tuple = ()  # ExtractedArticle.site_blocks: what the site's template memory learns


def _write_objects(ctx, items: list[tuple[PreparedArticle, str]]) -> set[str]:
    """Raw pages, then records, through a bounded pool. Returns the record keys this call wrote.

    A record that is already there (write-once ``put`` answered False) belongs to another
    writer of the same article — a feed task in another Dask worker, an overlapping run —
    which lists it in its own manifest; this batch must not list or count it again.
    """
    from flows.rebuild import meta_for_record
    from storage.pool import WritePool

    def write(item: PreparedArticle, key: str) -> str | None:
        if item.existing_day:
            ctx.articles.replace_article(key, item.record)
            return key
        _key, created = ctx.articles.put_article(item.record)
        return key if created else None

    raws = [item for item, _key in items if item.body is not None and item.record.raw_key]
    with WritePool(ctx.store, threads=min(ctx.settings.upload_threads, max(1, len(items)))) as pool:
        for future in [pool.submit(ctx.articles.put_raw, i.record.id, i.record.first_seen, i.body,
                                   replace=bool(i.existing_day)) for i in raws]:
            future.result()  # raw pages before their records
        for future in [pool.submit(ctx.articles.put_raw_meta, i.record.raw_key, meta_for_record(i.meta, i.record).to_dict(),
                                   replace=bool(i.existing_day)) for i in raws if i.meta is not None]:
            future.result()  # their metadata too: a record is only ever written with what rebuilds it
        futures = [pool.submit(write, item, key) for item, key in items]
        return {key for key in (future.result() for future in futures) if key}


KEPT = "kept"  # a refresh whose page lost most of the stored text: nothing is written
SHRUNK_SHARE = 0.5


def _words(text: str) -> int:
    return len(text.split())


def _shrunk(stored: str, fresh: str) -> bool:
    """Does a refreshed page give less than half the stored text's words?"""
    return _words(fresh) < SHRUNK_SHARE * _words(stored)


def _decide_duplicates(ctx, items: list[PreparedArticle], result) -> None:
    todo = []
    for item in items:
        record = item.record
        if item.status == IRRELEVANT and not item.existing_day:
            # Not a story: kept out of the dedup index (a relevant copy of it is an original);
            # a reprocess that finds it relevant adds it then.
            item.record = replace(record, duplicate_of=None, cluster=None)
            continue
        if item.existing_day:
            try:
                old = ctx.articles.get_article(layout.article_key(record.id, item.existing_day))
                if _shrunk(old.text, record.text):
                    # a paywall, a consent wall, an error page or a removed article now stands where
                    # the story was: the stored record and raw page are the better copy, so they stay
                    log.warning("kept the stored %s: its page now gives %d words against %d stored",
                                record.url, _words(record.text), _words(old.text))
                    item.status = KEPT
                    continue
                item.record = replace(record, first_seen=old.first_seen, duplicate_of=old.duplicate_of,
                                      cluster=old.cluster, raw_key=old.raw_key or record.raw_key)
                item.status = "refreshed"
                continue
            except NotFound:
                item.existing_day = None  # the record is gone: store it as new
        todo.append(item)
    if not todo:
        return
    # One call per batch: fingerprints are computed together (vectorised), then looked up and
    # added in order under the index's own lock, so two feeds cannot both claim "original" and
    # an article copying an earlier one of the same batch is its duplicate.
    decisions = ctx.dedup.decide_and_add_many(
        [(i.record.id, i.record.text, i.record.title, layout.as_utc(i.record.first_seen)) for i in todo])
    texts_here = {i.record.id: i.record.text for i in todo}
    for item, decision in zip(todo, decisions):
        if decision.duplicate_of == item.record.id:  # this very article, stored by an interrupted run
            decision = replace(decision, duplicate_of=None, exact=False)
        decision = confirmed(decision, item.record.text, texts_here, ctx.articles)
        item.record = replace(item.record, duplicate_of=decision.duplicate_of, cluster=decision.cluster,
                              content_hash=decision.content_hash)
        item.status = "duplicate" if decision.duplicate_of else "stored"


def commit_batch(ctx, batch_name: str, items: list[PreparedArticle], result) -> None:
    """Store a batch (one feed's new articles) crash-safely and count the outcome in ``result``."""
    batch_id = f"{ctx.run_id}-{layout.safe_id(batch_name)}"
    if not items:
        _flush_state(ctx, batch_id)
        return
    for item in items:
        if ctx.settings.store_raw and item.body is not None:
            item.record = replace(item.record, raw_key=layout.raw_key(item.record.id, item.record.first_seen))
    _decide_duplicates(ctx, items, result)
    items = [item for item in items if item.status != KEPT]
    keyed = [(item, layout.article_key(item.record.id, item.existing_day or item.record.first_seen)
              if item.record.source != "seed" else layout.seed_key(item.record.id)) for item in items]
    # What the site memory learns of the pages, prepared before the writes start (pure CPU).
    by_host: dict[str, list] = {}
    for item, _key in keyed:
        by_host.setdefault(item.host, []).append((item.record.id, item.record.text.split("\n"), item.site_blocks))
    sites = {host: (documents, site_memory.encode_observations(documents)) for host, documents in by_host.items() if host}
    journal = write_journal(ctx.store, batch_id, [_journal_item(item, key) for item, key in keyed], run_id=ctx.run_id)

    written = _write_objects(ctx, keyed)
    lines = [ManifestLine.from_record(item.record, key, item.status) for item, key in keyed if key in written]
    ctx.articles.write_manifest(batch_id, ctx.now, lines)

    for item, key in keyed:
        status = {"duplicate": SEEN_DUPLICATE}.get(item.status, SEEN_STORED if _relevant(item.record) else SEEN_IRRELEVANT)
        ctx.seen.mark(item.url_keys, status, item.record.first_seen)
        if key not in written:
            result.stored_elsewhere += 1  # stored by another writer of this article
        elif item.status == IRRELEVANT:
            result.irrelevant += 1
        elif item.status == "duplicate":
            result.duplicates += 1
        elif item.status == "refreshed":
            result.refreshed += 1
        else:
            result.stored += 1
        if key in written:
            result.new_articles.append({"id": item.record.id, "title": item.record.title, "url": item.record.url,
                                        "language": item.record.language, "status": item.status,
                                        "score": (item.record.caucasus or {}).get("score"),
                                        "cluster": item.record.cluster})
    _flush_state(ctx, batch_id, sites)
    ctx.store.delete(journal)


def _relevant(record: ArticleRecord) -> bool:
    return bool((record.caucasus or {}).get("relevant"))


def _flush_state(ctx, label: str = "", sites: dict[str, tuple] | None = None) -> None:
    """The batch's dedup and seen segments and what the site memory learnt of its pages
    (``sites``: host → (documents, their encoded segment), ``ctx.learn_site``), written at once:
    each is an independent write-once object, so their round trips (an fsync, an S3 PUT) overlap."""
    from concurrent.futures import ThreadPoolExecutor

    sites = {host: site for host, site in (sites or {}).items() if host and site[0]}
    with ctx.lock:
        if ctx._dedup is None and not sites:
            ctx.seen.flush(ctx.now, label)
            return
        with ThreadPoolExecutor(max_workers=2 + len(sites), thread_name_prefix="state-flush") as pool:
            writes = [pool.submit(ctx.seen.flush, ctx.now, label)]
            writes += [pool.submit(ctx.dedup.flush, label)] if ctx._dedup is not None else []
            writes += [pool.submit(ctx.learn_site, host, documents, encoded) for host, (documents, encoded) in sites.items()]
            for write in writes:
                write.result()


def _journal_item(item: PreparedArticle, key: str) -> dict:
    meta = {k: v for k, v in item.record.to_dict().items() if k != "text"}
    return {"id": item.record.id, "key": key, "raw_key": item.record.raw_key, "url_keys": item.url_keys,
            "status": item.status, "day": item.record.first_seen, "record": meta}


def recover_journals(ctx, now: datetime | None = None) -> int:
    """Finish batches that a crashed run left half done, at once. Returns how many records were recovered.

    A journal whose run still lives (its lease, storage/run_lease.py) is left alone and its URLs
    are claimed for this run; a journal from before leases existed falls back to its age. The
    pages of a finished batch that never got their record go to the retry queue, due now.
    """
    from storage.run_lease import forget_dead_leases, run_is_alive

    now = now or datetime.now(timezone.utc)
    recovered = 0
    for journal_key, journal in list(journals(ctx.store)):
        alive = run_is_alive(ctx.store, journal["run"], now) if journal.get("run") else not is_stale(journal, now)
        if alive:
            for item in journal.get("items", []):
                for key in item.get("url_keys") or []:
                    ctx.claim(key)
            continue
        recovered += _finish_journal(ctx, journal_key, journal, now)
    forget_dead_leases(ctx.store, now)
    return recovered


def _finish_journal(ctx, journal_key: str, journal: dict, now: datetime) -> int:
    from storage.dedup_index import DedupDecision
    from storage.retry_queue import RetryItem

    batch_id = journal.get("batch", "recovered")
    lines, survivors = [], []
    for item in journal.get("items", []):
        try:
            record = ctx.articles.get_article(item["key"])
        except NotFound:
            if item.get("raw_key"):
                ctx.store.delete(item["raw_key"])  # the record never made it: it is fetched again, now
                ctx.store.delete(layout.raw_meta_key(item["raw_key"]))
            meta = item.get("record") or {}
            if meta.get("url") and meta.get("source") not in (None, "seed"):
                ctx.retry.enqueue("recovery", RetryItem(
                    key=layout.url_key(meta["url"]), feed_id=meta["source"], link=meta["url"], title=meta.get("title") or "",
                    published=meta.get("published"), reason="batch cut short by a crash"), now)
            continue
        lines.append(ManifestLine.from_record(record, item["key"], item.get("status", "stored")))
        survivors.append((item, record))
    if lines:
        day = lines[0].first_seen
        if not ctx.store.exists(layout.manifest_key(batch_id, day)):
            ctx.articles.write_manifest(batch_id, day, lines)
        for item, record in survivors:
            if item.get("status") == IRRELEVANT:  # never in the dedup index (see _decide_duplicates)
                ctx.seen.mark(item.get("url_keys") or [record.id], SEEN_IRRELEVANT, record.first_seen)
                continue
            # The record holds the decision the crashed run made: re-add exactly that.
            decision = DedupDecision(content_hash=record.content_hash, duplicate_of=record.duplicate_of,
                                     exact=False, similarity=0.0, cluster=record.cluster or record.id)
            ctx.dedup.add(record.id, decision, text=record.text, title=record.title,
                          when=layout.as_utc(record.first_seen))
            status = SEEN_DUPLICATE if record.duplicate_of else SEEN_STORED
            ctx.seen.mark(item.get("url_keys") or [record.id], status, record.first_seen)
        _flush_state(ctx, batch_id)
    ctx.retry.flush(ctx.run_id, "recovery", now)  # queued before the journal goes: nothing is forgotten
    ctx.store.delete(journal_key)
    log.warning("recovered %d record(s) from interrupted batch %s", len(lines), batch_id)
    return len(lines)
