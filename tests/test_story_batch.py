"""story_term_ids_many against the Python reference (extractors.story), bit for bit."""

from __future__ import annotations

import random
import sys
import unicodedata
from pathlib import Path

import pytest

from extractors import story
from extractors import story_batch as sb
from extractors.gazetteer import fold
from extractors.story import _PUNCT, _SENTENCE_END, story_terms, term_ids
from extractors.story_batch import story_term_ids_many

STORY = Path(__file__).resolve().parent / "data" / "story"
FIXTURES = sorted(STORY.glob("*.txt"))
ROOT = Path(__file__).resolve().parents[1]


def reference(titles: list[str], texts: list[str]) -> list[list[int]]:
    return [term_ids(story_terms(title, text)) for title, text in zip(titles, texts)]


def fixture_docs() -> list[tuple[str, str]]:
    docs = []
    for path in FIXTURES:
        text = path.read_text(encoding="utf-8")
        docs.append((text.split("\n", 1)[0], text))
    return docs


def assert_same(titles: list[str], texts: list[str]) -> None:
    got = story_term_ids_many(titles, texts)
    want = reference(titles, texts)
    for title, text, g, w in zip(titles, texts, got, want):
        assert g == w, (title, text[:200])
    assert len(got) == len(want)


# Real multilingual fixtures ------------------------------------------------------------------


def test_fixtures_cover_the_languages_of_the_region():
    assert {p.stem for p in FIXTURES} >= {"en", "ru", "hy", "ka", "az", "tr", "de"}


def test_fixture_documents_match_the_reference_without_fallback():
    titles, texts = map(list, zip(*fixture_docs()))
    assert_same(titles, texts)
    fallback = sb._compiled(titles, texts)[1][1:] < 0  # bound -1: left to the reference
    assert not fallback.any()  # Cyrillic, Armenian, Georgian, Latin with diacritics: all compiled


def test_fixture_terms_are_not_trivial():
    # Guards the equality tests: names flagged, filters active (country names and months dropped).
    for title, text in fixture_docs():
        terms = story_terms(title, text)
        assert len(terms) >= 8 and any(t.startswith(story.NAME) for t in terms)
    en = dict(zip([p.stem for p in FIXTURES], fixture_docs()))["en"]
    terms = story_terms(*en)
    assert "name:pashin" in terms and "name:france" not in terms and "name:friday" not in terms
    tr = dict(zip([p.stem for p in FIXTURES], fixture_docs()))["tr"]
    assert not {"türkiy", "name:türkiy", "gürcis", "name:gürcis"} & story_terms(*tr)  # dropped by their fold


def test_fixture_titles_with_other_leads_and_cuts_match_the_reference():
    docs = fixture_docs()
    titles, texts = [], []
    for title, _ in docs:
        for _, text in docs:
            for cut in (0, 1, 7, 60, 250):
                titles.append(title)
                texts.append(text[cut:])
    titles.append("")
    texts.append("")
    assert_same(titles, texts)


def test_fixture_texts_with_other_whitespace_and_case_match_the_reference():
    rnd = random.Random(7)
    spaces = [" ", "\u00a0", "\u2009", "\u3000", "\x1c", "\t", "\n", "  ", "\u2028", "\x85"]
    titles, texts = [], []
    for title, text in fixture_docs():
        for transform in (str.upper, str.lower, str.title, str.swapcase, lambda s: s):
            spaced = "".join(rnd.choice(spaces) if ch == " " else ch for ch in transform(text))
            titles.append(spaced.split("\n", 1)[0])
            texts.append(spaced)
            titles.append(transform(title))
            texts.append(spaced.replace("\n", " "))  # a text without a newline
            titles.append(unicodedata.normalize("NFD", title))  # combining marks in the stems
            texts.append(unicodedata.normalize("NFD", spaced))
    assert_same(titles, texts)


# Random strings ---------------------------------------------------------------------------


def _span(a: int, b: int) -> list[str]:
    return [chr(c) for c in range(a, b + 1)]


