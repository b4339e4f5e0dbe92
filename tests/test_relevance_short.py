"""Issue 12 relevance: short items, attribution, the place layer, the dated layers, the benchmark gate."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from benchmarks.relevance import default_sets, read_article, split_half
from config import TOPICS_FILE
from extractors.attribution import attribution_spans
from extractors.errors import ConfigError
from extractors.gazetteer import load_gazetteer
from extractors.relevance import score_relevance

DATA = Path(__file__).parent / "data" / "relevance"
CONFIG = TOPICS_FILE.parent


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


def _entities(gaz, text: str) -> list[str]:
    return [gaz.entities[m.entity].name for m in gaz.find(text) if gaz.entities[m.entity].kind != "cue"]


# ---------------------------------------------------------------- the short items and their split


def _short_cases() -> list:
    cases = []
    for name, items in default_sets().items():
        if name.startswith("short"):
            cases += [pytest.param(p, y, id=f"{name}/{p.parent.name}/{p.stem}") for p, y in items]
    return cases


def test_short_item_sets_are_large_multilingual_and_split_as_committed():
    sets = default_sets()
    short = sets["short-tune"] + sets["short-heldout"]
    assert len(short) >= 60 and {p.stem.split("_")[0] for p, _ in short} == {"en", "ru", "hy", "ka", "az"}
    assert sum(1 for _, y in short if not y) >= 20  # negatives: world items, attributions, the US state
    recorded = {line.split(": ", 1)[1]: line[2:].split(":")[0]
                for line in (DATA / "short" / "SPLIT.md").read_text("utf-8").splitlines() if line.startswith("- ")}
    assert recorded == {f"{p.parent.name}/{p.name}": split_half(p) for p, _ in short}
    assert all(len(read_article(p)[1].split(". ")) <= 4 for p, _ in short)


@pytest.mark.parametrize("path,expected", _short_cases())
def test_short_item_is_classified(path: Path, expected: bool, gaz):
    rel = score_relevance(*read_article(path), gazetteer=gaz)
    assert rel.relevant is expected, f"{path.name}: score={rel.score} {rel.reason}"


def test_short_item_reason_never_contradicts_itself(gaz):
    for path, _ in default_sets()["short-heldout"] + default_sets()["short-tune"]:
        reason = score_relevance(*read_article(path), gazetteer=gaz).reason
        assert "in passing" not in reason, (path.name, reason)


def test_short_item_keyed_on_local_entity_but_not_on_a_country_in_a_list(gaz):
    local = score_relevance("Six detained", "Police detained six people in Zugdidi on Tuesday.", gazetteer=gaz)
    assert local.relevant and local.reason.startswith("short item (1 sentence)") and local.countries == ["ge"]
    listed = score_relevance("Leaders talk", "Putin spoke with the leaders of Kazakhstan, Armenia and Belarus.", gazetteer=gaz)
    assert not listed.relevant and "names only a country" in listed.reason


def test_a_long_story_is_not_short_and_needs_the_general_gates(gaz):
    filler = "Ministers discussed the budget, pensions and the labour market at length. " * 6
    rel = score_relevance("Budget week", "The minister spoke in Zugdidi on Monday. " + filler, gazetteer=gaz)
    assert not rel.relevant


# ---------------------------------------------------------------- attribution is not topic


@pytest.mark.parametrize("text", [
    "A quake hit Japan, APA reports citing Kyodo.",
    "The rate was cut, according to Report.az.",
    "Курс упал, передает Sputnik Армения со ссылкой на биржи.",
    "Ճապոնիայում երկրաշարժ է եղել, «Արմենպրես»-ը հաղորդում է։",
    "იაპონიაში მიწისძვრა მოხდა, იუწყება „ინტერპრესნიუსი“.",
    "Yaponiyada zəlzələ olub, Trend xəbər verir.",
    "The French government survived, News.am writes.",
])
def test_attributed_source_in_each_language_counts_nothing(text: str, gaz):
    rel = score_relevance("World news", text, gazetteer=gaz)
    assert not rel.relevant and "source named, not counted" in rel.reason
    assert all(t.weight == 0 or t.kind == "context" for t in rel.terms)


def _possible_first_literals(items) -> set[str] | None:
    """The characters a match of a parsed regex can start with (None: any character could)."""
    import re._constants as C

    out: set[str] = set()
    for op, av in items:
        if op is C.LITERAL:
            return out | {chr(av)}
        if op is C.BRANCH:
            subs = [_possible_first_literals(list(b)) for b in av[1]]
            return None if any(s is None for s in subs) else out.union(*subs)
        if op is C.SUBPATTERN:
            sub = _possible_first_literals(list(av[3]))
            if sub is None:
                return None
            return out | sub
        if op in (C.MAX_REPEAT, C.MIN_REPEAT):
            sub = _possible_first_literals(list(av[2]))
            if sub is None:
                return None
            out |= sub
            if av[0] > 0:
                return out
            continue  # optional: what follows may come first
        return None
    return None


def test_attribution_prefilter_lookahead_admits_every_phrase_start():
    """The first-letter lookahead of the phrase prefilter is a speed-up only: every letter a phrase
    can start with is in it (read from the parsed phrases, not from their source text)."""
    import re._parser

    from extractors import attribution

    starts = _possible_first_literals(list(re._parser.parse(attribution._ANY_PHRASES)))
    assert starts and starts <= set(attribution._first_letters(attribution._ANY_PHRASES))


def test_a_person_after_according_to_is_evidence_not_a_source():
    spans = attribution_spans("according to Pashinyan, the talks went well", [])
    assert spans == []


def test_dateline_of_a_wire_item_is_not_its_topic(gaz):
    rel = score_relevance("Iran and Saudi Arabia reopen consulates",
                          "Baku, Azerbaijan, March 4 - Trend: Iran and Saudi Arabia agreed to reopen consulates.", gazetteer=gaz)
    assert not rel.relevant and "Baku, Azerbaijan" in rel.reason


@pytest.mark.parametrize("agency", ["Reuters", "Caucasus Wire", "Georgia Today", "Sputnik Armenia"])
def test_the_agency_in_brackets_after_a_dateline_is_not_the_topic(gaz, agency):
    """The wire convention "CITY, Month Day (Agency) –": whatever the agency's name says."""
    rel = score_relevance("Turkish central bank cuts key rate",
                          f"ANKARA, Nov 12 ({agency}) – Turkey's central bank cut its key interest rate on Tuesday "
                          "for a second month, citing slowing inflation.", gazetteer=gaz)
    assert not rel.relevant and f"({agency})" in rel.reason


