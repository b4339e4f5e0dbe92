"""A second extractor's opinion, and how it is combined with trafilatura's by agreement.

trafilatura (on the pruned tree, ``extractors.html``) and readability-lxml fail differently:
trafilatura reads the page's markup and class names and keeps everything in the main container
(the lead-ins and trailers around the body: bylines, "most read" boxes, newsletter pitches);
readability scores DOM nodes by text and comma density and keeps the best-scoring node and its
siblings, so it misses some lead paragraphs but rarely keeps short chrome lines, and it still
finds a body where trafilatura's container choice fails outright. ``combine`` uses that:

1. **Failure fallback.** When trafilatura's body is short (fewer than ``SHORT_BODY_WORDS``) and
   readability's is longer, readability's wins: trafilatura picked the wrong block or nothing.
   Not when readability's is a list dump (a gallery's slide captions around a two-sentence
   story), and, when readability read the same block, without the lines at its edges that hold
   no sentence and that trafilatura's body lacks (a breaking-news bar, "Newsroom · 3 hours ago").
   So it does when trafilatura's body is a list dump (mostly short lines without sentence
   punctuation: a menu, a tour list, a rates table): then what readability found beyond the
   dump is the body, if it is not a dump itself.
2. **Fragment.** When readability's body holds trafilatura's (at least ``FRAGMENT_COVER`` of its
   shingles) and is ``FRAGMENT_RATIO`` times longer, trafilatura picked one part of the body
   (a container that the CMS split, the first of several text blocks): readability's wins.
3. **Edge vote.** Paragraphs at the start or end of trafilatura's body that readability does not
   support (fewer than half of their 4-token shingles occur in its text) and that are short
   (at most ``EDGE_MAX_WORDS``) or list items are dropped, run by run from each edge inwards:
   chrome sits at the edges of the body (bylines, share lines, "related" lists whose items
   carry a teaser and run long), and two independent extractors rarely agree on it. The vote
   counts only when readability read the *same* block: when most of readability's text is not
   in trafilatura's body, readability chose another block (an author box, a sidebar), and its
   silence about trafilatura's edges says nothing — voting then ate real bodies made of short
   paragraphs down to the one paragraph both shared. A lead that opens with a wire dateline
   ("MOSCOW—", "(CNN)", "ЕРЕВАН, 3 мая —") is never voted out: readability often starts one
   paragraph later; nor is an opening sentence of ``LEAD_MIN_WORDS`` or more (``reads_as_lead``).
4. **The lead.** Page templates print the story's opening sentence in a block of its own (a
   CMS's preview text, a K2 intro, an AMP ``p.lead``), which one extractor or the other leaves
   out. When readability's paragraph right before trafilatura's first one reads as a lead and
   trafilatura lacks it, it opens the body. ScrapingHub's gold leaves such stand-firsts out and
   Dragnet's keeps them: the lead's facts are the article's first, so the user's need decides
   (figures in docs/choices.md).
   When trafilatura's whole output is one line that holds most of readability's paragraphs and
   more (its fallback ran a short article's element together: byline, views, text, share bar),
   readability's paragraphs are the body.
5. **Introduced lists.** A paragraph of ours that introduces a list with a colon (a sentence of
   ``INTRODUCING_WORDS`` or more) gets the short items readability has right after it when we
   have none of them: trafilatura drops some lists whole (a press release's bullet points).

The fallback and edge thresholds were chosen on the ScrapingHub set (the tuning set); the
fragment rule, the same-block condition and list items at the edges were found on the diagnosis
half of Dragnet (ScrapingHub is indifferent to them) and are reported on its held-out half; the
figures are in docs/choices.md. A full paragraph-level majority vote (adding readability-only
paragraphs, or three voters with jusText) was measured and lost F1 on both sets, so it is not used.
"""

from __future__ import annotations

import functools
import re
from itertools import chain