ALPHABETS = {
    "latin": (30, _span(0x41, 0x5A) + _span(0x61, 0x7A)),
    "cyrillic": (20, _span(0x410, 0x44F) + list("ёЁіїґ")),
    "armenian": (10, _span(0x531, 0x556) + _span(0x561, 0x587)),
    "georgian": (10, _span(0x10D0, 0x10FA) + _span(0x10A0, 0x10C5) + _span(0x1C90, 0x1CBA)),
    "azeri_turkish": (8, list("əƏşŞçÇğĞıIİiöÖüÜâÂ")),
    "german": (4, list("ßẞäÄöÖüÜ") + ["ﬁ", "ﬀ"]),
    "greek": (3, list("ςσΣΐΰ") + _span(0x391, 0x3A9)),
    "combining": (3, _span(0x300, 0x36F)),
    "digits": (5, list("0123456789٣٤०१①²³１")),
    "punctuation": (10, list(_PUNCT) + list(_SENTENCE_END)),
    "odd": (2, ["\u200c", "\u200d", "\u0bc6", "\u0bbe", "\u1100", "\u1161", "가", "أ", "ی", "\u00ad", "½", "™",
                "Å", "\u212b", "ǅ", "ŉ", "ΐ", "\u0345", "ﬆ", "\x00"]),
    "astral": (0.3, ["😀", "𝐀", "𐐀", "\U00010428", "\U0001d7d8"]),
}
SPACES = [" "] * 6 + ["\n", "\t", "\u00a0", "\u2009", "\u3000", "\x1c", "\x1f", "\x85", "\u2028", "\r\n"]


def _vocabulary() -> list[str]:
    # Filter words in every case and script, so that the random documents hit the filters.
    words = sorted(story._CALENDAR) + sorted(story._region_names())
    # Accented, dotless-i and ё spellings: kept only if their gazetteer fold is not a region name.
    variants = [w.replace("u", "ü").replace("i", "ı").replace("е", "ё") for w in words[::3]]
    variants += [w[:1] + "\u0301" + w[1:] for w in words[1::3]]
    words += variants
    return words + [w.upper() for w in words[::7]] + [w.title() for w in words[::5]]


def _word(rnd: random.Random, vocabulary: list[str]) -> str:
    if rnd.random() < 0.3:
        word = rnd.choice(vocabulary)
    else:
        names, weights = list(ALPHABETS), [w for w, _ in ALPHABETS.values()]
        size = rnd.choice([1, 2, 3, 4, 4, 5, 6, 7, 8, 10])
        if rnd.random() < 0.6:  # mostly one script per word, sometimes mixed
            kinds = rnd.choices(names, weights) * size
        else:
            kinds = rnd.choices(names, weights, k=size)
        word = "".join(rnd.choice(ALPHABETS[k][1]) for k in kinds)
    if rnd.random() < 0.4:
        word = word[:1].upper() + word[1:]
    if rnd.random() < 0.15:
        word = rnd.choice(_PUNCT) + word
    if rnd.random() < 0.2:
        word += rnd.choice(_PUNCT + "".join(_SENTENCE_END))
    return word


def _document(rnd: random.Random, vocabulary: list[str], words: int) -> str:
    out = []
    for _ in range(words):
        out.append(_word(rnd, vocabulary))
        out.append("".join(rnd.choices(SPACES, k=rnd.choice([1, 1, 1, 2, 3]))))
    text = "".join(out)
    return text if rnd.random() < 0.8 else text.strip()


def test_random_multilingual_strings_match_the_reference():
    rnd = random.Random(20260314)
    vocabulary = _vocabulary()
    titles = [_document(rnd, vocabulary, rnd.randint(0, 14)) for _ in range(4000)]
    texts = [_document(rnd, vocabulary, rnd.randint(0, 260)) for _ in range(4000)]
    assert_same(titles, texts)
    fallback = sb._compiled(titles, texts)[1][1:] < 0  # bound -1: left to the reference
    # Both paths are exercised: astral characters send documents to the reference, most stay compiled.
    assert 0.02 < fallback.mean() < 0.6


def test_lone_surrogate_in_a_stem_raises_like_the_reference():
    title, text = "Talks \ud800abc in town", "Lead. Then Ab\udc00cd came"
    with pytest.raises(UnicodeEncodeError):
        term_ids(story_terms(title, text))
    with pytest.raises(UnicodeEncodeError):
        story_term_ids_many([title], [text])
    # Outside any story term, a surrogate is harmless in both.
    assert_same(["a \ud800 b"], ["x y \udc00 Zzzz"])


