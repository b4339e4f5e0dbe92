"""Texts of the ninth probe (tests/data/probe9/README.md), as behaviour."""

from __future__ import annotations

from pathlib import Path

from extractors.article import decode_text, extract_document
from extractors.fingerprint import compare_texts

DATA = Path(__file__).resolve().parent / "data" / "probe9"


def _text(name: str) -> str:
    return extract_document((DATA / name).read_bytes()).text


def test_an_armenian_text_typed_with_ascii_colons_keeps_every_paragraph_and_stays_a_copy():
    stops, colons = _text("hy_fire_armenian_stops.txt"), _text("hy_fire_ascii_colons.txt")
    assert len(colons.split("\n")) == len(stops.split("\n")) == 5  # the headline apart
    assert compare_texts(stops, colons).duplicate


def test_a_plain_text_file_in_a_legacy_or_utf16_encoding_is_read_as_written():
    for name in ("ru_crash_cp1251.txt", "ru_crash_utf16_bom.txt"):
        text = decode_text((DATA / name).read_bytes())
        assert "Дагестане" in text and "\x00" not in text, name


def _pair(name: str) -> tuple[str, str]:
    return tuple(extract_document((DATA / f"dedup_{name}_{side}.txt").read_bytes()).text for side in "AB")


def test_template_reports_of_different_incidents_are_not_duplicates():
    for name in ("03_en_template_quake_same_region_diff_town", "47_en_mine_blast_two_incidents_numberwords",
                 "44_ru_meeting_two_counterparts"):
        a, b = _pair(name)
        assert not compare_texts(a, b).duplicate, name


def test_wire_copies_with_a_new_headline_byline_or_dropped_paragraph_stay_duplicates():
    for name in ("01_en_wirecopy_quake", "32_ru_wirecopy_byline_drop2", "09_az_wirecopy_court"):
        a, b = _pair(name)
        assert compare_texts(a, b).duplicate, name


def test_a_future_event_date_under_the_headline_does_not_hide_the_posted_line():
    from datetime import datetime, timezone

    from extractors.html import extract_html

    article = extract_html((DATA / "event_box_before_posted_line.html").read_bytes(), url="https://events.example.ge/a",
                           now=datetime(2026, 12, 4, 11, 0, tzinfo=timezone.utc))
    assert article.published == "2026-11-30"


def test_a_body_cut_into_chunks_keeps_its_paragraphs_in_page_order():
    from extractors.html import extract_html

    text = extract_html((DATA / "split_body_short_chunk.html").read_bytes(), url="https://nbg.example.ge/a").text
    order = [text.index(s) for s in ("The National Bank of Georgia kept", "The lari rose 0.3 percent",
                                     "Governor Natia Turnava said", "The next meeting of the committee")]
    assert order == sorted(order)


def test_soft_hyphens_and_zero_width_spaces_do_not_hide_a_name():
    from extractors.article import make_record

    extracted = extract_document((DATA / "ru_soft_hyphens.txt").read_bytes())
    assert "\u00ad" not in extracted.text + extracted.title
    from datetime import datetime, timezone

    record = make_record(extracted, article_id="s", url="https://x.example/a", canonical_url=None, source="t",
                         first_seen=datetime(2026, 12, 4, tzinfo=timezone.utc))
    assert record.caucasus["relevant"]
    zwsp = extract_document((DATA / "ru_soft_hyphens.txt").read_text("utf-8").replace("\u00ad", "\u200b").encode())
    assert "Тбилиси" in zwsp.text


def test_a_turkish_report_quoting_azerbaijani_is_still_turkish():
    from extractors.language import detect_language

    for name in ("tr_quoting_an_azerbaijani_title.txt", "tr_quoting_an_azerbaijani_sentence.txt"):
        extracted = extract_document((DATA / name).read_bytes())
        assert detect_language(extracted.text).code == "tr", name
