"""The fast langdetect Detector gives langdetect's own answers, bit for bit."""

from __future__ import annotations

from pathlib import Path

import pytest
from langdetect.detector import Detector
from langdetect.lang_detect_exception import LangDetectException

from extractors.langdetect_fast import FastDetector
from extractors.language import _factory

DATA = Path(__file__).resolve().parent / "data"


def _texts() -> list[str]:
    texts = []
    for path in sorted((DATA / "language").glob("*.txt")):
        paragraphs = [p.strip() for p in path.read_text("utf-8").split("\n\n") if p.strip()]
        texts += paragraphs + ["\n".join(paragraphs)]
    for path in sorted((DATA / "text").glob("*.txt")):
        texts.append(path.read_text("utf-8"))
    # the character classes langdetect treats specially: runs of spaces, capital words, URLs and
    # mail addresses, Romanian comma letters, Vietnamese combining marks, kana, hangul, Latin
    # words inside a non-Latin text, a text that starts or ends with spaces
    texts += ["  double  spaces   and\ttabs\n\nnewlines  ", "NATO USA EU and the UN met in Baku",
              "see https://example.org/a?b=1 or write to press@example.org today",
              "ştiri şi ţări, știri și țări", "Tiếng Việt có dấu: Tiê\u0301ng Viê\u0323t", "日本語のテキストとカタカナ",
              "한국어 텍스트입니다", "Новости Armenia и Azerbaijan сегодня, EU и NATO", "x", " ", ""]
    return texts


def _probabilities(detector) -> list[tuple[str, float]] | str:
    try:
        return [(lang.lang, lang.prob) for lang in detector.get_probabilities()]
    except LangDetectException as err:
        return f"error {err.code}"


@pytest.mark.parametrize("script", ["latin", "cyrillic", "arabic", "all-profiles"])
def test_fast_detector_matches_langdetect_exactly(script: str):
    factory = _factory(script)
    compared = 0
    for text in _texts():
        original, fast = Detector(factory), FastDetector(factory)
        original.append(text)
        fast.append(text)
        assert fast.text == original.text, text[:60]
        assert _probabilities(fast) == _probabilities(original), text[:60]
        compared += 1
    assert compared > 30


def test_fast_detector_appends_like_langdetect_across_calls():
    factory = _factory("latin")
    original, fast = Detector(factory), FastDetector(factory)
    for part in ("First part ends with a space ", " second part starts with one", "  and  a  third"):
        original.append(part)
        fast.append(part)
    assert fast.text == original.text
    assert _probabilities(fast) == _probabilities(original)
