"""The plain-text cleaner on the seed corpus and on hand-written fixtures in other styles.

Each fixture's expected output was written by hand before the cleaner was tuned.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.boilerplate import paragraph_fingerprint
from extractors.text import EXTRACTOR, clean_text, find_date, split_paragraphs

DATA = Path(__file__).resolve().parent / "data"
SEEDS = Path(__file__).resolve().parents[1] / "config" / "seeds"
SEED_STEMS = sorted(p.stem for p in (DATA / "seeds_expected").glob("*.txt"))
FIXTURES = sorted(p.name[: -len(".expected.txt")] for p in (DATA / "text").glob("*.expected.txt"))


def _expected(folder: Path, stem: str, suffix: str = ".txt") -> tuple[str, dict]:
    body = (folder / f"{stem}{suffix}").read_text(encoding="utf-8").rstrip("\n")
    meta = json.loads((folder / f"{stem}.json").read_text(encoding="utf-8"))
    return body, meta


def test_every_seed_has_an_expected_text():
    assert SEED_STEMS == sorted(p.stem for p in SEEDS.glob("*.txt"))


@pytest.mark.parametrize("stem", SEED_STEMS)
def test_seed_cleans_to_the_expected_body(stem):
    body, _ = _expected(DATA / "seeds_expected", stem)
    article = clean_text((SEEDS / f"{stem}.txt").read_text(encoding="utf-8"))
    assert article.text == body


@pytest.mark.parametrize("stem", SEED_STEMS)
def test_seed_metadata_is_found(stem):
    _, meta = _expected(DATA / "seeds_expected", stem)
    article = clean_text((SEEDS / f"{stem}.txt").read_text(encoding="utf-8"))
    assert (article.title, article.author, article.published) == (meta["title"], meta["author"], meta["published"])
    assert article.published_source == ("text" if meta["published"] else None)
    assert article.extractor == EXTRACTOR


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_cleans_to_the_expected_body(name):
    body, _ = _expected(DATA / "text", name, ".expected.txt")
    article = clean_text((DATA / "text" / f"{name}.txt").read_text(encoding="utf-8"))
    assert article.text == body


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_metadata_is_found(name):
    _, meta = _expected(DATA / "text", name, ".expected.txt")
    article = clean_text((DATA / "text" / f"{name}.txt").read_text(encoding="utf-8"))
    assert (article.title, article.author, article.published) == (meta["title"], meta["author"], meta["published"])


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_cleans_the_same_when_the_language_is_given(name):
    _, meta = _expected(DATA / "text", name, ".expected.txt")
    raw = (DATA / "text" / f"{name}.txt").read_text(encoding="utf-8")
    assert clean_text(raw, language=meta["language"]).text == clean_text(raw).text


def test_title_is_not_repeated_in_the_body():
    article = clean_text((SEEDS / "002_da9cfaa2d703c577.txt").read_text(encoding="utf-8"))
    assert article.title and article.title not in article.text.split("\n")


def test_known_site_boilerplate_paragraph_is_dropped():
    raw = (DATA / "text" / "en_subheadings_all_body.txt").read_text(encoding="utf-8")
    line = "Producers say the dependence on one market is a risk, and many are trying to reach buyers"
    target = next(p for p in split_paragraphs(raw) if p.startswith(line))
    article = clean_text(raw, known_boilerplate=frozenset({paragraph_fingerprint(target)}))
    assert target not in article.text and "Exports of Georgian wine" in article.text


def test_crlf_and_no_break_spaces_are_normalised():
    raw = (SEEDS / "003_560aef4a53232fc4.txt").read_text(encoding="utf-8")
    crlf = raw.replace("\n", "\r\n").replace(" Azerbaijan ", "\u00a0Azerbaijan\u00a0")
    assert clean_text(crlf).text == clean_text(raw).text


def test_short_note_without_prose_is_kept_rather_than_emptied():
    article = clean_text("Armenia and Azerbaijan resume border talks in Brussels")
    assert article.text == "Armenia and Azerbaijan resume border talks in Brussels"


def test_empty_text_gives_an_empty_article():
    article = clean_text("  \n\n ")
    assert (article.text, article.title, article.published) == ("", "", None)


@pytest.mark.parametrize("text, iso", [
    ("December 3, 2021", "2021-12-03"), ("3 декабря 2021", "2021-12-03"), ("03.12.2021", "2021-12-03"),
    ("date 2020-09-27", "2020-09-27"), ("3. Dezember 2021", "2021-12-03"), ("3 Aralık 2021", "2021-12-03"),
    ("12 մայիսի 2022", "2022-05-12"), ("15 ივნისი 2022", "2022-06-15"), ("28 septembre 2023", "2023-09-28"),
    ("3 dekabr 2021", "2021-12-03"), ("12/25/2020", "2020-12-25"),
])
def test_dates_in_several_languages_are_read(text, iso):
    assert find_date(text)[0] == iso


@pytest.mark.parametrize("text", ["2999-01-01", "31.02.2021", "1 Smarch 2020", "page 12 of 2021"])
def test_impossible_or_future_dates_are_refused(text):
    assert find_date(text) is None
