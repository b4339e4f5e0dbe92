"""CI gate: publication-date accuracy on a fixed subset of the shared dates set must not regress.

The subset is every 3rd page of the sorted ids (80 pages, both benchmark halves), scored with the
benchmark's own metric, and the same pages made dateless (years removed) must give no more than
one date. The floor sits under what was measured when it was set, so a dependency update's noise
passes and a real regression does not.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.benchmark_module import load_benchmark

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "benchmarks" / "dates"
SUBSET_STEP = 3
# Measured on this subset: 75 of 80 right (0.9375), 2 wrong, 0 future; 0 dates on the dateless copies.
ACCURACY_FLOOR = 0.91
MAX_INVENTED = 1

pytestmark = pytest.mark.skipif(
    not (DATA / "gold.json").exists(),
    reason=f"benchmark data not found at {DATA} (shared/ must sit beside the repository)",
)


def _benchmark():
    return load_benchmark("dates")


@pytest.fixture(scope="module")
def bench():
    logging.disable(logging.WARNING)  # htmldate warns on odd markup
    yield _benchmark()
    logging.disable(logging.NOTSET)


def test_date_accuracy_on_the_gate_subset_stays_above_the_floor(bench):
    pages = bench.load_pages(DATA)[::SUBSET_STEP]
    predicted = [bench.newswatch_date(page.html, page.url) for page in pages]
    result = bench.score(predicted, [page.gold for page in pages])
    assert len(pages) >= 75
    assert result.future == 0
    assert result.accuracy >= ACCURACY_FLOOR, result


def test_dateless_copies_of_the_gate_subset_get_no_invented_date(bench):
    pages = bench.load_pages(DATA)[::SUBSET_STEP]
    invented = [page.page_id for page in pages if bench.newswatch_date(bench.dateless(page.html), None)]
    assert len(invented) <= MAX_INVENTED, invented


def test_dateless_copy_has_no_year_left(bench):
    stripped = bench.dateless("<p>Posted 14.07.2023, 27 Jun.'12, 09.11.21; /2023/11/08/ id 20231108</p>".encode())
    assert stripped == b"<p>Posted 14.07., 27 Jun., ; //11/08/ id 1108</p>"


def test_metric_counts_one_day_off_future_and_missing_dates(bench):
    score = bench.score(["2023-11-09T03:00:00+00:00", "2023-11-20", None, "2023-11-01"],
                        ["2023-11-08", "2023-11-01", "2023-11-01", "2023-11-01"])
    assert (score.right, score.wrong, score.one_day_off, score.given, score.future) == (1, 2, 1, 3, 1)
    assert score.accuracy == 0.25 and score.invented == "n/a"
