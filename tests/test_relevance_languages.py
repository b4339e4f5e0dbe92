"""Language and relevance on texts of a probe nobody on the team wrote (tests/data/relevance_languages/).

Each text stands for a class: a context's cues in one language only, Ukrainian spelling of the
region's names, a common word posing as a place alias, a demonym among a state's institutions,
names with ə quoted in Turkish. The whole `extract` path decides, as a user's command would.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.article import extract_document, make_record

DATA = Path(__file__).parent / "data" / "relevance_languages"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))


def _record(name: str):
    from datetime import datetime, timezone

    extracted = extract_document((DATA / f"{name}.txt").read_bytes())  # as `newswatch extract` reads a text file
    return make_record(extracted, article_id=name, url=f"https://news.example/{name}", canonical_url=None,
                       source="probe", first_seen=datetime(2026, 12, 4, tzinfo=timezone.utc))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_language_and_relevance_hold_on_unseen_texts(name):
    record = _record(name)
    assert record.language == EXPECTED[name]["language"], record.language_method
    assert record.caucasus["relevant"] is EXPECTED[name]["relevant"], record.caucasus["reason"]


def test_a_ukrainian_term_is_shown_as_the_text_writes_it():
    terms = {t["term"] for t in _record("uk_gruziia_protest").caucasus["terms"]}
    assert any("ї" in term or "і" in term for term in terms), terms


@pytest.mark.parametrize("text, place", [
    ("Գյումրու պատմական թաղամասում", "Գյումրու"),  # Armenian -ի names: genitive-dative in -ու
    ("Ալավերդու կամուրջը", "Ալավերդու"),
    ("მცხეთის მუნიციპალიტეტში", "მცხეთის"),  # Georgian -ა names drop it before -ის
    ("в Домбае открыли канатку", "Домбае"),  # Russian -й names drop it before an ending
])
def test_place_names_whose_stem_changes_before_an_ending_are_found(text, place):
    from extractors.gazetteer import load_gazetteer

    assert place in [match.surface for match in load_gazetteer().find(text)]
