"""Failure classes seen on unseen regional pages (issue 11), each fixed by a general method.

Fixtures under tests/data/failure_classes/ are written in the style of real regional outlets:
a Russian-language page with the statutory foreign-agent label, an opinion disclaimer and a
typo prompt; a page where trafilatura picks a tour list over the article; a table-layout portal
whose body sits in a link-bearing cell. Text-input classes (furniture as title, a repeated
headline, a repeated lead) are fixtures of tests/test_text_cleaner.py (tests/data/text/).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.article import extract_document
from extractors.ensemble import combine, looks_like_list_dump
from extractors.html_cleanup import drop_stamped_runs, is_reader_notice, is_stamped_headline
from extractors.text import clean_text

DATA = Path(__file__).parent / "data" / "failure_classes"


def _extract(name: str):
    return extract_document((DATA / name).read_bytes())


def test_legal_label_disclaimer_and_typo_prompt_never_reach_the_text():
    article = _extract("ru_legal_notices.html")
    assert article.text.startswith("В Кизилюртовском районе")
    assert "сроки сдачи дважды переносились" in article.text
    for notice in ("ИНОСТРАННОГО АГЕНТА", "Мнение автора", "Ctrl+Enter"):
        assert notice not in article.text


@pytest.mark.parametrize("notice", [
    "Нашли ошибку? Выделите текст и нажмите Ctrl+Enter",
    "ДАННОЕ СООБЩЕНИЕ (МАТЕРИАЛ) СОЗДАНО И (ИЛИ) РАСПРОСТРАНЕНО ИНОСТРАННЫМ СРЕДСТВОМ МАССОВОЙ ИНФОРМАЦИИ, "
    "ВЫПОЛНЯЮЩИМ ФУНКЦИИ ИНОСТРАННОГО АГЕНТА",
    "Мнение автора может не совпадать с позицией редакции.",
    "The views expressed in this article are the author's own and do not necessarily reflect the editorial policy.",
    "Müəllifin mövqeyi redaksiyanın mövqeyi ilə üst-üstə düşməyə bilər.",
])
def test_reader_notices_are_recognised_in_the_regions_languages(notice):
    assert is_reader_notice(notice)


@pytest.mark.parametrize("notice", [
    "НАШЛИ ОШИБКУ? ВЫДЕЛИТЕ ТЕКСТ И НАЖМИТЕ CTRL + ENTER",
    "МНЕНИЕ АВТОРА МОЖЕТ НЕ СОВПАДАТЬ С ПОЗИЦИЕЙ РЕДАКЦИИ",
    "THE VIEWS EXPRESSED HERE DO NOT NECESSARILY REFLECT THOSE OF THE EDITORS",
    "MÜƏLLİFİN MÖVQEYİ REDAKSİYANIN MÖVQEYİ İLƏ ÜST-ÜSTƏ DÜŞMƏYƏ BİLƏR",  # Azerbaijani capitals: İ, not I
    "ᲐᲕᲢᲝᲠᲘᲡ ᲞᲝᲖᲘᲪᲘᲐ ᲨᲔᲘᲫᲚᲔᲑᲐ ᲐᲠ ᲔᲗᲐᲜᲮᲛᲔᲑᲝᲓᲔᲡ ᲠᲔᲓᲐᲥᲪᲘᲘᲡ ᲞᲝᲖᲘᲪᲘᲐᲡ",  # Georgian Mtavruli capitals
])
def test_reader_notices_are_recognised_in_capitals_too(notice):
    # the cheap word check in front of the notice pattern must fold case as the pattern does
    assert is_reader_notice(notice)


def test_news_about_foreign_agents_is_not_a_notice():
    assert not is_reader_notice("Минюст внес издание в реестр иностранных агентов в пятницу, сообщили в ведомстве.")
    assert not is_reader_notice("The parliament debated the foreign agent bill for the third day on Tuesday.")


def test_a_tour_list_chosen_as_the_body_gives_way_to_the_article():
    article = _extract("ru_tour_list_and_rates.html")
    assert article.text.startswith("В субботу на курорте Цахкадзор")
    assert "Туры в Батуми" not in article.text and "USD" not in article.text
    assert len(article.text.split("\n")) == 4


def test_a_list_of_four_to_ten_word_lines_is_a_dump_but_an_article_is_not():
    tours = [f"Туры в город номер {i} недорого" for i in range(12)]
    assert looks_like_list_dump(tours)
    assert not looks_like_list_dump(["Short lead sentence here.", "Another full sentence follows it.",
                                     "Subheading", "And the story goes on for a while.", "Then it ends."])


def test_source_line_wraps_are_spaces_and_a_br_is_still_a_break():
    # an old CMS's 78-column source around a <br>: trafilatura kept every wrap as a line break
    article = _extract("ru_hard_wrapped_source.html")
    lines = article.text.split("\n")
    assert len(lines) == 4
    assert lines[1].startswith("По словам министра") and lines[1].endswith("систему обогрева.")
    assert lines[3] == "Реконструкцию оплатит корпорация развития курортов, смета проекта составляет 1,2 миллиарда рублей."


def test_label_lines_ending_in_a_colon_are_a_dump_not_sentences():
    captions = [f"Фото №{n} Подпись:" for n in range(5120, 5132)]
    assert looks_like_list_dump(captions)
    assert not looks_like_list_dump(["Министр заявил:", "Переговоры продолжатся в Ереване в среду.",
                                     "Стороны обсудили график работ.", "Он добавил:", "Документ подпишут весной."])


def test_the_list_dump_rule_needs_an_article_from_the_second_opinion():
    tours = [f"Туры в город номер {i} недорого" for i in range(12)]
    assert combine(tours, list(tours)) == (tours, "primary")


def test_table_layout_portal_keeps_its_body_without_the_rubric_row():
    article = _extract("table_layout_portal.html")
    assert "благоустроят двадцать дворов" in article.text
    assert "опубликуют на сайте администрации" in article.text
    assert "Рубрика" not in article.text and "Версия для печати" not in article.text


def test_time_stamped_headline_lists_are_dropped_in_text_input_too():
    body = ("Главная\nПравительство Грузии одобрило проект бюджета на следующий год и направило его в парламент.\n"
            "Расходы на образование и здравоохранение вырастут, сообщил министр финансов на брифинге в Тбилиси.\n"
            "Парламент рассмотрит документ до конца декабря, оппозиция уже заявила о своих поправках.\n"
            "14:10 • 09.11.21 В Батуми открылся новый порт\n14:32 • 09.11.21 В Кутаиси ремонтируют театр\n"
            "15:05 • 09.11.21 Курс лари укрепился\n15:40 • 09.11.21 В Сванетии выпал снег\n")
    article = clean_text(body)
    assert "09.11.21" not in article.text and "одобрило проект бюджета" in article.text


def test_a_live_blog_entry_with_a_time_is_not_a_ticker_headline():
    entry = ("14:10 The minister said the talks in Yerevan would continue tomorrow, after both delegations "
             "asked for more time to study the draft of the agreement on the border and the transport links.")
    assert not is_stamped_headline(entry)
    assert drop_stamped_runs([entry] * 3) == [entry] * 3
