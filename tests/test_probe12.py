"""Pages and texts of the twelfth probe (tests/data/probe12/README.md), as behaviour."""

from __future__ import annotations

import json
from pathlib import Path

from extractors.article import extract_document
from extractors.relevance import score_relevance

DATA = Path(__file__).resolve().parent / "data" / "probe12"


def _page(name: str):
    expected = json.loads((DATA / f"{name}.expected.json").read_text("utf-8"))
    article = extract_document((DATA / f"{name}.html").read_bytes(), url=expected["url"])
    return article, expected


def _words(text: str) -> list[str]:
    return " ".join(text.split()).split()


def test_boxes_an_old_portal_draws_with_tables_are_no_article_text():
    article, expected = _page("03_ucoz_ru_flash_nazran")
    assert _words(article.text) == _words("\n".join(expected["paragraphs"]))
    for chrome in ("Погода", "Мини-чат", "+5°", "|"):
        assert chrome not in article.text


def test_a_caption_set_in_a_table_cell_is_no_article_text_and_posted_by_is_no_part_of_the_name():
    article, expected = _page("09_blogger_hy_artsakh_housing")
    assert "Լուսանկարը" not in article.text and "|" not in article.text
    assert _words(article.text) == _words("\n".join(expected["paragraphs"]))
    assert article.author == expected["author"]


def test_a_domestic_story_in_the_countrys_own_language_naming_its_national_bank_is_about_the_region():
    article, _ = _page("04_joomla_ka_nbg_rate")
    verdict = score_relevance(article.title, article.text, language="ka")
    assert verdict.relevant and "Georgian national institutions" in verdict.reason


def test_the_central_bank_is_the_home_countrys_unless_another_country_is_named_before_it():
    home = extract_document((DATA / "hy_home_central_bank.txt").read_bytes())
    assert score_relevance(home.title, home.text, language="hy").relevant
    russia = extract_document((DATA / "hy_russia_central_bank.txt").read_bytes())
    verdict = score_relevance(russia.title, russia.text, language="hy")
    assert not verdict.relevant
    assert all(term.entity != "Armenian national institutions" for term in verdict.terms)


def _paragraphs_of(name: str) -> tuple[list[str], list[str]]:
    article, expected = _page(name)
    return article.text.split("\n"), expected["paragraphs"]


def test_an_app_router_page_whose_body_only_its_browser_draws_is_read_from_its_flight_rows():
    for name in ("10_nextjs_en_upper_lars", "10b_nextjs_en_upper_lars_no_ssr_lead"):
        got, expected = _paragraphs_of(name)
        assert [_words(p) for p in got] == [_words(p) for p in expected], name
        # the related article between paragraphs, the link's mark and the tag list are no text
        assert "reopens Upper Lars" not in "\n".join(got) and "lnk" not in "\n".join(got)


def test_flight_rows_keep_text_rows_by_their_byte_length_and_follow_references():
    from extractors.flight_data import _Renderer, flight_rows

    text = "Ереван — столица."  # a text row's length counts UTF-8 bytes, not characters
    stream = (f'1:T{len(text.encode()):x},{text}'
              '2:["$","p",null,{"children":"$1"}]\n'
              '0:["$","article",null,{"children":[["$","h1",null,{"children":"Title"}],"$L2",'
              '["$","$L3",null,{"href":"/tags/x","children":"Tag"}]]}]\n3:I[1,[],"Link"]\n')
    rows = flight_rows(stream)
    assert rows["1"] == text and "3" not in rows
    assert _Renderer(rows).row("$0", 0, False) == (
        '<article><h1>Title</h1><p>Ереван — столица.</p><a href="/tags/x">Tag</a></article>')


def test_flight_rows_that_reference_each_other_twice_in_a_chain_are_drawn_in_bounded_time():
    import time

    from extractors.flight_data import _Renderer, flight_rows

    chain = "".join(f'{i:x}:["$","div",null,{{"children":["${i + 1:x}","${i + 1:x}"]}}]\n' for i in range(60))
    rows = flight_rows(chain + f'{60:x}:"{"word " * 2000}"\n')
    started = time.monotonic()
    drawn = _Renderer(rows).row("$0", 0, False)
    assert time.monotonic() - started < 10 and len(drawn) < 50_000_000


