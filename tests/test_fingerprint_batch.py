"""The compiled batch path's own mechanics: input encodings, reused buffers, threads.

tests/test_near_duplicates.py checks the kernel against the numpy reference and the golden
outputs; here the cases the batch plumbing treats apart (ASCII batches as bytes, others
as UTF-32, per-thread buffers grown on demand, batches over ``_BATCH_CHARS``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from extractors import fingerprint as fp
from extractors import fingerprint_batch as fpb

DEDUP = Path(__file__).resolve().parent / "data" / "dedup"


def reference(texts: list[str]) -> tuple[list[str], np.ndarray]:
    prints = [fp.fingerprint(t) for t in texts]
    return [p.content_hash for p in prints], np.stack([p.sketch for p in prints])


def assert_same_as_reference(texts: list[str]) -> None:
    hashes, sketches = fpb.sketch_many(texts)
    want_hashes, want_sketches = reference(texts)
    assert hashes == want_hashes
    assert np.array_equal(sketches, want_sketches)


def test_russian_and_armenian_articles_hash_their_multibyte_normalised_text_like_the_reference():
    texts = [(DEDUP / name).read_text() for name in ("event_ru_a.txt", "event_ru_b.txt", "event_hy_a.txt", "event_hy_b.txt")]
    assert not any(t.isascii() for t in texts)
    assert_same_as_reference(texts)


def test_one_non_ascii_text_sends_the_whole_batch_through_utf32_with_equal_results():
    ascii_texts = [(DEDUP / "gt_bbc_a.txt").read_text(), "plain words only\nand a second line"]
    assert all(t.isascii() for t in ascii_texts)
    mixed = ascii_texts + ["Ереван, Երևան, Tbilisi — თბილისი 😀 𝔘𝔫𝔦"]
    assert_same_as_reference(ascii_texts)
    assert_same_as_reference(mixed)
    assert fpb.sketch_many(mixed)[0][:2] == fpb.sketch_many(ascii_texts)[0]


def test_lone_surrogates_are_separators_and_never_reach_the_hash():
    assert_same_as_reference(["left\ud800right and more", "\udfff", "word\udc00"])


def test_a_longer_text_after_short_ones_grows_the_scratch_buffers():
    long_text = ("a fairly long line of words that keeps going and going " * 40 + "\n") * 30
    assert_same_as_reference(["short one", "two words"])
    assert_same_as_reference([long_text, "short one"])


def test_batches_over_the_kernel_cap_are_split_and_reassembled_in_order():
    base = [(DEDUP / "event_ru_a.txt").read_text(), (DEDUP / "gt_bbc_a.txt").read_text(), "", "one"]
    texts = base * (fpb._BATCH_CHARS // sum(map(len, base)) + 2)
    assert sum(map(len, texts)) > fpb._BATCH_CHARS
    hashes, sketches = fpb.sketch_many(texts)
    assert len(hashes) == len(texts) == len(sketches)
    want_hashes, want_sketches = reference(base)
    assert hashes == want_hashes * (len(texts) // len(base))
    assert np.array_equal(sketches, np.tile(want_sketches, (len(texts) // len(base), 1)))


def test_threads_calling_at_once_get_their_own_results():
    texts = sorted(path.read_text() for path in DEDUP.glob("*.txt"))
    batches = [texts[i:] + texts[:i] for i in range(8)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(fpb.sketch_many, batches * 4))
    for batch, (hashes, sketches) in zip(batches * 4, results):
        want_hashes, want_sketches = reference(batch)
        assert hashes == want_hashes and np.array_equal(sketches, want_sketches)


def test_an_empty_batch_gives_no_hashes_and_an_empty_sketch_array():
    hashes, sketches = fpb.sketch_many([])
    assert hashes == [] and sketches.shape == (0, fp.BINS) and sketches.dtype == np.uint16
    assert fpb.fingerprint_many([]) == []
