"""reprocess: re-extract stored raw pages with the current extractor, idempotently."""

from dataclasses import replace
from pathlib import Path
from datetime import datetime, timezone

import pytest

from config.settings import Settings
from flows.pipeline import PollOptions, load_feeds
from flows.poll import run_poll
from flows.reprocess import reprocess
from flows.seeds import import_seeds
from flows.sample_site import SampleSite
from storage import layout
from storage.articles import ArticleStore
from storage.check import check_store
from storage.local import LocalStore

SETTINGS = Settings(allow_private_hosts=True)
CORPUS_SITE = Path(__file__).resolve().parent / "data" / "corpus_site"


def test_reprocess_restores_records_made_by_an_older_extractor_and_is_idempotent(site, site_feeds, tmp_path):
    import_seeds(str(tmp_path), None, SETTINGS)
    run_poll(str(tmp_path), load_feeds(site_feeds), PollOptions(), SETTINGS)
    articles = ArticleStore(LocalStore(tmp_path))
    current = dict(articles.all_articles())

    untouched = reprocess(str(tmp_path), SETTINGS)
    assert untouched.changed == 0 and untouched.unchanged == len(current) and not untouched.failed

    # Pretend two records came from an older, worse extractor.
    stale_keys = sorted(current)[:2]
    for key in stale_keys:
        old = current[key]
        articles.replace_article(key, replace(old, text=old.text + "\nShare this article\nRelated posts",
                                              extractor="newswatch-html/0", title="Old title"))
    fixed = reprocess(str(tmp_path), SETTINGS)
    assert fixed.changed == 2
    assert dict(articles.all_articles()) == current
    lines = [line for key in articles.store.list("manifests/") if "reprocess" in key for line in articles.read_manifest(key)]
    assert sorted(line.key for line in lines) == stale_keys and {line.status for line in lines} == {"reprocessed"}
    assert reprocess(str(tmp_path), SETTINGS).changed == 0
    assert check_store(LocalStore(tmp_path)).ok


def test_reprocess_of_one_day_touches_only_that_day(site, site_feeds, tmp_path):
    run_poll(str(tmp_path), load_feeds(site_feeds), PollOptions(), SETTINGS)
    today = datetime.now(timezone.utc).date()
    assert reprocess(str(tmp_path), SETTINGS, day=today).examined == 5
    assert reprocess(str(tmp_path), SETTINGS, day=today.replace(year=today.year - 1)).examined == 0


FEED_FIELDS = ("title", "author", "published", "published_source", "url", "source")


def test_reprocess_right_after_a_poll_changes_no_field_that_came_from_the_feed(tmp_path):
    """tests/data/corpus_site: two pages carry no byline and no date; only the feed gives them."""
    with SampleSite(CORPUS_SITE) as site:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text((CORPUS_SITE / "feeds.yaml").read_text(encoding="utf-8").replace("{base}", site.base),
                              encoding="utf-8")
        store = tmp_path / "store"
        run_poll(str(store), load_feeds(feeds_file), PollOptions(), SETTINGS)
    articles = ArticleStore(LocalStore(store))
    polled = dict(articles.all_articles())
    from_feed_only = [r for r in polled.values()
                      if r.author and r.author not in articles.get_raw(r.raw_key).decode("utf-8")]
    assert len(from_feed_only) >= 2 and sum(r.published_source == "feed" for r in from_feed_only) >= 2

    summary = reprocess(str(store), SETTINGS)
    assert summary.changed == 0 and not summary.failed and summary.no_raw == 0
    after = dict(articles.all_articles())
    for key, record in polled.items():
        assert {f: getattr(after[key], f) for f in FEED_FIELDS} == {f: getattr(record, f) for f in FEED_FIELDS}


def test_reprocess_of_a_page_kept_without_metadata_keeps_the_stored_feed_fields(site, site_feeds, tmp_path):
    """Stores written before metadata was kept: the record is the only witness of the feed."""
    run_poll(str(tmp_path), load_feeds(site_feeds), PollOptions(), SETTINGS)
    articles = ArticleStore(LocalStore(tmp_path))
    key, record = next((k, r) for k, r in articles.all_articles() if r.raw_key)
    articles.store.delete(layout.raw_meta_key(record.raw_key))
    articles.replace_article(key, replace(record, author="Feed-only Author"))
    reprocess(str(tmp_path), SETTINGS)
    assert articles.get_article(key).author in ("Feed-only Author", record.author)
    assert articles.get_article(key).published == record.published