def test_a_line_that_only_credits_the_writer_above_the_text_is_no_article_text():
    from extractors.html_cleanup import clean_paragraphs

    lead = "Several hundred lorries were stuck on Thursday on the approaches to the Upper Lars checkpoint."
    for byline in ("By Alan Tsorionov·", "BY NICK TIMIRAOS", "Автор: Иван Петров", "Հեղինակ՝ Անի Մելքոնյան",
                   "ავტორი: ნინო ბერიძე", "By Ann Lee and Tom Hart |"):
        assert clean_paragraphs(f"{byline}\n{lead}") == [lead], byline
    for sentence in ("By the evening the queue was 15 km long.", "By 2030 Armenia will",
                     "By Thursday, Georgian officials said"):
        assert clean_paragraphs(f"{sentence}\n{lead}")[0] == sentence


DATES = DATA / "dates"
FETCHED = __import__("datetime").datetime(2026, 12, 4, 16, 45, tzinfo=__import__("datetime").timezone.utc)


def _dated(name: str):
    expected = json.loads((DATES / f"{name}.expected.json").read_text("utf-8"))
    return extract_document((DATES / f"{name}.html").read_bytes(), url=expected["url"], now=FETCHED), expected


def test_a_date_line_written_relative_to_the_day_is_read_at_the_fetch_time():
    for name in ("p01_newsam_hy_today", "p02_apa_az_dunen", "p16_qafqazinfo_az_saat"):
        article, expected = _dated(name)
        assert article.published[:10] == expected["day"] and article.published_source == "relative", name
    article, _ = _dated("p16_qafqazinfo_az_saat")  # "5 saat əvvəl": an instant, whatever the zone
    assert article.published == "2026-12-04T11:45:00+00:00"
    later = extract_document((DATES / "p02_apa_az_dunen.html").read_bytes(),
                             now=FETCHED.replace(day=9))  # a reprocess reads it at the poll's time, not today's
    assert later.published == "2026-12-08"


def test_relative_date_lines_in_the_regions_languages_and_what_is_no_such_line():
    from datetime import timedelta

    from extractors.relative_dates import _read

    moscow = timedelta(hours=3)
    assert _read("вчера, 18:40", FETCHED, moscow).isoformat() == "2026-12-03T18:40:00+03:00"
    assert _read("Сегодня в 14:05", FETCHED, moscow).isoformat() == "2026-12-04T14:05:00+03:00"
    assert _read("გუშინ, 10:00", FETCHED, None).isoformat() == "2026-12-03"
    assert _read("2 hours ago", FETCHED, None).isoformat() == "2026-12-04T14:45:00+00:00"
    assert _read("Сегодня, 23:50", FETCHED, moscow).isoformat() == "2026-12-04"  # later than now there: the day only
    for text in ("Сегодня в Ереване прошёл митинг против повышения цен на газ и электричество",
                 "Bakı, 3 dekabr", "12 hours"):
        assert _read(text, FETCHED, None) is None, text


def test_an_og_title_that_is_only_the_site_or_a_section_gives_way_to_the_headline():
    for name in ("p02_apa_az_dunen", "p13_kavkazr_ru_msk"):
        article, expected = _dated(name)
        assert article.title == expected["title"], name


def test_a_ski_resort_of_azerbaijan_is_a_place_of_the_region():
    article, _ = _dated("p16_qafqazinfo_az_saat")
    assert score_relevance(article.title, article.text, language="az").relevant


def test_a_reporters_credit_closing_the_text_names_the_author_and_is_no_article_text():
    article, expected = _dated("p06_azertac_tr_weekday")
    assert article.author == expected["author"] and "Muhabir" not in article.text


def test_a_demonym_beside_ministers_or_a_national_assembly_is_the_state_and_guba_is_a_town_of_the_region():
    for name in ("relevance_armenian_government_budget.txt", "relevance_aliyev_guba.txt"):
        article = extract_document((DATA / "feeds" / name).read_bytes())
        assert score_relevance(article.title, article.text, language="en").relevant, name
    ethiopia = score_relevance("Nile dam talks stall", "Ethiopia said the guba dam reservoir filled, and Egypt protested.")
    assert not ethiopia.relevant