def test_an_outlet_as_the_subject_is_weak_evidence_and_a_common_word_outlet_none(gaz):
    subject = score_relevance("Verdict", "A court in Baku jailed reporters of Abzas Media.\nMeydan TV staff were also held.",
                              gazetteer=gaz)
    assert subject.relevant and any(t.kind == "outlet" and t.weight == 1.0 for t in subject.terms)
    report = score_relevance("Annual Report", "The Annual Report shows a Trend in sales.", gazetteer=gaz)
    assert not report.relevant and all(t.weight == 0 for t in report.terms)


# ---------------------------------------------------------------- the place layer


@pytest.mark.parametrize("text,entity", [
    ("the village of Tegh", "Tegh"), ("Տեղ համայնքում", "Tegh"), ("Sotk mine", "Sotk"), ("Սոթքի հանքավայր", "Sotk"),
    ("в Карабудахкентском районе", "Karabudakhkent"), ("Karabudakhkent district", "Karabudakhkent"),
    ("Tovuzda qəza", "Tovuz"), ("Киранц", "Kirants"), ("უშგულში", "Ushguli"),  # the curated supplement
    ("в Цумадинском районе", "Tsumada"), ("გარდაბნის მუნიციპალიტეტში და გარდაბანში", "Gardabani"), ("Urus-Martan", "Urus-Martan"),
])
def test_small_places_are_found_in_their_scripts(text: str, entity: str, gaz):
    assert entity in _entities(gaz, text)


@pytest.mark.parametrize("text", [
    "Տեղի է ունեցել հանդիպում",  # տեղ is "place": the village Tegh only next to a settlement word
    "тех людей", "The Institute of Technology", "a taste of honey", "Annual Report",
])
def test_place_names_that_are_common_words_do_not_fire(text: str, gaz):
    assert [e for e in _entities(gaz, text) if e not in ("news outlet",)] == [] or \
        all(gaz.entities[m.entity].weight == 0 for m in gaz.find(text))


def test_small_place_alone_in_a_long_text_is_not_enough(gaz):
    filler = "Scientists discussed the results at length in the lecture hall. " * 8
    rel = score_relevance("Conference notes", filler + "One speaker had visited Gubden. " + filler, gazetteer=gaz)
    assert not rel.relevant