def test_every_raw_page_has_its_feed_metadata_beside_it(site, site_feeds, tmp_path):
    from flows.rebuild import PageMeta, rebuild_record

    run_poll(str(tmp_path), load_feeds(site_feeds), PollOptions(), SETTINGS)
    articles = ArticleStore(LocalStore(tmp_path))
    stored = [r for _k, r in articles.all_articles() if r.raw_key]
    assert stored
    for record in stored:
        meta = PageMeta.from_dict(articles.get_raw_meta(record.raw_key))
        assert (meta.article_id, meta.first_seen, meta.feed_id, meta.link) == (record.id, record.first_seen, record.source, record.url)
        assert meta.final_url.startswith("http") and meta.content_type.startswith("text/html") and meta.fetched_at
        rebuilt = rebuild_record(articles.get_raw(record.raw_key), meta, raw_key=record.raw_key)
        assert replace(rebuilt, duplicate_of=record.duplicate_of, cluster=record.cluster) == record


def test_store_check_repair_rebuilds_a_lost_record_from_its_raw_page_and_feed_metadata(tmp_path):
    from flows.cli_store import _rebuild_record

    with SampleSite(CORPUS_SITE) as site:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text((CORPUS_SITE / "feeds.yaml").read_text(encoding="utf-8").replace("{base}", site.base),
                              encoding="utf-8")
        run_poll(str(tmp_path / "store"), load_feeds(feeds_file), PollOptions(), SETTINGS)
    store = LocalStore(tmp_path / "store")
    articles = ArticleStore(store)
    lost = {key: record for key, record in articles.all_articles() if record.published_source == "feed"}
    assert lost
    for key in lost:
        store.delete(key)
    report = check_store(store, repair=True, rebuild_record=_rebuild_record(store))
    assert report.repaired >= len(lost)
    for key, record in lost.items():
        rebuilt = articles.get_article(key)
        assert {f: getattr(rebuilt, f) for f in FEED_FIELDS + ("text", "caucasus")} == \
               {f: getattr(record, f) for f in FEED_FIELDS + ("text", "caucasus")}
    assert check_store(store).ok


def test_reprocess_leaves_a_record_whose_raw_page_is_damaged_or_gone_and_counts_it_failed_or_skipped(site, site_feeds, tmp_path):
    run_poll(str(tmp_path), load_feeds(site_feeds), PollOptions(), SETTINGS)
    store = LocalStore(tmp_path)
    articles = ArticleStore(store)
    before = dict(articles.all_articles())
    with_raw = sorted(key for key, record in before.items() if record.raw_key)
    truncated, emptied, lost = (before[key].raw_key for key in with_raw[:3])
    store.put(truncated, store.get(truncated)[:40])  # a disk that filled up mid-write
    store.put(emptied, b"")  # a hand that emptied the file
    store.delete(lost)

    summary = reprocess(str(tmp_path), SETTINGS)  # ends: one damaged page is no reason to stop the run
    assert len(summary.failed) == 2 and summary.changed == 0
    assert "damaged" in " ".join(summary.failed) and "empty" in " ".join(summary.failed)
    # a page that is gone is what `store check` warns of ("reprocess will skip it"): skipped, not a
    # failure that no repair can clear and that every later reprocess would report again
    assert summary.no_raw == 1 and "missing" not in " ".join(summary.failed)
    assert dict(articles.all_articles()) == before  # no record re-extracted from nothing


@pytest.mark.parametrize("content", [bytes(range(256)) * 2, b"[]", b'{"feed_id": 5}'])
def test_reprocess_counts_a_record_whose_page_metadata_is_damaged_as_failed_and_goes_on(site, site_feeds, tmp_path, content):
    run_poll(str(tmp_path), load_feeds(site_feeds), PollOptions(), SETTINGS)
    store = LocalStore(tmp_path)
    articles = ArticleStore(store)
    with_raw = sorted(key for key, record in articles.all_articles() if record.raw_key)
    raw_key = articles.get_article(with_raw[0]).raw_key
    store.put(layout.raw_meta_key(raw_key), content)
    summary = reprocess(str(tmp_path), SETTINGS)
    assert len(summary.failed) == 1 and "metadata" in summary.failed[0]
    assert summary.examined == sum(1 for _ in articles.all_articles())  # every record was looked at
