"""kill -9 of a real poll process at random moments, each followed by ONE immediate rerun.

A few kills keep CI bounded; benchmarks/kill_loop.py runs 20 and prints the figures.
"""

from __future__ import annotations

import pytest

from tests.kill_loop import KillLoop

pytestmark = pytest.mark.slow


def test_kill_9_then_one_rerun_loses_nothing_and_stores_nothing_twice(tmp_path):
    loop = KillLoop(tmp_path, pages_per_round=6, seed=7)
    try:
        figures = loop.run(kills=3)
    finally:
        loop.close()
    assert figures.kills == 3 and figures.hangs == 0
    assert (figures.lost, figures.duplicated, figures.unclean_checks, figures.journals_left) == (0, 0, 0, 0), figures.rounds
    assert all(r["rerun_exit"] == 0 for r in figures.rounds), figures.rounds
