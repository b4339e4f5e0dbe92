"""Texts and pages of the eleventh probe (tests/data/probe11/README.md), as behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.article import extract_document
from extractors.fingerprint import compare_texts

DATA = Path(__file__).resolve().parent / "data" / "probe11"


def _text(name: str) -> str:
    return extract_document((DATA / name).read_bytes()).text


@pytest.mark.parametrize("original, copy", [
    ("dedup_agency_story.txt", "dedup_newspaper_copy_own_first_paragraph.txt"),
    ("dedup_wire_story.txt", "dedup_wire_copy_one_sentence_above.txt"),
])
def test_a_copy_with_a_paragraph_of_its_own_above_the_agencys_lead_is_still_a_copy(original, copy):
    assert compare_texts(_text(original), _text(copy)).duplicate


def test_two_verdicts_written_in_one_template_are_still_no_copies():
    assert not compare_texts(_text("dedup_verdict_template_a.txt"), _text("dedup_verdict_template_b.txt")).duplicate


def test_a_birthplace_says_nothing_about_where_the_news_is():
    from extractors.relevance import score_relevance

    article = extract_document((DATA / "relevance_grozny_born_fighter.txt").read_bytes())
    assert not score_relevance(article.title, article.text, language="en").relevant
    kept = score_relevance("Flooding in Grozny", "Heavy rain flooded three districts of Grozny on Tuesday, officials said.")
    assert kept.relevant  # the place itself still counts
    born = score_relevance("Singer returns home", "The Tbilisi-born singer, a native of Batumi, gave a concert in Vienna on Tuesday.")
    assert not born.relevant


@pytest.mark.parametrize("name, first, last", [
    ("ru_short_item_full_chrome.html", "В следующем году в Черкесске", "выделено 1,2 миллиарда рублей."),
    ("hy_short_item_full_chrome.html", "Վարչապետ Նիկոլ Փաշինյանը", None),
])
def test_a_short_items_text_is_its_paragraphs_without_the_byline_views_tags_and_share_bar(name, first, last):
    article = extract_document((DATA / name).read_bytes(), url="https://example-news.org/news/1")
    assert article.text.startswith(first)
    for chrome in ("Автор", "👁", "Поделиться", "Հեղինակ", "Թեգեր", "Կիսվել", "Telegram"):
        assert chrome not in article.text
    if last:
        assert article.text.endswith(last) and article.text.count("\n") == 1  # two paragraphs, as written
