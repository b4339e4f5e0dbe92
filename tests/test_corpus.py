"""Nothing fetched is dropped: every article is stored, irrelevant ones flagged, and re-judged by reprocess.

The loopback site tests/data/corpus_site (see its EXPECTED.md) has short regional items
whose author and date only the feed gives, a regional item followed by lists of world
headlines, a world item followed by lists of Caucasus headlines, and a plain world item.
"""

import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from config.settings import Settings
from flows.pipeline import PollOptions, load_feeds
from flows.poll import run_poll
from flows.reprocess import reprocess
from flows.sample_site import SampleSite
from storage.articles import ArticleStore
from storage.check import check_store
from storage.local import LocalStore

SETTINGS = Settings(allow_private_hosts=True)
CORPUS_SITE = Path(__file__).resolve().parent / "data" / "corpus_site"
EXPECTED = (CORPUS_SITE / "EXPECTED.md").read_text(encoding="utf-8")


def expected_flags() -> dict[str, bool]:
    """page file → relevant, from the table in EXPECTED.md."""
    rows = re.findall(r"^\| `([\w-]+\.html)` \|.*`caucasus\.relevant = (true|false)`", EXPECTED, re.M)
    return {page: flag == "true" for page, flag in rows}


@pytest.fixture
def corpus_store(tmp_path):
    with SampleSite(CORPUS_SITE) as site:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text((CORPUS_SITE / "feeds.yaml").read_text(encoding="utf-8").replace("{base}", site.base),
                              encoding="utf-8")
        summary = run_poll(str(tmp_path / "store"), load_feeds(feeds_file), PollOptions(), SETTINGS)
    return tmp_path / "store", summary


def by_page(store: Path) -> dict:
    return {r.url.rsplit("/", 1)[1]: (key, r) for key, r in ArticleStore(LocalStore(store)).all_articles()}


def test_a_poll_stores_every_fetched_article_with_the_right_flag(corpus_store):
    store, summary = corpus_store
    records = by_page(store)
    flags = expected_flags()
    assert len(flags) == 6
    assert {page: r.caucasus["relevant"] for page, (_k, r) in records.items()} == flags
    for _key, record in records.values():
        assert record.caucasus["reason"] and record.raw_key
        if not record.caucasus["relevant"]:
            assert record.duplicate_of is None and record.cluster is None
    totals = summary.totals
    fetched_not_stored = totals["pages_fetched"] - (totals["stored"] + totals["duplicates"] + totals["irrelevant"])
    assert fetched_not_stored == 0 and totals["page_failures"] == 0
    assert totals["irrelevant"] == sum(not relevant for relevant in flags.values())
    assert check_store(LocalStore(store)).ok


def test_manifest_lines_say_which_records_are_irrelevant(corpus_store):
    store, _summary = corpus_store
    lines = [json.loads(line) for p in store.rglob("manifests/**/*.jsonl") for line in p.read_text().splitlines()]
    statuses = {line["url"].rsplit("/", 1)[1]: line["status"] for line in lines}
    assert {page for page, status in statuses.items() if status == "irrelevant"} == \
           {page for page, relevant in expected_flags().items() if not relevant}


def test_reprocess_recovers_an_article_an_older_rule_judged_irrelevant(corpus_store, capsys):
    """As if metro.html had been judged by a gazetteer without Yerevan: stored flagged, outside the index."""
    from storage.dedup_index import DedupIndex

    store, _summary = corpus_store
    articles = ArticleStore(LocalStore(store))
    key, record = by_page(store)["metro.html"]
    articles.replace_article(key, replace(record, caucasus={"relevant": False, "score": 0.0, "terms": [],
                                                            "reason": "no Caucasus terms"}, duplicate_of=None, cluster=None))

    summary = reprocess(str(store), SETTINGS)
    assert summary.now_relevant == 1 and summary.changed == 1 and not summary.failed
    recovered = articles.get_article(key)
    assert recovered.caucasus == record.caucasus and recovered.cluster and recovered.duplicate_of is None
    # it is in the near-duplicate index now: a copy of it is its duplicate
    index = DedupIndex(LocalStore(store))
    index.load_recent(datetime.now(timezone.utc))
    assert index.decide("copy-of-metro", recovered.text, title=recovered.title,
                        when=datetime.now(timezone.utc)).duplicate_of == recovered.id
    assert reprocess(str(store), SETTINGS).changed == 0
    assert check_store(LocalStore(store)).ok
    # and `articles` lists it again
    from flows.cli import main

    assert main(["articles", "--store", str(store), "--date", recovered.first_seen[:10], "--format", "json"]) == 0
    assert recovered.id in {r["id"] for r in json.loads(capsys.readouterr().out)}


def test_articles_lists_relevant_ones_and_irrelevant_lists_the_rest_with_reasons(corpus_store, capsys, monkeypatch):
    from flows.cli import main

    store, _summary = corpus_store
    day = next(iter(by_page(store).values()))[1].first_seen[:10]
    assert main(["articles", "--store", str(store), "--date", day, "--format", "json"]) == 0
    shown = {r["url"].rsplit("/", 1)[1] for r in json.loads(capsys.readouterr().out)}
    assert shown == {page for page, relevant in expected_flags().items() if relevant}

    assert main(["articles", "--store", str(store), "--date", day, "--irrelevant"]) == 0
    table = capsys.readouterr().out
    for page, (_key, record) in by_page(store).items():
        assert (record.title in table) == (not record.caucasus["relevant"])
        if not record.caucasus["relevant"]:
            assert record.caucasus["reason"] in table


def test_a_page_without_article_text_is_kept_flagged_with_the_feeds_fields(corpus_store):
    store, _summary = corpus_store
    articles = ArticleStore(LocalStore(store))
    key, record = by_page(store)["gallery.html"]
    assert record.text == "" and record.caucasus["reason"].startswith("no article text")
    assert (record.title, record.author, record.published_source) == ("Photo gallery: autumn in Dilijan", "Desk photographers", "feed")
    assert articles.get_raw(record.raw_key)  # the page is there for a better extractor
    summary = reprocess(str(store), SETTINGS)
    assert summary.changed == 0 and not summary.failed