def test_places_file_records_its_sources_and_covers_the_region():
    doc = json.loads((CONFIG / "places.json").read_text("utf-8"))
    assert doc["sources"]["min_population"] == 500
    regions = {p["region"] for p in doc["places"]}
    assert regions == {"AM", "AZ", "GE", "NC"}
    assert all(p["source"].startswith(("geonames:", "iso3166-2:", "curated:")) for p in doc["places"])


@pytest.mark.slow
def test_build_script_regenerates_the_committed_places_file(tmp_path):
    out = tmp_path / "places.json"
    subprocess.run([sys.executable, "tools/build_places.py", "--out", str(out)], check=True, timeout=300,
                   cwd=CONFIG.parent, capture_output=True)
    fresh, committed = json.loads(out.read_text("utf-8")), json.loads((CONFIG / "places.json").read_text("utf-8"))
    assert fresh["places"] == committed["places"]


def test_the_place_layer_names_no_country_and_no_stem_that_spells_a_common_word():
    sys.path.insert(0, str(CONFIG.parent / "tools"))
    from build_places import country_names, ru_stem_forms

    from extractors.gazetteer import fold

    countries = country_names()
    assert {fold("Բանգլադեշ"), fold("Bangladesh"), fold("Куба")} <= countries
    places = json.loads((CONFIG / "places.json").read_text("utf-8"))["places"]
    forms = [(p["name"], f) for p in places for fs in p["forms"].values() for f in fs]
    assert not [(name, f) for name, f in forms if fold(f) in countries]  # GeoNames filed Bangladesh under a Yerevan district
    assert "новый" in ru_stem_forms("Новий")  # stored as the stem Нов-: it would match "Новый закон"
    assert ("Novy", "Новий") not in forms


# ---------------------------------------------------------------- the dated layers


def test_every_curated_entry_is_dated_and_sourced():
    for name in ("officials.yaml", "outlets.yaml"):
        for entry in yaml.safe_load((CONFIG / name).read_text("utf-8"))["entities"]:
            assert isinstance(entry["as_of"], date) and entry["source"], entry["name"]


def test_parties_and_ministers_are_found(gaz):
    assert "Georgian parties" in _entities(gaz, "the UNM boycott")
    assert "Georgian government" in _entities(gaz, "Interior Minister Gela Geladze said")
    assert "Azerbaijani parties" in _entities(gaz, "Müsavat sədri Arif Hacılı bildirib")
    assert "Armenian parties" in _entities(gaz, "Բարգավաճ Հայաստան կուսակցությունը")


def test_a_layer_entry_without_a_date_is_a_config_error(tmp_path: Path):
    (tmp_path / "officials.yaml").write_text("entities: [{name: X, kind: person, weight: 2, terms: {en: [Xyz]}}]\n", "utf-8")
    (tmp_path / "topics.yaml").write_text("layers: [officials.yaml]\nsuffixes: {en: '(?:s)?'}\n"
                                          "entities: [{name: Y, kind: city, weight: 2, terms: {en: [Yville]}}]\n", "utf-8")
    with pytest.raises(ConfigError, match="as_of"):
        load_gazetteer(tmp_path / "topics.yaml")


def test_a_short_item_in_armenian_naming_armenia_in_its_first_sentence_is_armenian_news(gaz):
    # a pass, a road, a school: too small for any gazetteer; the language is the second evidence
    title = "Վարդենյաց լեռնանցքը փակ է բեռնատարների համար"
    text = ("ՆԳՆ փրկարար ծառայության տեղեկացմամբ՝ Հայաստանի Վարդենյաց լեռնանցքում ձյուն է տեղում։ "
            "Ավտոճանապարհը փակ է կցորդով բեռնատարների համար։")
    rel = score_relevance(title, text, gazetteer=gaz, language="hy")
    assert rel.relevant and rel.countries == ["am"], rel.reason
    # the same words in a language many countries write are not enough alone
    english = score_relevance("Pass closed to trucks", "Snow fell on a mountain pass in Armenia, rescuers said. "
                              "The road is closed to trucks with trailers.", gazetteer=gaz, language="en")
    assert not english.relevant


def test_armenian_provinces_are_found_however_their_second_word_is_capitalised(gaz):
    for text in ("Վայոց ձորի մարզում", "Վայոց Ձորի մարզում", "Կոտայքի մարզում", "Арагацотнской области"):
        assert "Armenian towns" in _entities(gaz, text), text
