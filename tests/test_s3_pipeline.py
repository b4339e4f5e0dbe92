"""import-seeds and a poll of a loopback site into a real S3-protocol server (moto, over HTTP)."""

from collections import Counter

import pytest

from config.settings import Settings
from flows.pipeline import PollOptions, load_feeds
from flows.poll import run_poll
from flows.seeds import import_seeds
from storage import open_store
from storage.articles import ArticleStore
from storage.check import check_store

pytestmark = pytest.mark.slow

SETTINGS = Settings(allow_private_hosts=True)


def test_seeds_and_poll_into_s3_behave_as_on_a_directory(site, site_feeds, s3_uri, tmp_path):
    feeds = load_feeds(site_feeds)
    seeds = import_seeds(s3_uri, None, SETTINGS)
    first = run_poll(s3_uri, feeds, PollOptions(), SETTINGS)
    second = run_poll(s3_uri, feeds, PollOptions(), SETTINGS)
    again = import_seeds(s3_uri, None, SETTINGS)

    local = str(tmp_path / "local")
    import_seeds(local, None, SETTINGS)
    run_poll(local, feeds, PollOptions(), SETTINGS)

    s3_articles = ArticleStore(open_store(s3_uri, SETTINGS))
    local_articles = ArticleStore(open_store(local, SETTINGS))
    on_s3 = {r.canonical_url: r for _k, r in s3_articles.all_articles()}
    on_disk = {r.canonical_url: r for _k, r in local_articles.all_articles()}
    assert seeds.imported + seeds.duplicates == 5 and again.imported == 0
    assert sorted(on_s3) == sorted(on_disk)
    assert Counter(r.id for _k, r in s3_articles.all_articles()).most_common(1)[0][1] == 1
    assert {u: (r.title, r.text, r.duplicate_of is None) for u, r in on_s3.items()} == \
           {u: (r.title, r.text, r.duplicate_of is None) for u, r in on_disk.items()}
    assert first.totals["stored"] >= 1 and second.totals["stored"] == 0
    assert second.totals["feeds_not_modified"] == len(feeds)
    assert check_store(open_store(s3_uri, SETTINGS)).ok
