"""Figures: the numbers a text states, and whether two texts' figures agree enough to be copies.

Pure; used by ``extractors.fingerprint.copy_of`` and ``compare_texts``.
"""

from __future__ import annotations

import re

# Figures: what tells a recurring template item from a copy. "Exchange rates on 4 December",
# the day's weather, a seismic survey's "magnitude 3.8 at 14:22 in Shamakhi": the same wording day
# after day (shingle Jaccard 0.6–0.7), different numbers; a copy carries the story's numbers, an
# edited or shortened copy most of them (the smaller text's figures inside the larger's).
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
FIGURES_MIN = 3  # fewer distinct figures in either text say nothing
FIGURES_AGREE = 0.5  # share of the smaller set of figures that a copy repeats


def figures(text: str) -> frozenset[str]:
    """The distinct numbers written in a text, decimal comma as point ("142,30" = "142.30")."""
    return frozenset(match.replace(",", ".") for match in _FIGURE.findall(text or ""))


def figures_disagree(a_text: str, b_text: str) -> bool:
    """Do two texts with enough figures share too few of them to be copies of one report?"""
    fa, fb = figures(a_text), figures(b_text)
    smaller = min(len(fa), len(fb))
    return smaller >= FIGURES_MIN and len(fa & fb) < FIGURES_AGREE * smaller