@pytest.mark.parametrize("title,text", [
    ("ßßa ﬃx İİ ŉŉ", "x Straße ßßßß İstanbul İİİİ ǅemal ΐΐΐΐ"),  # casefolds of several characters
    ("1234 ١٢٣٤ ①②③④ 12a4", "x 1234 Abcd ①②③④"),  # digits of every kind
    ("«Пашинян» ««»» —— ....", "А «Пашинян», «Алиев» сказал. «Армения» Россия"),
    ("σίσυφος ΣΊΣΥΦΟΣ", "a. Σίσυφος ΣΊΣΥΦΟΣ ς"),
    ("\u200c\u200c\u200c\u200c \u0301\u0301\u0301\u0301", "x \u200cAbcd A\u0301bcde"),  # folds to nothing
    ("friday FRIDAY Пятница armenia", "x Friday Armenia Азербайджан Пятницу"),  # filtered
    ("", "Single"), ("a", ""), ("x" * 600, "y " * 600), ("word\u3000word2", "a\u00a0Bcde\x1cFghi"),
])
def test_edge_cases_match_the_reference(title: str, text: str):
    assert_same([title], [text])
    assert_same([title] * 3, [text, text[:500], text + " Extra Words Here"])


def test_every_per_character_fold_is_the_gazetteer_fold():
    tables = sb._tables()
    chars = [c for c in range(0x10000) if tables.fold_len[c] >= 0]
    assert len(chars) > 50_000
    for c in chars:
        expected = fold(chr(c))
        assert tables.fold[c, : tables.fold_len[c]].tolist() == [ord(x) for x in expected], hex(c)
    rnd = random.Random(3)
    picks = [chr(c) for c in chars]
    for _ in range(3000):  # and on strings, the fold is the concatenation
        s = "".join(rnd.choices(picks, k=rnd.randint(1, 8)))
        assert fold(s) == "".join(fold(x) for x in s), s


def test_many_documents_go_through_several_kernel_calls_in_order():
    titles, texts = map(list, zip(*fixture_docs()))
    repeat = 1 + 2 * sb._BATCH_DOCS // len(titles)
    assert_same(titles * repeat, texts[::-1] * repeat)


def test_empty_batch():
    assert story_term_ids_many([], []) == []


# The dedup benchmark's corpus ------------------------------------------------------------------


def test_benchmark_corpus_matches_the_reference_without_fallback():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from dedup import Corpus, documents
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    planted: dict = {"dup": {}, "kind": {}, "event": {}}
    docs = list(documents(Corpus(1, vocabulary=8_000), 2_000, 1, planted))
    titles = [title for _, _, title, _ in docs]
    texts = [text for _, text, _, _ in docs]
    assert_same(titles, texts)
    fallback = sb._compiled(titles, texts)[1][1:] < 0  # bound -1: left to the reference
    assert not fallback.any()


def test_an_ascii_batch_and_the_same_batch_with_one_other_script_agree():
    """An all-ASCII batch goes through the kernel as bytes, any other as UTF-32: same ids."""
    titles = ["Pashinyan and Aliyev meet in Washington", "Lachin road: trucks wait at the checkpoint"]
    texts = [f"{t}\nOn Friday Prime Minister Pashinyan met President Aliyev in Washington, officials said." for t in titles]
    ascii_only = story_term_ids_many(titles, texts)
    mixed = story_term_ids_many(titles + ["Пашинян встретился с Алиевым"], texts + ["В пятницу Пашинян встретился с Алиевым."])
    assert ascii_only == mixed[:2] == [term_ids(story_terms(t, x)) for t, x in zip(titles, texts)]
    assert all(ascii_only)


def test_an_outlets_name_in_the_lead_is_not_a_story_term():
    # Every story of a wire service opens with its name: shared by two unrelated stories, it
    # must not count towards "one story" (names of people and places still do).
    lead = "YEREVAN, December 3. /ARMENPRESS/. Speaker Alen Simonyan met the delegation of Mediamax today."
    terms = story_terms("Speaker meets delegation", lead)
    assert "name:armenp" not in terms and "name:mediam" not in terms
    assert "name:simony" in terms
    assert_same(["Speaker meets delegation"], [lead])
