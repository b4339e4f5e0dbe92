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


# Small counts written as words, as news leads write them ("Two killed", "погибли три человека"):
# the figure that tells two template incidents apart is often one of these. "one" is left out
# ("one of the", "один из").
_NUMBER_WORDS = {
    **dict.fromkeys(("two",), "2"), "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    **dict.fromkeys(("два", "две", "двое", "двух"), "2"), **dict.fromkeys(("три", "трое", "трех", "трёх"), "3"),
    **dict.fromkeys(("четыре", "четверо", "четырех", "четырёх"), "4"), **dict.fromkeys(("пять", "пятеро", "пяти"), "5"),
    **dict.fromkeys(("шесть", "шестеро", "шести"), "6"), **dict.fromkeys(("семь", "семеро", "семи"), "7"),
    **dict.fromkeys(("восемь", "восьми"), "8"), **dict.fromkeys(("девять", "девяти"), "9"),
    **dict.fromkeys(("десять", "десяти"), "10"),
}
_WORD = re.compile(r"[^\W\d_]+")


def figures(text: str, *, words: bool = False) -> frozenset[str]:
    """The distinct numbers written in a text, decimal comma as point ("142,30" = "142.30"); with
    ``words``, small counts written as words too ("two", "три")."""
    found = {match.replace(",", ".") for match in _FIGURE.findall(text or "")}
    if words:
        found.update(_NUMBER_WORDS[w] for w in _WORD.findall((text or "").casefold()) if w in _NUMBER_WORDS)
    return frozenset(found)


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


# The lead: what a news report is about (who, where, how many) stands in its first sentences; the
# paragraphs after it share background with every report of the kind (the 1988 earthquake, the
# province's other towns), which outvotes the one place or count that differs in ``figures_disagree``
# and ``places_disagree`` over the whole texts.
LEAD_MIN_WORDS = 25  # a lead shorter than this takes the next paragraph too


def lead(text: str) -> str:
    """The first paragraph of a text (and the next while it is shorter than ``LEAD_MIN_WORDS``)."""
    kept: list[str] = []
    for paragraph in (p for p in (text or "").split("\n") if p.strip()):
        kept.append(paragraph)
        if len(" ".join(kept).split()) >= LEAD_MIN_WORDS:
            break
    return "\n".join(kept)


def leads_disagree(a_text: str, b_text: str) -> bool:
    """Do the two leads state other facts: each a count or a place of the region the other text
    lacks altogether? A copy keeps the report's facts (an edited copy rewords them, seldom both
    sides), and a newspaper that puts a paragraph of its own above the agency's lead still carries
    that lead below it: the other text, not only its lead, is where its facts are looked for."""
    la, lb = lead(a_text), lead(b_text)
    if figures(la, words=True) - figures(b_text, words=True) and figures(lb, words=True) - figures(a_text, words=True):
        return True
    return bool(places(la) - places(b_text)) and bool(places(lb) - places(a_text))
