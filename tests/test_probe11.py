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


def test_an_endless_page_gives_the_story_its_url_names_not_the_next_one_loaded_below_it():
    page = (DATA / "ru_endless_page_next_story.html").read_bytes()
    article = extract_document(page, url="https://example-news.am/society/20261112/northern-avenue.html")
    assert "Северный проспект" in article.text and "Севан" not in article.text
    # fetched at the second story's address, the page gives that one
    other = extract_document(page, url="https://example-news.am/society/20261112/lake-sevan.html")
    assert "Севан" in other.text and "Северн" not in other.text


def test_an_empty_or_broken_address_attribute_and_a_comment_box_naming_the_page_change_nothing():
    from lxml import html as lxml_html

    from extractors.page_items import keep_story_named_by_url

    body = " ".join(["The council approved the plan for the avenue after a long debate."] * 6)
    page = (f'<html><body><a data-url="">x</a><a data-url="http://[abc/">y</a><div class="story"><p>{body}</p></div>'
            '<div class="fb-comments" data-href="https://example.am/a/1"></div>'
            '<div data-url="/other/2"><p>Another block of text that names another address entirely.</p></div></body></html>')
    tree = lxml_html.document_fromstring(page)
    assert not keep_story_named_by_url(tree, "https://example.am/a/1")
    assert body[:40] in tree.text_content()


def test_an_old_table_layout_pages_article_comes_out_as_paragraphs_not_table_rows():
    article = extract_document((DATA / "ru_old_table_layout_cp1251.html").read_bytes(), url="http://iriston.example/news/1")
    lines = article.text.split("\n")
    opening = next(i for i, line in enumerate(lines) if line.startswith("Во Владикавказе в воскресенье"))
    assert lines[opening + 1].startswith("Автором памятника") and not any(line.startswith("| ") for line in lines)
    assert "Версия для печати" not in article.text  # the page's tool bar


def test_the_dates_in_other_stories_links_are_not_the_pages_date():
    article = extract_document((DATA / "ru_ticker_link_dates.html").read_bytes(), url="https://example-news.ge/news/abc")
    assert article.published is None or not article.published.startswith("2026-11-13")


@pytest.mark.parametrize("title, countries", [
    ("Хуссар Ирыстоны Цхинвалы байгом ног скъола", ["ge"]),  # South Ossetia, in Ossetian
    ("Цӕгат Ирыстоны Дзӕуджыхъӕуы байгом ног скъола", ["ru-north-caucasus"]),  # North Ossetia
])
def test_north_and_south_ossetia_in_ossetian_are_told_apart(title, countries):
    from extractors.relevance import score_relevance

    judged = score_relevance(title, title + ".", language="os")
    assert judged.relevant and judged.countries == countries


def test_a_site_title_link_marked_rel_author_is_the_site_not_the_writer():
    page = (DATA / "ka_jekyll_site_title_rel_author.html").read_bytes()
    article = extract_document(page, url="https://mtis-blog.example.ge/2026/11/12/ushguli.html")
    assert article.author == "დავით ქალდანი"
