"""A capitalised name's lower-case twin is an ordinary word: the name is matched as the text writes it.

Fixtures: tests/data/relevance/case_words/ (texts where a gazetteer name folds to a common word:
az/tr "görüş" meeting vs Goris, ru "гори" burn vs Gori, hy "կենտրոն" centre vs Kentron, the
surname Tripp vs the TRIPP route; and texts that name those places, in capitals or opening a sentence,
or, in a two-sentence item, mid-sentence in the second: a capital there is a name's; and a regional
outlet's domestic story whose headline names no country but whose body names local places and
institutions in several sentences).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.gazetteer import load_gazetteer
from extractors.relevance import score_relevance

DATA = Path(__file__).parent / "data" / "relevance" / "case_words"


def _read(path: Path) -> tuple[str, str]:
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return title.strip(), body.strip()



@pytest.mark.parametrize("path", sorted((DATA / "negative").glob("*.txt")), ids=lambda p: p.stem)
def test_a_common_word_that_folds_to_a_regional_name_does_not_make_an_article_relevant(path):
    title, body = _read(path)
    rel = score_relevance(title, body)
    assert not rel.relevant, f"{path.name}: {rel.score} {rel.reason}"


@pytest.mark.parametrize("path", sorted((DATA / "positive").glob("*.txt")), ids=lambda p: p.stem)
def test_a_place_named_in_capitals_or_opening_a_sentence_is_still_found(path):
    title, body = _read(path)
    rel = score_relevance(title, body)
    assert rel.relevant, f"{path.name}: {rel.score} {rel.reason}"


@pytest.mark.parametrize("text, name", [
    ("TALKS IN GORIS RESUME", "Armenian towns"),  # a headline in capitals
    ("Gori received a new bridge. The mayor of Gori opened it.", "Gori"),
    ("Гори получил новый мост. Мэрия Гори открыла его.", "Gori"),
    ("Gorusda iclas keçirilib.", "Armenian towns"),
])
def test_a_name_opening_a_sentence_matches_when_the_text_never_writes_it_in_lower_case(text, name):
    gaz = load_gazetteer()
    common = gaz.common_words([text])
    assert name in {gaz.entities[m.entity].name for m in gaz.find(text, common)}


def test_a_name_opening_a_sentence_is_an_ordinary_word_when_the_text_also_writes_it_in_lower_case():
    gaz = load_gazetteer()
    sentences = ["Görüşte Suriye ele alındı.", "Bir sonraki görüşün Moskova'da yapılması planlanıyor."]
    common = gaz.common_words(sentences)
    assert not [m for s in sentences for m in gaz.find(s, common) if gaz.entities[m.entity].kind != "cue"]
    assert [gaz.entities[m.entity].name for m in gaz.find("Gorusda iclas keçirilib.")] == ["Armenian towns"]


def test_a_lower_case_word_is_not_a_capitalised_name_nor_a_mixed_case_word_an_acronym():
    gaz = load_gazetteer()
    assert not list(gaz.find("Хор исполнил песню про то, как гори ясно"))
    assert not [m for m in gaz.find("Jake Tripp said the shop would open") if gaz.entities[m.entity].kind != "cue"]
    assert [gaz.entities[m.entity].name for m in gaz.find("the TRIPP route through Syunik")][:1] == ["Zangezur"]
