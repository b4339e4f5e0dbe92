"""Pages of the eighth probe (tests/data/probe8/README.md): what each got wrong, as behaviour."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from extractors.article import extract_document, make_record

DATA = Path(__file__).resolve().parent / "data" / "probe8"
NOW = datetime(2026, 12, 4, 11, 0, tzinfo=timezone.utc)


def _record(name: str):
    extracted = extract_document((DATA / name).read_bytes(), url=f"https://outlet.example/news/{name}", now=NOW)
    return make_record(extracted, article_id="p8", url=f"https://outlet.example/news/{name}", canonical_url=None,
                       source="probe8", first_seen=NOW)


def test_a_view_counter_and_a_labelled_share_bar_do_not_end_the_text():
    assert "просмотров" not in _record("bitrix_view_counter_ru.html").text.casefold()
    assert "Facebook" not in _record("table_layout_share_label_ka.html").text


def test_a_short_armenian_item_naming_armenia_in_its_lead_is_relevant():
    record = _record("short_item_armenia_once_hy.html")
    assert record.caucasus["relevant"] and record.language == "hy"


def test_a_page_with_only_a_future_modification_time_gets_no_date():
    assert _record("future_modified_only_ru.html").published is None


def test_boxes_named_in_camel_case_are_pruned_like_hyphenated_ones():
    from lxml import html as lxml_html

    from extractors.html_prune import prune_tree

    tree = lxml_html.fromstring("<html><body><article><p>Body text about Kutaisi.</p><ul><li><img src='a.jpg'>"
                                "<span class='sigProCaption'>The restored facade. Photo: Kutaisi News</span></li></ul>"
                                "<div class='photoCredit'>Photo: agency</div></article></body></html>")
    text = prune_tree(tree).text_content()
    assert "facade" not in text and "agency" not in text and "Body text" in text