def _meta(summary: str, title: str):
    from flows.rebuild import PageMeta

    return PageMeta(feed_id="tg", link="https://t.me/caucasuswire/4512", polled_at="2026-12-04T15:00:00+00:00",
                    title=title, summary=summary, final_url="https://t.me/caucasuswire/4512")


def test_a_page_that_holds_none_of_the_feed_items_text_gives_way_to_the_item_a_telegram_post():
    from flows.rebuild import rebuild_record

    post = ("⚡️ СНБ Армении: в Ереване задержаны трое подозреваемых в подготовке массовых беспорядков.<br>"
            "По данным ведомства, у задержанных изъяты оружие и крупная сумма денег. Возбуждено уголовное дело.")
    page = (DATA / "feeds" / "tme_post_page_4512.html").read_bytes()  # Telegram's "Download / View in Telegram"
    record = rebuild_record(page, _meta(post, "СНБ Армении: в Ереване задержаны трое подозреваемых"))
    assert "изъяты оружие" in record.text and "Telegram" not in record.text
    assert record.language == "ru" and record.title.startswith("СНБ Армении")


def test_an_article_much_longer_than_a_teaser_written_apart_keeps_its_own_text():
    from flows.rebuild import rebuild_record

    article, expected = _page("06_wp_newspaper_en_anaklia")
    teaser = "A new deal for the deep-sea port was signed on Thursday, officials said, after years of delays and disputes."
    page = (DATA / "06_wp_newspaper_en_anaklia.html").read_bytes()
    record = rebuild_record(page, replace_url(_meta(teaser, expected["title"]), expected["url"]))
    assert record.text == article.text


def replace_url(meta, url):
    from dataclasses import replace

    return replace(meta, link=url, final_url=url)


def test_a_feeds_seo_footer_ends_no_article():
    from extractors.html_cleanup import clean_paragraphs

    text = "The road to Gudauri reopened on Friday after three days.\nThe post Georgia reopens road appeared first on JAMnews."
    assert clean_paragraphs(text) == ["The road to Gudauri reopened on Friday after three days."]


BODIES = DATA / "bodies"


def _body(name: str):
    expected = json.loads((BODIES / f"{name}.expected.json").read_text("utf-8"))
    return extract_document((BODIES / f"{name}.html").read_bytes(), url=expected["url"]), expected


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_a_table_of_figures_a_sentence_introduces_comes_out_once_whole_wherever_it_stands():
    for name in ("p02_az_rates_table", "p02b_az_rates_table_at_end"):
        article, expected = _body(name)
        lines = article.text.split("\n")
        assert not any(line.startswith("- ") for line in lines), name  # no list made of its cells
        rows = [_cells(line) for line in lines if line.startswith("|")]
        wanted = [_cells(p) for p in expected["paragraphs"] if "|" in p]
        assert rows[-len(wanted):] == wanted, name


def test_a_short_item_beside_a_column_of_headlines_with_leads_is_the_article():
    article, expected = _body("p10b_hy_flash_bare_text")
    assert [_words(p) for p in article.text.split("\n")] == [_words(p) for p in expected["paragraphs"]]


def test_a_caption_typed_as_an_italic_paragraph_under_an_image_is_no_article_text():
    article, expected = _body("p05b_ru_photostory_em_captions")
    assert "Фото:" not in article.text
    assert [_words(p) for p in article.text.split("\n")] == [_words(p) for p in expected["paragraphs"]]


def test_an_embedded_posts_text_stays_and_its_attribution_goes():
    article, _ = _body("p06_en_social_embeds")
    assert "We remain committed to finalising the text" in article.text
    assert "The peace agenda has no alternative" in article.text
    for chrome in ("@AniHakobyan_MFA", "pic.twitter.com", "Posted by"):
        assert chrome not in article.text


def test_an_opml_feeds_id_is_its_title_romanised_in_the_regions_scripts():
    from flows.feed_list import slug

    assert slug("Report.az - Son xəbərlər") == "report-az-son-xeberler"
    assert slug("Новости Армении") == "novosti-armenii"
    assert slug("Ազատություն ռադիոկայան") == "azatutyun-radiokayan"
    assert slug("რადიო თავისუფლება") == "radio-tavisupleba"
