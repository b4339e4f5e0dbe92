"""Texts of the tenth probe (tests/data/probe10/README.md), as behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.article import extract_document, too_short
from extractors.errors import ExtractionError
from extractors.fingerprint import compare_texts

DATA = Path(__file__).resolve().parent / "data" / "probe10"


def _read(name: str):
    return extract_document((DATA / name).read_bytes())


@pytest.mark.parametrize("name, lines, title", [
    ("bulletin_prices_week1.txt", 9, "Georgia weekly food prices: bread, eggs up; potatoes down"),
    ("ru_rates_march12.txt", 7, "Курсы валют в Азербайджане на 12 марта"),
    ("results_by_constituency.txt", 8, "Azerbaijan parliamentary election: preliminary results by constituency"),
])
def test_a_list_or_table_a_sentence_introduces_with_a_colon_is_kept_in_the_body(name, lines, title):
    article = _read(name)
    assert article.title == title
    body = article.text.split("\n")
    assert len(body) == lines and body[0].endswith(":")


@pytest.mark.parametrize("first, second", [
    ("bulletin_prices_week1.txt", "bulletin_prices_week2.txt"),
    ("ru_rates_march12.txt", "ru_rates_march13.txt"),
])
def test_two_editions_of_one_bulletin_with_other_figures_are_no_duplicates(first, second):
    comparison = compare_texts(_read(first).text, _read(second).text)
    assert not comparison.duplicate


@pytest.mark.parametrize("name, title", [
    ("ru_flash_one_sentence.txt", "Землетрясение в Спитаке"),
    ("az_flash_one_sentence.txt", "Lənkəranda güclü külək"),
    ("uk_flash_one_sentence.txt", "Вибух у Сухумі"),
])
def test_a_one_sentence_flash_under_its_headline_is_an_article(name, title):
    article = _read(name)
    assert article.title == title and article.text.endswith(".") and "\n" not in article.text


def test_a_headline_alone_is_still_no_article():
    with pytest.raises(ExtractionError):
        _read("ru_headline_only.txt")


@pytest.mark.parametrize("text", ["Page not found.", "404", "Share this:", "Найдёте ошибку? Выделите её и нажмите Ctrl+Enter.",
                                  "Read more", "Photo: AFP", "This article is available to subscribers only.",
                                  "We use cookies to improve your experience.", "Для продолжения чтения оформите подписку."])
def test_stubs_labels_and_notices_are_too_short_to_be_an_article(text):
    assert too_short(text, "Border talks resume in Tbilisi")


def test_a_page_whose_article_is_one_short_sentence_gives_that_sentence_not_its_menu():
    page = (DATA / "az_flash_page.html").read_bytes()
    article = extract_document(page, url="https://xeber.example.az/news/1")
    assert article.text == "Lənkəranda güclü külək ağacları aşırıb." and article.title == "Lənkəranda güclü külək"


def test_teasers_of_other_articles_under_a_related_label_inside_the_body_are_not_the_article():
    page = (DATA / "az_teasers_inside_body.html").read_bytes()
    article = extract_document(page, url="https://xeber.example.az/medeniyyet/551203")
    assert article.text.count("\n") == 2 and article.text.startswith("Şuşada keçirilən")
    assert "Xalça" not in article.text and "Ağdamda" not in article.text and "Noyabr" not in article.text


def _page(name: str, url: str):
    return extract_document((DATA / name).read_bytes(), url=url)


def test_an_armenian_last_updated_line_is_an_update_not_the_publication_day():
    article = _page("hy_k2_updated_line.html", "https://example-news.am/hasarakutyun/item/4512")
    assert article.published.startswith("2026-11-12")


def test_a_page_without_heading_tags_has_its_date_line_under_the_block_that_holds_its_title():
    article = _page("hy_page_builder_no_headings.html", "https://example-post.am/domik")
    assert article.published == "2026-11-12" and article.published_source == "dateline"


def test_a_body_split_over_two_page_builder_blocks_comes_out_whole():
    text = _page("hy_page_builder_no_headings.html", "https://example-post.am/domik").text
    assert text.startswith("1988 թվականի դեկտեմբերի 7-ի") and "Յոթանասունամյա" in text and "640 ընտանիք" in text
    assert text.rstrip().endswith("ներառվեն։") and "քուքիներ" not in text and "Բաժանորդագրվեք" not in text


def test_a_reuse_notice_and_a_comment_invitation_in_turkish_are_no_article_text():
    article = _page("tr_short_with_reuse_notice.html", "https://example-haber.com.tr/ekonomi/123")
    assert "kullanılamaz" not in article.text and "yorumlarınızı" not in article.text
    assert article.text.startswith("Iğdır-Nahçıvan")


def test_a_georgian_place_name_with_the_particle_also_is_that_place():
    from extractors.relevance import score_relevance

    article = _page("ka_abkhazia_with_particle.html", "https://example-press.ge/ka/news/enguri")
    assert "აფხაზეთსაც" in article.text
    judged = score_relevance(article.title, article.text, language="ka")
    # both mentions count: "აფხაზეთში" (in Abkhazia) and "აფხაზეთსაც" (Abkhazia too)
    assert judged.relevant and any(t.entity == "Abkhazia" and t.count == 2 for t in judged.terms)


@pytest.mark.parametrize("name, lead", [
    ("ru_preview_text_block.html", "Правительство Грузии объявило победителя конкурса"),  # trafilatura's, readability lacks it
    ("hy_k2_updated_line.html", "Մեղրի-Քաջարան միջպետական ճանապարհի 32 կիլոմետրանոց"),  # readability's, trafilatura lacks it
    ("ru_amp_lead_block.html", "Более 1200 жителей Дербента"),
])
def test_the_lead_a_template_prints_in_its_own_block_opens_the_article(name, lead):
    article = _page(name, "https://example-news.org/news/1")
    assert article.text.startswith(lead)


def test_two_feed_items_sharing_one_link_each_with_its_own_whole_text_are_two_articles():
    from datetime import datetime, timezone

    from extractors.feeds import parse_feed
    from extractors.urls import SHARED_LINK_ITEM

    feed = parse_feed((DATA / "two_items_one_link.xml").read_bytes(), feed_id="kbr",
                      feed_url="https://kbr-daily.example.ru/rss", now=datetime(2026, 12, 4, tzinfo=timezone.utc))
    links = [entry.link for entry in feed.entries]
    assert len(set(links)) == 2 and all(SHARED_LINK_ITEM in link for link in links)


def test_a_breadcrumb_and_an_update_line_above_the_text_are_not_the_article():
    from extractors.header_lines import is_breadcrumb

    article = _page("fr_breadcrumb_and_update_line.html", "https://example-actu.fr/economie/article123")
    assert article.text.startswith("Portées par le cognac")
    assert is_breadcrumb("Главная / Новости / Экономика / Грузия увеличила экспорт вина")
    assert not is_breadcrumb("Exports rose 38% > imports, the ministry said > it expects more.")


def test_a_footnote_mark_is_not_glued_to_the_word_before_it():
    article = _page("en_footnote_marks.html", "https://example-lake.org/sevan-level")
    assert "officially reported." in article.text and "reported.1" not in article.text
    assert "September.2" not in article.text
