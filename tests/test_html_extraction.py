"""HTML → article: fixture pages in the styles of the region's outlets, charsets, dates, authors."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from extractors.dates import choose_date
from extractors.errors import ExtractionError
from extractors.html import EXTRACTOR_NAME, decode_html, extract_html, looks_like_html
from extractors.html_cleanup import clean_paragraphs, is_boilerplate_paragraph
from extractors.metadata import clean_author

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
PAGES = Path(__file__).parent / "data" / "pages"
FIXTURES = sorted(p.name.removesuffix(".expected.json") for p in PAGES.glob("*.expected.json"))
FIELDS = ("title", "author", "published", "published_source", "canonical_url", "declared_language", "site_name")


def _expected(name: str) -> dict:
    return json.loads((PAGES / f"{name}.expected.json").read_text(encoding="utf-8"))


def _extract(name: str, **kwargs):
    expected = _expected(name)
    body = (PAGES / f"{name}.html").read_bytes()
    return extract_html(body, url=expected["url"], now=NOW, **kwargs), expected


def test_every_required_page_style_has_a_fixture():
    assert len(FIXTURES) >= 10
    for name in FIXTURES:
        assert (PAGES / f"{name}.html").exists(), name


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_metadata_is_right(name):
    article, expected = _extract(name)
    for field in FIELDS:
        if field in expected:
            assert getattr(article, field) == expected[field], field
    assert article.extractor == EXTRACTOR_NAME


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_text_has_the_body_and_no_boilerplate(name):
    article, expected = _extract(name)
    if "text" in expected:
        assert article.text == expected["text"]
    for wanted in expected.get("must_contain", []):
        assert wanted in article.text
    for unwanted in expected.get("must_not_contain", []):
        assert unwanted not in article.text, unwanted
    for once in expected.get("appears_once", []):
        assert article.text.count(once) == 1, once
    assert article.title not in article.text.split("\n")  # the headline is not repeated as a paragraph


def test_related_box_inside_body_is_dropped():
    article, _ = _extract("french_lire_aussi")
    assert "Lire aussi" not in article.text
    # the paragraphs on both sides of each box survive, in order
    paragraphs = article.text.split("\n")
    before = next(i for i, p in enumerate(paragraphs) if p.startswith("Le gouvernement arménien"))
    assert paragraphs[before + 1].startswith("« Nous avons")


def test_body_repeated_in_next_data_appears_once():
    article, expected = _extract("nextjs_page")
    assert article.text == expected["text"]


def test_comment_dates_are_not_the_publication_date():
    article, _ = _extract("comments_dates")
    assert article.published is None and article.published_source is None
    assert "Great explanation" not in article.text


def test_hidden_admin_author_is_rejected():
    article, _ = _extract("admin_author")
    assert article.author == ""


def test_windows_1252_page_is_decoded_from_its_meta_charset():
    body = (PAGES / "table_portal_cp1252.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")  # the fixture really is cp1252, not UTF-8
    text = decode_html(body)
    assert "“We are not against paying taxes" in text and "café" in text and "\ufffd" not in text


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("\ufeff<p>Ք</p>".encode("utf-8"), "text/html; charset=iso-8859-1", "<p>Ք</p>"),  # BOM wins
        ("<p>Грузия</p>".encode("koi8-r"), "text/html; charset=KOI8-R", "<p>Грузия</p>"),  # HTTP header
        (b'<meta charset="windows-1251"><p>' + "Ереван".encode("cp1251"), None, '<meta charset="windows-1251"><p>Ереван'),
        ("<p>Tbilisi – Batumi</p>".encode("cp1252"), None, "<p>Tbilisi – Batumi</p>"),  # no label, not UTF-8
        ("<p>Gəncə</p>".encode("utf-8"), None, "<p>Gəncə</p>"),
        ("<p>été</p>".encode("cp1252"), "text/html; charset=utf-8", "<p>été</p>"),  # mislabelled
    ],
)
def test_decode_html_charset_order(body, content_type, expected):
    assert decode_html(body, content_type) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<!DOCTYPE html><html><head><title>x</title></head><body><p>a</p></body></html>", True),
        (b"\n\n  <html lang='hy'><body>text</body></html>", True),
        (b"<div class='post'><p>An HTML fragment</p><a href='/x'>more</a></div>", True),
        (b'<?xml version="1.0"?><!DOCTYPE html><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', True),
        ("<!doctype html><p>Ռուսաստան</p>", True),
        (b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title></channel></rss>', False),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>', False),
        (b"Plain text about <Tbilisi> and Yerevan.\nSecond line.", False),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", False),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", False),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", False),
    ],
)
def test_looks_like_html_by_content(data, expected):
    assert looks_like_html(data) is expected


def test_file_name_does_not_matter_only_content():
    feed = (Path(__file__).parent / "data" / "pages" / "wordpress_megamenu.html").read_bytes()
    assert looks_like_html(feed)
    assert not looks_like_html(b'<?xml version="1.0"?>\n<rss><channel></channel></rss>')


def _page(head: str = "", body_extra: str = "") -> str:
    paragraphs = "".join(
        f"<p>Paragraph {i} of a plain news story about a new road between two mountain villages, long enough.</p>"
        for i in range(6))
    return f"<html><head><title>Road opens</title>{head}</head><body><article>{paragraphs}{body_extra}</article></body></html>"


def test_future_markup_date_is_rejected():
    html = _page('<meta property="article:published_time" content="2031-05-01T10:00:00+00:00">')
    article = extract_html(html, now=NOW)
    assert article.published is None or article.published <= NOW.isoformat()
    assert not (article.published or "").startswith("2031")


def test_future_feed_date_is_rejected():
    choice = choose_date(markup_value=None, markup_source=None, tree=None, url=None,
                         feed_published="2030-01-01T00:00:00+00:00", now=NOW)
    assert choice.value is None and choice.source is None


def test_feed_date_fills_in_when_the_page_has_none():
    article = extract_html(_page(), feed_published="2025-12-30T08:00:00+00:00", now=NOW)
    assert article.published == "2025-12-30T08:00:00+00:00" and article.published_source == "feed"


def test_page_without_any_date_evidence_has_none():
    article = extract_html(_page(), now=NOW)
    assert article.published is None and article.published_source is None


@pytest.mark.parametrize("extra", [
    "<footer>© 2023 Road News. All rights reserved.</footer>",
    "<p>The law adopted on 12 March 2021 changed that, the minister said in a long interview on television.</p>",
])
def test_copyright_years_and_dates_inside_the_story_are_no_publication_date(extra):
    article = extract_html(_page(body_extra=extra), now=NOW)
    assert article.published is None


def test_short_dateline_is_publication_evidence():
    article = extract_html(_page(body_extra="<div class='date'>Posted 14.03.2025</div>"), now=NOW)
    assert (article.published, article.published_source) == ("2025-03-14", "htmldate")


def test_heuristic_page_date_contradicting_the_feed_loses():
    html = _page(body_extra="<p class='date'>Posted 03.02.2019</p>")
    article = extract_html(html, feed_published="2025-12-30T08:00:00+00:00", now=NOW)
    assert article.published == "2025-12-30T08:00:00+00:00" and article.published_source == "feed"


def test_feed_time_refines_a_date_only_markup_date_that_agrees():
    choice = choose_date(markup_value="2025-12-30", markup_source="json-ld", tree=None, url=None,
                         feed_published="2025-12-30T08:00:00+00:00", now=NOW)
    assert choice.value == "2025-12-30T08:00:00+00:00"


def test_markup_date_wins_over_a_disagreeing_feed():
    choice = choose_date(markup_value="2025-11-02T10:00:00+04:00", markup_source="json-ld", tree=None, url=None,
                         feed_published="2025-12-30T08:00:00+00:00", now=NOW)
    assert choice.value == "2025-11-02T10:00:00+04:00" and choice.source == "json-ld"


@pytest.mark.parametrize("raw", ["admin", "Administrator", "editor", "webmaster", "news@site.example",
                                 "https://www.facebook.com/site", "Lake Region News", "Редакция", "lakeregion"])
def test_cms_placeholder_authors_are_rejected(raw):
    assert clean_author(raw, site_name="Lake Region News", host="www.lakeregion.example") == ""


@pytest.mark.parametrize("raw,name", [("By Ani Hakobyan", "Ani Hakobyan"), ("Giorgi Tsiklauri", "Giorgi Tsiklauri"),
                                      ("Հեղինակ՝ Անահիտ Մկրտչյան", "Անահիտ Մկրտչյան"),  # the Armenian comma as colon
                                      ("Müəllif: Aytən Quliyeva", "Aytən Quliyeva"), ("ავტორი: ნინო ბერიძე", "ნინო ბერიძე"),
                                      ("Photos and text by Dato Koridze", "Dato Koridze"),  # the writer's credit line
                                      ("Текст и фото: Анна Саркисян", "Анна Саркисян"),
                                      ("Photo by Reuters", "Photo by Reuters")])  # a photo credit is not turned into a writer's name
def test_real_authors_are_kept(raw, name):
    assert clean_author(raw, site_name="Lake Region News") == name


@pytest.mark.parametrize("line", ["Source link", "Read also: Flood hits the valley", "Читайте также: В Махачкале",
                                  "Lire aussi | La COP29 à Bakou", "1.2k Shares", "Photo: Region Review",
                                  "Like this story? Share it with a friend!",
                                  "#Армения #экономика #зарплата", "#ԱԺ, #Ընտրական_օրենսգիրք",  # tag lines
                                  "Support us! Regional News is an independent outlet that exists thanks to its readers. "
                                  "If you want us to keep working in the regions, please make a donation.",
                                  "დაგვეხმარეთ! „რეგიონული ამბები“ დამოუკიდებელი მედიაა, რომელიც მკითხველების მხარდაჭერით არსებობს.",
                                  "Об авторе: Ашот Варданян — экономический обозреватель, пишет о рынке труда с 2018 года.",
                                  "About the author: Giorgi Kapanadze covers transport and infrastructure.",
                                  "Xəbəri dostlarınızla paylaşın!",
                                  "Follow World News on NBCNews.com on Twitter and Facebook",
                                  "If you enjoyed this article, enter your email below to get free updates!",
                                  "Количество просмотров: 612", "Total views: 1,204",  # a counter with a word before it
                                  "გააზიარე: Facebook", "Paylaşın: Facebook | X"])  # a share bar's label, then its links
def test_chrome_paragraphs_are_recognised(line):
    assert is_boilerplate_paragraph(line)


@pytest.mark.parametrize("line", ["The source of the river lies in the mountains above the village.",
                                  "Related negotiations resumed in Geneva on Monday after a pause of two months, officials said.",
                                  "Activists posted under #Armenia and #Georgia tags all week.",
                                  "„დაგვეხმარეთ!“ — ითხოვდნენ სოფლის მცხოვრებლები წყალდიდობის შემდეგ.",  # a plea reported
                                  "The ministry urged residents to support the blood drive and donate on Saturday.",
                                  "Follow-up talks begin on Monday in Geneva, the ministry said on Twitter.",
                                  "The minister will follow the Twitter debate closely.",
                                  "Share prices in Tbilisi rose by 12 percent on Monday."])
def test_prose_is_not_taken_for_chrome(line):
    assert not is_boilerplate_paragraph(line)


def test_known_site_boilerplate_paragraphs_are_dropped():
    boilerplate = pytest.importorskip("extractors.boilerplate")
    footer = "The editorial office is at 12 Rustaveli Avenue in Tbilisi, and letters are welcome."
    known = frozenset({boilerplate.paragraph_fingerprint(footer)})
    html = _page(body_extra=f"<p>{footer}</p>")
    assert footer in extract_html(html, now=NOW).text
    assert footer not in extract_html(html, now=NOW, known_boilerplate=known).text


def test_clean_paragraphs_drops_repeats_and_the_title():
    text = "Road opens\nA long first paragraph about the road that opened today.\nA long first paragraph about the road that opened today."
    assert clean_paragraphs(text, titles=["Road opens"]) == ["A long first paragraph about the road that opened today."]


@pytest.mark.parametrize("body", [b"", b"   ", b"<html><body><nav><a href='/'>Home</a></nav></body></html>"])
def test_page_without_article_text_raises(body):
    with pytest.raises(ExtractionError):
        extract_html(body, now=NOW)


def test_page_wrapped_in_a_container_with_a_box_word_in_its_class_is_not_pruned():
    # Drupal 8+ wraps every page in <div class="dialog-off-canvas-main-canvas">.
    body = " ".join(["Officials in Tbilisi met regional mayors to discuss the new water network."] * 12)
    page = (f'<html><head><title>Water network</title></head><body><div class="dialog-off-canvas-main-canvas">'
            f'<header><nav><a href="/">Home</a></nav></header><article><h1>Water network</h1>'
            f'<p>{body}</p><p>{body}</p></article></div></body></html>')
    assert "regional mayors" in extract_html(page).text


def test_the_intact_page_is_the_same_page_after_readability_took_it_over():
    from lxml import etree

    from extractors.html import _IntactPage, _parse

    text = (PAGES / "amp_page.html").read_text(encoding="utf-8")
    tree = _parse(text)
    page = _IntactPage(tree, text)
    assert page.read() is not tree and etree.tostring(page.read()) == etree.tostring(tree)
    taken = page.take()
    taken.find(".//body").clear()  # readability changes what it takes
    again = page.read()  # parsed again
    assert again is not taken and etree.tostring(again) == etree.tostring(tree)


def test_a_not_found_page_answering_200_is_no_article():
    # a "soft 404": the site's error page, with a few headlines, for an article it removed
    with pytest.raises(ExtractionError, match="an error page, not an article"):
        extract_html((PAGES / "soft_404_not_found_ru.html").read_bytes(), url="https://daily.example/ru/news/123", now=NOW)


@pytest.mark.parametrize("title,error", [("Page not found | News.am", True), ("404", True), ("Oops! Page not found", True),
                                         ("Ошибка 404 — Страница не найдена", True), ("Səhifə tapılmadı - Report.az", True),
                                         ("გვერდი ვერ მოიძებნა", True),
                                         ("Missing climber not found after three days", False),
                                         ("Error in the vote count: commission", False),
                                         ("Kapan residents: Error, the bus never came", False)])
def test_error_page_titles_are_told_from_headlines_about_errors(title, error):
    from extractors.titles import is_error_page_title

    assert is_error_page_title(title) is error


@pytest.mark.parametrize("line,name", [("<p class='by'>By Chris Patton · Nov. 28, 2026</p>", "Chris Patton"),
                                       ("<div class='info'>Автор: Арсен Мелконян | 3 декабря 2026 | Просмотров: 1 204</div>",
                                        "Арсен Мелконян"),
                                       ("<p>ავტორი: ნინო ბერიძე | 2026</p>", "ნინო ბერიძე"),
                                       ("<p>Written by <a href='/a'>Lilit Grigoryan</a>, Yerevan</p>", "Lilit Grigoryan"),
                                       ("<p><i>Published: 01.12.2026 | Author: Ruslan Gaziev</i></p>", "Ruslan Gaziev"),
                                       ("<div>الأربعاء 02 ديسمبر 2026 - 10:20 | كتب: أحمد الخطيب</div>", "أحمد الخطيب"),
                                       ("<p>Sort | By Category</p>", ""),
                                       ("<p>By the way, the talks went on</p>", ""), ("<p>By 2030 Armenia plans more</p>", "")])
def test_a_labelled_byline_line_names_the_author_when_no_element_is_marked(line, name):
    from lxml import html as lxml_html

    from extractors.metadata import labelled_byline

    assert labelled_byline(lxml_html.fromstring(f"<html><body><h1>Talks</h1>{line}</body></html>"), "", "") == name


@pytest.mark.parametrize("raw", ["Leyla Hasanova, 18 November 2026", "Leyla Hasanova | 18 November 2026",
                                 "Leyla Hasanova – 18.11.2026"])
def test_a_byline_that_runs_on_into_its_date_gives_the_name_alone(raw):
    assert clean_author(raw) == "Leyla Hasanova"
