"""Language detection over real news paragraphs in the region's languages and its neighbours'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractors.language import SAMPLE_CHARS, detect_language, normalise_language_code
from extractors.records import LanguageGuess

DATA = Path(__file__).resolve().parent / "data" / "language"
LANGUAGES = ["en", "ru", "hy", "ka", "az", "tr", "uk", "fr", "de", "ar", "fa"]


def paragraphs(code: str) -> list[str]:
    text = (DATA / f"{code}.txt").read_text("utf-8")
    return [p.strip() for p in text.split("\n\n") if p.strip()]


PARAGRAPHS = [
    pytest.param(code, text, id=f"{code}-{i}") for code in LANGUAGES for i, text in enumerate(paragraphs(code))
]
CASES = json.loads((DATA / "cases.json").read_text("utf-8"))


def test_every_language_has_at_least_five_paragraphs():
    for code in LANGUAGES:
        assert len(paragraphs(code)) >= 5, code


@pytest.mark.parametrize("code,text", PARAGRAPHS)
def test_news_paragraph_is_detected(code: str, text: str):
    guess = detect_language(text)
    assert guess.code == code, guess
    assert guess.confidence >= 0.7
    assert guess.method in {"script", "letters", "langdetect"}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_edge_case(case: dict):
    guess = detect_language(case["text"], case["declared"])
    if "code_in" in case:
        assert guess.code in case["code_in"], guess
    else:
        assert guess.code == case["code"], guess
    assert guess.method == case["method"], guess
    assert 0.0 <= guess.confidence <= 1.0


@pytest.mark.parametrize("code", ["hy", "ka"])
def test_langdetect_blind_spots_are_settled_by_script(code: str):
    guess = detect_language(" ".join(paragraphs(code)))
    assert (guess.code, guess.method) == (code, "script")
    assert guess.confidence > 0.95


def test_azerbaijani_is_settled_by_letters_not_langdetect():
    for text in paragraphs("az"):
        assert detect_language(text).method == "letters"


def test_azerbaijani_without_schwa_is_told_from_turkish():
    for text in paragraphs("az"):
        assert detect_language(text.replace("ə", "e").replace("Ə", "E")).code == "az"
    for text in paragraphs("tr"):
        assert detect_language(text).code == "tr"


def test_ukrainian_is_not_russian_and_back():
    assert all(detect_language(t).code == "uk" for t in paragraphs("uk"))
    assert all(detect_language(t).code == "ru" for t in paragraphs("ru"))


def test_detection_wins_over_a_wrong_declared_language():
    text = paragraphs("en")[0]
    guess = detect_language(text, declared="ru-RU")
    assert guess.code == "en"
    assert guess.declared == "ru"
    assert guess.method == "langdetect"


def test_declared_language_is_kept_when_it_agrees():
    guess = detect_language(paragraphs("hy")[0], declared="hy-AM")
    assert guess == LanguageGuess("hy", guess.confidence, "script", "hy")


def test_too_short_text_falls_back_to_declared_with_low_confidence():
    guess = detect_language("Tbilisi", declared="en-US")
    assert (guess.code, guess.method, guess.declared) == ("en", "declared", "en")
    assert guess.confidence <= 0.3


def test_too_short_text_without_declared_language_has_no_code():
    for text in ["", "   ", "OK", "2024-05-12", "Baku"]:
        guess = detect_language(text)
        assert (guess.code, guess.method, guess.confidence) == (None, "too-short", 0.0)


def test_mixed_scripts_are_flagged_with_low_confidence():
    text = paragraphs("en")[2] + "\n\n" + paragraphs("ka")[2]
    guess = detect_language(text)
    assert guess.method == "mixed"
    assert guess.code in {"en", "ka"}
    assert guess.confidence <= 0.5
    assert detect_language(text, declared="ka").code == "ka"
    assert detect_language(text, declared="en").code == "en"


def test_a_few_foreign_words_do_not_make_a_text_mixed():
    text = paragraphs("ru")[3] + " Reuters, Bloomberg, Financial Times."
    guess = detect_language(text)
    assert (guess.code, guess.method) == ("ru", "langdetect")


@pytest.mark.parametrize("code", LANGUAGES)
def test_detection_is_deterministic(code: str):
    text = " ".join(paragraphs(code))
    first = detect_language(text)
    assert all(detect_language(text) == first for _ in range(3))


def test_long_text_is_sampled_from_start_middle_and_end():
    # An Armenian article behind a long English preamble: sampling only the start would say "en".
    en, hy = " ".join(paragraphs("en")), " ".join(paragraphs("hy"))
    text = en + " " + hy * 8
    assert len(en) > SAMPLE_CHARS // 2 and len(text) > 4 * SAMPLE_CHARS
    assert detect_language(text[:SAMPLE_CHARS]).code == "en"
    assert detect_language(text).code == "hy"


def test_long_text_costs_no_more_than_its_sample():
    import time

    text = " ".join(paragraphs("en")) * 200
    detect_language(text)
    started = time.perf_counter()
    for _ in range(5):
        detect_language(text)
    assert (time.perf_counter() - started) / 5 < 0.25  # generous: 2 shared cores


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("en-US", "en"),
        ("hy-AM", "hy"),
        ("az-Latn", "az"),
        ("az-Cyrl-AZ", "az"),
        ("ru_RU", "ru"),
        ("KA", "ka"),
        (" fr ", "fr"),
        ("arm", "hy"),
        ("geo", "ka"),
        ("ge", "ka"),
        ("rus", "ru"),
        ("iw", "he"),
        ("zh-cn", "zh"),
        ("und", None),
        ("x-default", None),
        ("", None),
        (None, None),
        ("english", None),
        ("12", None),
    ],
)
def test_declared_codes_are_normalised(raw, expected):
    assert normalise_language_code(raw) == expected


def test_script_counts_by_table_equal_the_patterns_on_every_bmp_character():
    """The translate table that counts scripts and letters gives the patterns' own counts."""
    from extractors.language import _LETTER, _SCRIPTS, _script_counts

    every = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    texts = [every[i:i + 1500] for i in range(0, len(every), 1500)]
    texts += [text for code in LANGUAGES for text in paragraphs(code)] + ["", "123 — !", "😀 𝐀 ə Ә"]
    for text in texts:
        counts, letters = _script_counts(text)
        assert counts == {name: len(rx.findall(text)) for name, rx in _SCRIPTS.items()}, text[:40]
        assert letters == len(_LETTER.findall(text)), text[:40]
