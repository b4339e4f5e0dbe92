"""compare_texts and the fingerprint primitives on real fixture pairs (tests/data/dedup)."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from extractors import fingerprint as fp
from extractors import fingerprint_batch as fpb
from extractors.fingerprint_batch import fingerprint_many

DEDUP = Path(__file__).resolve().parent / "data" / "dedup"
PAIRS = json.loads((DEDUP / "pairs.json").read_text())["pairs"]


def first_line_title(text: str) -> str:
    """The fixtures put a headline on the first line when the page had one."""
    line = text.split("\n", 1)[0]
    return line if len(line.split()) < 15 else ""


def load(pair: dict) -> dict:
    a, b = (DEDUP / pair["a"]).read_text(), (DEDUP / pair["b"]).read_text()
    dates = {k: datetime.fromisoformat(pair[k]) for k in ("a_date", "b_date") if k in pair}
    return dict(a_text=a, b_text=b, a_title=first_line_title(a), b_title=first_line_title(b), **dates)


def test_fixture_set_has_enough_pairs_of_each_kind():
    kinds = [p["kind"] for p in PAIRS]
    assert kinds.count("duplicate") >= 12 and kinds.count("distinct") >= 12
    same_event = [p for p in PAIRS if p["kind"] == "distinct" and p["same_story"]]
    assert {"ru", "hy"} <= {p["language"] for p in same_event}


@pytest.mark.parametrize("pair", PAIRS, ids=[p["name"] for p in PAIRS])
def test_pair_is_classified_as_duplicate_or_distinct(pair):
    result = fp.compare_texts(**load(pair))
    assert result.duplicate is (pair["kind"] == "duplicate"), result


@pytest.mark.parametrize("pair", PAIRS, ids=[p["name"] for p in PAIRS])
def test_duplicates_are_well_above_and_distinct_well_below_the_threshold(pair):
    similarity = fp.compare_texts(**load(pair)).similarity
    if pair["kind"] == "duplicate":
        assert similarity >= 0.75
    else:
        assert similarity <= 0.2


def test_duplicates_and_close_reports_share_a_story_and_other_stories_do_not():
    wrong = []
    for pair in PAIRS:
        if pair["kind"] == "duplicate" or not pair["same_story"] or pair.get("story_detectable", True):
            if fp.compare_texts(**load(pair)).same_story is not pair["same_story"]:
                wrong.append(pair["name"])
    assert wrong == []


def test_same_story_needs_the_dates_to_be_close():
    pair = next(p for p in PAIRS if p["name"] == "same-event-border-talks")
    args = load(pair)
    args.update(a_date=datetime(2026, 11, 2), b_date=datetime(2026, 11, 3))
    assert fp.compare_texts(**args).same_story
    args.update(a_date=datetime(2026, 9, 27), b_date=datetime(2026, 10, 27))
    assert not fp.compare_texts(**args).same_story


def test_region_names_alone_do_not_make_one_story():
    pair = next(p for p in PAIRS if p["name"] == "same-war-different-seeds")
    assert not fp.compare_texts(**load(pair)).same_story


def test_normalisation_unifies_case_quotes_dashes_and_apostrophes():
    assert fp.normalise_text("Nagorno–Karabakh’s “ceasefire”,\n\tHOLDS") == "nagorno karabakhs ceasefire holds"
    assert fp.normalise_text("Nagorno-Karabakh's \"ceasefire\" holds.") == "nagorno karabakhs ceasefire holds"
    assert fp.normalise_text("Ереван — «Столица»") == "ереван столица"


def test_content_hash_ignores_form_but_not_words():
    assert fp.content_hash("Baku, Tuesday.") == fp.content_hash("baku   tuesday")
    assert fp.content_hash("Baku, Tuesday.") != fp.content_hash("Baku, Wednesday.")


def test_scripts_without_spaces_are_shingled_per_character():
    text = "日本語の文章は単語の間に空白がありません。" * 3
    assert len(fp.tokenize(text).hashes) > 30


def test_short_lines_are_left_out_of_the_shingles():
    body = "The commission met on Tuesday and agreed to continue its work on the border next month."
    with_chrome = "Breaking news\nBy Staff\n" + body + "\nShare this"
    assert fp.jaccard(fp.fingerprint(body).shingles, fp.fingerprint(with_chrome).shingles) == 1.0


def test_sketch_estimate_tracks_jaccard():
    pair = next(p for p in PAIRS if p["name"] == "truncated-80-percent")
    a, b = (fp.fingerprint((DEDUP / pair[k]).read_text()) for k in ("a", "b"))
    assert fp.estimate_similarity(a.sketch, b.sketch) >= fp.DUPLICATE_BINS / fp.BINS


def fixture_texts() -> list[str]:
    return [path.read_text() for path in sorted(DEDUP.glob("*.txt"))]


def test_fingerprint_many_equals_fingerprint_of_each_text():
    # Real articles in several scripts, plus the edge cases the batch path treats apart:
    # no words, fewer tokens than a shingle, no body line, characters beyond the BMP.
    texts = fixture_texts() + [
        "", "  \n\n ", "one", "Don’t stop now", "x\n" * 40, "Baku 𝔘𝔫𝔦 😀 text with astral characters in one line",
        "Ереван — «Столица»'s \n" * 5, "日本語の文章は単語の間に空白がありません。" * 3,
    ]
    order = list(range(len(texts))) * 3  # repeated texts: equal fingerprints side by side
    random.Random(7).shuffle(order)
    batch = [texts[i] for i in order]
    for text, many in zip(batch, fingerprint_many(batch)):
        one = fp.fingerprint(text)
        assert many.content_hash == one.content_hash
        assert np.array_equal(many.shingles, one.shingles) and np.array_equal(many.sketch, one.sketch)


def test_fingerprint_many_splits_batches_larger_than_one_numpy_pass():
    texts = fixture_texts()
    batch = (texts * (fpb._BATCH_CHARS // sum(map(len, texts)) + 2))[: len(texts) * 3]
    assert sum(map(len, batch)) > fpb._BATCH_CHARS
    assert [f.content_hash for f in fingerprint_many(batch)] == [fp.content_hash(t) for t in batch]
    assert all(np.array_equal(a.sketch, fp.fingerprint(t).sketch) for a, t in zip(fingerprint_many(batch), batch))


# Golden fingerprints: shards in stores hold sketches, so the compiled path must reproduce
# the numpy one bit for bit. tests/data/dedup/fingerprints_before_numba.npz was recorded
# with the numpy implementation (``record_golden_fingerprints``) before the kernel existed.

GOLDEN = DEDUP / "fingerprints_before_numba.npz"
_ALPHABETS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ",
    "աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆԱԲԳԴԵԶ",
    "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ",
    "ÀÉÎÕÜßçğışəöüİIŞƏÇĞ",  # Turkish/Azerbaijani dotted and dotless i, ß (multi-letter fold)
    "日本語の文章は単語の間に空白がありませんカタカナ漢字",  # one token per character
    "ภาษาไทยไม่มีช่องว่าง",  # Thai: one token per character, with combining marks
    "ＡＢＣｄｅｆ１２３ﬁﬂ²½",  # compatibility forms NFKC folds (or leaves as multi-letter)
    "\u0301\u0308\u0327",  # combining marks: part of a word
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢😀🇦🇲",  # beyond the BMP
)
_MARKS = " ,.;:!?—–-«»“”\"()[]…/\t\u00a0\u2009'’`´ʼ\n"


def generated_text(rng: random.Random) -> str:
    """A random text mixing scripts, apostrophes, punctuation, long and short lines."""
    out = []
    for _ in range(rng.choice([0, 1, 2, 3, 8, 20, 60, 150, 400])):
        alphabet = _ALPHABETS[rng.randrange(len(_ALPHABETS))] if rng.random() < 0.3 else _ALPHABETS[0]
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))))
        roll = rng.random()
        out.append("\n" if roll < 0.06 else rng.choice(_MARKS) if roll < 0.25 else " ")
    return "".join(out)


def generated_texts(count: int = 3000, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return [generated_text(rng) for _ in range(count)]


def golden_texts() -> list[str]:
    return fixture_texts() + generated_texts()


@pytest.mark.parametrize("implementation", ["numpy", "compiled"])
def test_fingerprints_equal_the_golden_outputs_recorded_before_the_kernel(implementation):
    texts = golden_texts()
    if implementation == "numpy":
        prints = [fp.fingerprint(text) for text in texts]
    else:
        prints = fingerprint_many(texts)
    golden = np.load(GOLDEN)
    assert len(golden["sketch"]) == len(texts)
    wrong = [
        i for i, p in enumerate(prints)
        if bytes.fromhex(p.content_hash)[:8] != golden["content_hash"][i].tobytes()
        or len(p.shingles) != golden["shingle_count"][i]
        or _digest(p.shingles) != golden["shingles_sha256"][i].tobytes()
        or not np.array_equal(p.sketch, golden["sketch"][i])
    ]
    assert wrong == []


def test_compiled_fingerprints_equal_numpy_ones_text_by_text_and_in_batches():
    texts = generated_texts(500, seed=23)  # not the golden set: fresh texts of every kind
    for size in (1, 7, 500):
        for at in range(0, len(texts), size):
            for text, many in zip(texts[at : at + size], fingerprint_many(texts[at : at + size])):
                one = fp.fingerprint(text)
                assert many.content_hash == one.content_hash, text
                assert np.array_equal(many.shingles, one.shingles) and np.array_equal(many.sketch, one.sketch), text


def test_sketch_many_gives_the_hashes_and_sketches_of_fingerprint_many():
    texts = fixture_texts()[:10] + ["", "one"]
    hashes, sketches = fpb.sketch_many(texts)
    prints = fingerprint_many(texts)
    assert hashes == [p.content_hash for p in prints]
    assert np.array_equal(sketches, np.stack([p.sketch for p in prints]))


def record_golden_fingerprints() -> None:  # run once by hand, with the numpy implementation
    prints = [fp.fingerprint(text) for text in golden_texts()]
    np.savez_compressed(
        GOLDEN,
        content_hash=_bytes([bytes.fromhex(p.content_hash)[:8] for p in prints]),  # prefixes: a 64-bit check per text
        shingle_count=np.array([len(p.shingles) for p in prints], np.int32),
        shingles_sha256=_bytes([_digest(p.shingles) for p in prints]),
        sketch=np.array([p.sketch for p in prints], "<u2"),
    )


def _digest(shingles: np.ndarray) -> bytes:
    return hashlib.sha256(shingles.astype("<u8").tobytes()).digest()[:8]


def _bytes(values: list[bytes]) -> np.ndarray:
    """As uint8 rows: numpy's bytes dtype would drop trailing zero bytes on reading."""
    return np.frombuffer(b"".join(values), np.uint8).reshape(len(values), -1)


def _probe(name: str) -> str:
    return (DEDUP / "templates" / f"{name}.txt").read_text(encoding="utf-8")  # not in the golden set above


def test_two_reports_of_one_template_naming_other_places_are_not_copies():
    # a mine blast in Tavush and, days later, one in Syunik told in the same sentences (Jaccard
    # 0.65, no figures to tell them apart): the second was stored as a copy of the first, and hidden
    tavush, syunik = _probe("mine_tavush"), _probe("mine_syunik")
    assert fp.compare_texts(tavush, syunik).similarity >= fp.DUPLICATE_SIMILARITY
    assert not fp.compare_texts(tavush, syunik).duplicate
    assert fp.copy_of(tavush, syunik)[0] is False


@pytest.mark.parametrize("copy", ["w1_outlet_wrap", "w1_trim3"])
def test_a_copy_trimmed_or_wrapped_by_another_outlet_names_no_other_places(copy):
    assert fp.compare_texts(_probe("w1_original"), _probe(copy)).duplicate
