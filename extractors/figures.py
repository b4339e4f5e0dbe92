"""Figures and places: the numbers and the region's places a text states, and whether two texts'
agree enough for them to be copies of one report.

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


# Places: what tells two reports of one template apart when they carry few numbers ("Two soldiers
# killed in mine blast in Tavush … hospital in Ijevan" and, three days later, the same sentences
# with Syunik and Kapan: shingle Jaccard 0.65). A copy names the report's places; a shortened one
# fewer, an outlet's intro one more of its own; another incident mostly others.
_PLACE_KINDS = frozenset({"city", "town", "village", "province", "region", "place"})
PLACE_STEM = 5  # a name's first letters, folded: inflections ("в Тавуше", "Тавушской") keep them


def places(text: str) -> frozenset[tuple[int, str]]:
    """The region's places a text names below the country level: (gazetteer entity, folded stem)."""
    from extractors.gazetteer import fold, load_gazetteer

    gazetteer = load_gazetteer()
    return frozenset((match.entity, fold(match.surface)[:PLACE_STEM]) for match in gazetteer.find(text or "")
                     if gazetteer.entities[match.entity].kind in _PLACE_KINDS)


def places_disagree(a_text: str, b_text: str) -> bool:
    """Does each text name places the other does not, more of them than the places both name?"""
    pa, pb = places(a_text), places(b_text)
    only_a, only_b = pa - pb, pb - pa
    return bool(only_a) and bool(only_b) and len(pa & pb) < max(len(only_a), len(only_b))
