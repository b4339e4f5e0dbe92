"""Recurring template items and short wire items are not copies: the index's suspicion is checked
on the texts (flows/dedup_check.py), as `newswatch compare` checks a pair.

Fixtures tests/data/dedup/recurring/: the same wording on two days with other figures (exchange
rates in en and ru, two earthquakes), two road accidents in one agency's style (Jaccard 0.44, which
a 16-bin sketch can put over the line), and real copies of one report (figures edited, an update,
the first 60 %) that must stay duplicates.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from extractors.fingerprint import compare_texts, copy_of, figures_disagree
from extractors.records import ArticleRecord
from flows.dedup_check import confirmed
from storage.articles import ArticleStore
from storage.dedup_index import DedupIndex
from storage.local import LocalStore

DATA = Path(__file__).resolve().parent / "data" / "dedup" / "recurring"
DAY_1 = datetime(2026, 12, 3, 9, tzinfo=timezone.utc)
DAY_2 = datetime(2026, 12, 4, 9, tzinfo=timezone.utc)
RECURRING = [("fx_1.txt", "fx_2.txt"), ("ru_fx1.txt", "ru_fx2.txt"), ("eq_1.txt", "eq_2.txt"), ("acc_1.txt", "acc_2.txt")]
COPIES = [("en_base.txt", "en_edits.txt"), ("en_base.txt", "en_update.txt"), ("en_base.txt", "en_short60.txt")]


def text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("first, second", RECURRING)
def test_a_recurring_item_or_another_event_in_the_same_words_is_no_copy(first, second):
    assert not copy_of(text(first), text(second))[0]
    assert not compare_texts(text(first), text(second)).duplicate


@pytest.mark.parametrize("first, second", COPIES)
def test_a_copy_with_an_edited_figure_an_update_or_a_cut_is_still_a_copy(first, second):
    assert copy_of(text(first), text(second))[0]
    assert not figures_disagree(text(first), text(second))


def _record(name: str, when: datetime) -> ArticleRecord:
    return ArticleRecord(id=name.removesuffix(".txt"), url=f"https://news.example.org/{name}", canonical_url=None,
                         title=text(name).split("\n")[0], author="", published=None, language="en", caucasus={},
                         content_hash="", text=text(name), source="wire", first_seen=when.isoformat())


@pytest.mark.parametrize("first, second", RECURRING + COPIES)
def test_the_pipeline_keeps_an_index_suspicion_only_when_the_texts_confirm_it(tmp_path, first, second):
    store = LocalStore(tmp_path)
    articles = ArticleStore(store)
    original, later = _record(first, DAY_1), _record(second, DAY_2)
    articles.put_article(original)  # yesterday's item, stored by yesterday's poll
    index = DedupIndex(store)
    index.decide_and_add_many([(original.id, original.text, original.title, DAY_1)])
    [suspicion] = index.decide_and_add_many([(later.id, later.text, later.title, DAY_2)])
    decision = confirmed(suspicion, later.text, {}, articles)  # the original read from the store
    expected_copy = (first, second) in COPIES
    assert (decision.duplicate_of == original.id) is (expected_copy and suspicion.duplicate_of is not None)
    assert decision.cluster == suspicion.cluster  # one running story either way
    in_batch = confirmed(suspicion, later.text, {original.id: original.text}, articles=None)
    assert in_batch.duplicate_of == decision.duplicate_of


def test_the_index_does_suspect_the_recurring_items_so_the_check_is_what_keeps_them():
    suspected = 0
    for first, second in RECURRING:
        index = DedupIndex(LocalStore.__new__(LocalStore))  # never flushed: no store needed
        index.decide_and_add_many([("a", text(first), "", DAY_1)])
        [decision] = index.decide_and_add_many([("b", text(second), "", DAY_2)])
        suspected += decision.duplicate_of == "a"
    assert suspected >= 2
