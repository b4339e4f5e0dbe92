"""reprocess: re-extract stored raw pages with the current extractor, idempotently."""

from dataclasses import replace
from datetime import datetime, timezone

from config.settings import Settings
from flows.pipeline import PollOptions, load_feeds
from flows.poll import run_poll
from flows.reprocess import reprocess
from flows.seeds import import_seeds
from storage.articles import ArticleStore
from storage.check import check_store
from storage.local import LocalStore

SETTINGS = Settings(allow_private_hosts=True)


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
    assert reprocess(str(tmp_path), SETTINGS, day=today).examined == 4
    assert reprocess(str(tmp_path), SETTINGS, day=today.replace(year=today.year - 1)).examined == 0