from extractors.header_lines import ARMENIAN_STOP
from extractors.readability_text import BLOCK_TAGS, block_texts, readability_paragraphs  # noqa: F401 - this module's API too

# Chosen on the ScrapingHub set (see the module docstring and docs/choices.md).
SHORT_BODY_WORDS = 80
EDGE_MAX_WORDS = 40
SUPPORT_SHARE = 0.5
# Found on Dragnet's diagnosis half; on ScrapingHub a ratio under 1.5 lost F1, 1.5 to 3 changed nothing.
FRAGMENT_RATIO = 1.5
FRAGMENT_COVER = 0.9
SAME_BLOCK_SHARE = 0.5  # "most of" readability's words lie in paragraphs trafilatura has too
LIST_ITEM = "- "  # how trafilatura's text marks a list item
_TOKEN = re.compile(r"\w+")


SHINGLE_SIZE = 4


@functools.lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    # memoised: a paragraph's tokens serve its own shingles and those of every text joining it
    return tuple(_TOKEN.findall(text.casefold()))


def _shingles_of(tokens: tuple[str, ...], size: int = SHINGLE_SIZE) -> frozenset[tuple[str, ...]]:
    if len(tokens) < size:
        return frozenset({tokens} if tokens else ())
    return frozenset(zip(*(tokens[i:] for i in range(size))))


def text_shingles(text: str) -> frozenset[tuple[str, ...]]:
    """A whole text's 4-token shingles (casefolded), not memoised: for one-off comparisons."""
    return _shingles_of(tuple(_TOKEN.findall(text.casefold())))


@functools.lru_cache(maxsize=4096)
def _shingle_set(text: str, size: int = SHINGLE_SIZE) -> frozenset[tuple[str, ...]]:
    # memoised: the rules below ask for the same paragraphs' and texts' shingles several times
    return _shingles_of(_tokens(text), size)


@functools.lru_cache(maxsize=1024)
def _joined_shingles(paragraphs: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """``_shingle_set("\n".join(paragraphs))`` from the paragraphs' memoised tokens: case folding
    maps character by character and a newline is no word character, so the joined text's tokens
    are the paragraphs' tokens one after the other."""
    return _shingles_of(tuple(chain.from_iterable(map(_tokens, paragraphs))))


def supported(paragraph: str, other: set[tuple[str, ...]]) -> bool:
    """Does the other extractor's text hold at least half of this paragraph's shingles?"""
    own = _shingle_set(paragraph)
    return bool(own) and len(own & other) >= SUPPORT_SHARE * len(own)


def _words(paragraphs: list[str]) -> int:
    return sum(map(_word_count, paragraphs))


@functools.lru_cache(maxsize=4096)
def _word_count(text: str) -> int:
    # memoised: the rules count the same paragraphs' words several times
    return len(_TOKEN.findall(text))


_SENTENCE_END = re.compile(rf"(?:[.!?…։。]|{ARMENIAN_STOP})[\"'”»’)\]]*$")  # a line ending in ":" announces (Armenian aside)
_HAS_SENTENCE = re.compile(rf"(?:[.!?…։。]|{ARMENIAN_STOP})[\"'”»’)\]]*(?:\s|$)")  # a caption or lead has one; a ticker or meta line not
DUMP_MIN_LINES = 5
DUMP_LINE_WORDS = 10
DUMP_SHARE = 0.7


def looks_like_list_dump(paragraphs: list[str]) -> bool:
    """A menu, tour list, photo grid or rates table rather than an article: mostly short lines
    without sentence punctuation ("Туры в Батуми на море", "USD 387.5 +0.4")."""
    lines = [p.lstrip("-•* ").strip() for p in paragraphs if p.strip()]
    if len(lines) < DUMP_MIN_LINES:
        return False
    listy = sum(1 for line in lines if _word_count(line) <= DUMP_LINE_WORDS and not _SENTENCE_END.search(line))
    return listy >= DUMP_SHARE * len(lines)


def needs_second_opinion(primary: list[str]) -> bool:
    """Could readability's opinion change this body? Only when ``combine`` has a rule that fires:
    a short body, a list dump, or a short paragraph or list item at an edge. Otherwise it is not
    computed (it costs about as much as trafilatura itself). The fragment rule and the
    confirmation of a short body (``confirmed_by_second``) use readability only on these pages:
    asking it on every page for the fragment rule alone measured no better (0.9350 against
    0.9356 on Dragnet's diagnosis half, ScrapingHub equal), and a short body is always selected."""
    if _words(primary) < SHORT_BODY_WORDS or looks_like_list_dump(primary):
        return True
    return len(primary) >= 2 and any(_edge_candidate(p) for p in (primary[0], primary[-1]))


def _edge_candidate(paragraph: str) -> bool:
    """Short enough, or a list item, to be chrome at the body's edge if readability lacks it; a
    row of a table of figures never is (readability, which drops cells of bare numbers, lacks it)."""
    if is_figures_row(paragraph):
        return False
    return paragraph.startswith(LIST_ITEM) or _word_count(paragraph) <= EDGE_MAX_WORDS


TABLE_ROW = "|"  # how trafilatura's text writes a table row: "| 1 Avro | EUR | 1.7862 | -0.0041 |"
_FIGURE_CELL = re.compile(r"^[\s+\-−–]*\d[\d\s.,:%/]*$")


def is_figures_row(paragraph: str) -> bool:
    """A table row of which a third of the cells or more are figures (rates, votes, results)."""
    if not paragraph.startswith(TABLE_ROW):
        return False
    cells = [c.strip() for c in paragraph.strip().strip(TABLE_ROW).split(TABLE_ROW)]
    cells = [c for c in cells if c]
    return len(cells) >= 2 and 3 * sum(bool(_FIGURE_CELL.match(c)) for c in cells) >= len(cells)


# A wire-style dateline opening a paragraph: "MOSCOW—", "BELGRADE, Serbia —", "WASHINGTON (AP) —",
# "(CNN)", "Hong Kong (CNN Business)", "ЕРЕВАН, 3 мая — Sputnik.": the story's first paragraph.
_DATELINE_LEAD = re.compile(
    r"^(?:[A-ZÀ-ÝА-ЯЁ][\w.'’-]*(?:[ ,]+[A-ZÀ-ÝА-ЯЁ][\w.'’-]*){0,3}\s*)?\([A-Z][\w.]*(?: [A-Z][\w.]*){0,2}\)"
    r"|^[A-ZÀ-ÝА-ЯЁ]{3,}[A-ZÀ-ÝА-ЯЁ .'’-]*(?:,[^—–\n]{1,40}?)?\s*[—–]")
DATELINE_LEAD_WORDS = 15  # a lead is a sentence, not a "Name, Place (Org)" line


def is_dateline_lead(paragraph: str) -> bool:
    """A news lead opening with its dateline: body text whatever readability says (it often
    starts one paragraph later, leaving the lead at trafilatura's edge)."""
    return _word_count(paragraph) >= DATELINE_LEAD_WORDS and bool(_DATELINE_LEAD.match(paragraph))


LEAD_MIN_WORDS = 12  # a lead states the news in a sentence; a byline, a label or a date line does not


def reads_as_lead(paragraph: str) -> bool:
    """The story's opening sentence, which page templates often print in their own block (a
    CMS's "preview text", a K2 intro, an AMP ``p.lead``) where readability does not look:
    its facts are the article's first, whatever readability says."""
    text = paragraph.strip()
    return (not text.startswith(LIST_ITEM) and _word_count(text) >= LEAD_MIN_WORDS
            and _SENTENCE_END.search(text) is not None and "|" not in text)


def _paragraph_shingles(paragraphs: list[str]) -> frozenset[tuple[str, ...]]:
    """The joined text's shingles, plus each paragraph's own (a line under four tokens is one
    shorter shingle, which only its own paragraph carries)."""
    return _paragraph_shingles_of(tuple(paragraphs))


@functools.lru_cache(maxsize=1024)
def _paragraph_shingles_of(paragraphs: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    # memoised: combine asks for readability's up to three times. A paragraph of four tokens or
    # more adds nothing (its shingles are windows of the joined tokens): only short ones are added
    # (the union copied the whole set: a third of the time)
    joined = _joined_shingles(paragraphs)
    short = {tokens for tokens in map(_tokens, paragraphs) if 0 < len(tokens) < SHINGLE_SIZE}
    return joined.union(short) if short else joined


def is_fragment_of(primary: list[str], second: list[str]) -> bool:
    """Is trafilatura's body one part of readability's (held in it, and much shorter)?"""
    own = _joined_shingles(tuple(primary))
    if not own or _words(second) < FRAGMENT_RATIO * _words(primary):
        return False
    return len(own & _paragraph_shingles(second)) >= FRAGMENT_COVER * len(own)


def same_block(primary: list[str], second: list[str]) -> bool:
    """Did readability read the block trafilatura read (most of its words are in trafilatura's body)?"""
    own = _paragraph_shingles(primary)
    inside = sum(_word_count(p) for p in second if supported(p, own))
    return inside >= SAME_BLOCK_SHARE * _words(second)


def confirmed_by_second(paragraphs: list[str], second: list[str]) -> bool:
    """Does readability's text hold this body (every paragraph supported)?

    readability reads the intact page, so a short body it confirms is the page's real size,
    not the result of our pruning taking the body away with the chrome.
    """
    if not paragraphs or not second:
        return False
    other = _paragraph_shingles(second)
    return all(supported(p, other) for p in paragraphs)


def _without_foreign_edges(second: list[str], primary: list[str]) -> list[str]:
    """readability's body taken over a short one, less the lines at its edges that hold no
    sentence and that trafilatura's body lacks, when both read the same block (readability's
    text holds some of trafilatura's): a breaking-news bar, a "Newsroom · 3 hours ago" line
    above a short item. A lead or a closing sentence that trafilatura missed stays."""
    own = _paragraph_shingles(primary) if primary else frozenset()
    if not own or not any(supported(p, own) for p in second):
        return list(second)  # another block: trafilatura's body says nothing about its edges

    def foreign(paragraph: str) -> bool:
        return (_word_count(paragraph) <= EDGE_MAX_WORDS and not _HAS_SENTENCE.search(paragraph)
                and not supported(paragraph, own))

    kept = list(second)
    while len(kept) > 1 and foreign(kept[0]):
        kept.pop(0)
    while len(kept) > 1 and foreign(kept[-1]):
        kept.pop()
    return kept


def combine(primary: list[str], second: list[str], *, several_stories: bool = False) -> tuple[list[str], str]:
    """The body from trafilatura's paragraphs and readability's, and which rule decided it.

    Returns (paragraphs, how) where how is "primary", "second" (fallback), "edge-vote" or
    "second-lead" (readability's lead before trafilatura's body). With
    ``several_stories`` (the page carries other stories' headlines: an endless page that loaded
    the next one) the fragment rule is off: readability's longer text is then the next story.
    """
    primary_words = _words(primary)
    if primary_words < SHORT_BODY_WORDS and _words(second) > primary_words and not looks_like_list_dump(second):
        return _without_foreign_edges(second, primary), "second"
    if looks_like_list_dump(primary) and second:
        # what readability found beyond the dump (it often keeps the dump and the body together)
        dump = _shingle_set("\n".join(primary))
        beyond = [p for p in second if not supported(p, dump)]
        if not looks_like_list_dump(beyond) and _words(beyond) >= SHORT_BODY_WORDS // 2:
            return beyond, "second"
    if len(primary) == 1 and second and _words(second) < primary_words and _one_line_dump_of(primary[0], second):
        return list(second), "second"
    if not second or len(primary) < 2:
        return list(primary), "primary"
    if not several_stories and is_fragment_of(primary, second):
        return list(second), "second"
    if not same_block(primary, second):
        return list(primary), "primary"
    other = _paragraph_shingles(second)
    kept = list(primary)

    def unsupported_chrome(paragraph: str) -> bool:
        return _edge_candidate(paragraph) and not is_dateline_lead(paragraph) and not supported(paragraph, other)

    while len(kept) > 1 and unsupported_chrome(kept[-1]):
        kept.pop()
    while len(kept) > 1 and unsupported_chrome(kept[0]) and not reads_as_lead(kept[0]):
        kept.pop(0)
    lead = _lead_before(kept, second)
    if lead is not None:
        kept, how = [lead, *kept], "second-lead"
    else:
        how = "edge-vote" if len(kept) < len(primary) else "primary"
    return _with_introduced_lists(kept, second), how


DUMP_HELD_SHARE = 0.8  # of readability's words inside trafilatura's one line
INTRODUCED_ITEM_WORDS = 25  # a list's items are short; a longer paragraph is the text going on
INTRODUCING_WORDS = 6  # a sentence that introduces a list, not a label


def _with_introduced_lists(kept: list[str], second: list[str]) -> list[str]:
    """A paragraph of ours that introduces a list with a colon ("…businesses also benefit from:"),
    and two or more short items readability has right after it that we have nowhere: the items
    go in after it (trafilatura drops some lists whole, the colon then introduces nothing)."""
    if not any(p.rstrip().endswith((":", "：")) for p in kept):
        return kept
    ours = _paragraph_shingles(kept)
    out: list[str] = []
    for at_ours, paragraph in enumerate(kept):
        out.append(paragraph)
        if not paragraph.rstrip().endswith((":", "：")) or _word_count(paragraph) < INTRODUCING_WORDS:
            continue  # "Share this:", "Like this:" are a widget's labels, not a sentence introducing a list
        if kept[at_ours + 1:at_ours + 2] and kept[at_ours + 1].startswith((LIST_ITEM, TABLE_ROW)):
            continue  # we have what it introduces (readability's cells of that table are no list)
        at = _position_in(paragraph, second)
        if at is None:
            continue
        items = []
        for item in second[at + 1:]:
            if _word_count(item) > INTRODUCED_ITEM_WORDS or supported(item, ours):
                break
            items.append(item if item.startswith(LIST_ITEM) else LIST_ITEM + item)
        if len(items) >= 2:
            out.extend(items)
    return out


def _position_in(paragraph: str, second: list[str]) -> int | None:
    """Where readability has this paragraph of ours (the first of its paragraphs that holds it)."""
    return next((i for i, p in enumerate(second) if supported(paragraph, _shingle_set(p))), None)


def _one_line_dump_of(line: str, second: list[str]) -> bool:
    """trafilatura's whole output is one line holding most of readability's paragraphs and more:
    on a short article its fallback runs the article element's text together (headline, byline,
    view count, the paragraphs, the share bar); readability's paragraphs are that text without them."""
    whole = _paragraph_shingles([line])
    held = sum(_word_count(p) for p in second if supported(p, whole))
    return held >= DUMP_HELD_SHARE * _words(second)  # a tag line of readability's may not count


def _lead_before(kept: list[str], second: list[str]) -> str | None:
    """readability's paragraph right before the one trafilatura's body opens with, when it reads
    as the story's lead and trafilatura has it nowhere (a template's intro block)."""
    at = _position_in(kept[0], second)
    if not at:
        return None
    candidate = second[at - 1]
    if not reads_as_lead(candidate) or supported(candidate, _paragraph_shingles(kept)):
        return None
    return candidate
