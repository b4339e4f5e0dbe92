"""Plain text (seed files, feeds carrying full text) → clean article text.

Copied web pages come with their chrome: menus, share counters, metadata, captions,
related-article lists, comment forms, footers. The cleaner never matches strings of a
known site; it reasons on the shape of each paragraph and on where it sits:

1. lines → paragraphs ("units"): one per line, or re-flowed when the text is hard-wrapped;
2. each unit gets a kind: PROSE (sentences, stop-words), SHORT (headline-like), JUNK
   (menu runs, bullets, counters, share rows, copyright, repeats, known site boilerplate),
   META (date, author, reading time, views), CAPTION, SEEALSO (a "read also" label);
3. the dense body block is the run of units with the highest score (prose scores by
   length, everything else costs): chrome clusters before and after it. The block ends
   where a comment section starts, and is cut where another article (a teaser:
   headline, byline/date, prose) starts, keeping the part with the longest paragraphs;
4. before the block: title and metadata (the stand-first is dropped, as in body-only
   references); inside it: a short unit is a split paragraph (rejoined), a subheading
   (kept when its words recur in the body) or a stray (ad line, widget label: dropped).

Stop-words, month names and metadata labels are in ``extractors.text_lang``; what chrome says in each language
(share rows, "read also", copyright...) is in ``extractors.boilerplate`` beside the site memory.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


from extractors.boilerplate import (
    AD_WORDS, CAPTION_PREFIX, COMMENT_HEADER, COMMENT_LINE, COOKIES, COPYRIGHT, CTA, SEE_ALSO, SHARE_WORDS, TAGS_LABEL,
    paragraph_fingerprint,
)
from extractors.records import ExtractedArticle
from extractors.text_lang import (  # noqa: F401 - find_date and stop_ratio are part of this module's API
    STOPWORDS, STOP_THRESHOLD, stop_ratio, guess_language, find_date, DATE_LABEL, AUTHOR_LABEL, READING_TIME, VIEWS,
)

EXTRACTOR = "newswatch-text/1"

PROSE, SHORT, JUNK, META, CAPTION, SEEALSO = "prose", "short", "junk", "meta", "caption", "seealso"
# Costs of non-prose units in the block search. Junk costs most: a block must not bridge
# a related-articles list or a footer to reach a far paragraph of "about us" prose.
_COST = {SHORT: 25.0, JUNK: 50.0, META: 40.0, CAPTION: 30.0, SEEALSO: 50.0}

_TERMINAL = re.compile(r"[.!?…։。:;][\"'”»’)\]]*$")
_SENTENCE_END = re.compile(r"[.!?…։。][\"'”»’)\]]*$")
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_BULLET = re.compile(r"^\s*[•·▪■►▸‣◦●○*✓→»>–—-]\s+")
_URLISH = re.compile(r"https?://|www\.|\S+@\S+\.\w{2,}|\b\S+\.(?:com|org|net|ru|az|am|ge|info)\b", re.I)
_FILE_NAME = re.compile(r"^(?:[\w.-]*[_-][\w.-]*[_-][\w.-]*|[0-9a-f-]{12,}|\S+\.(?:jpe?g|png|gif|webp))$", re.I)
_SEPARATED = re.compile(r"\s[|>»/·•]\s|\s[|]|[|]\s")
_CREDIT_PAREN = re.compile(r"\(([^()]{2,40})\)\s*$")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
_CAMEL = re.compile(r"[A-ZА-ЯЁ]?[a-zа-яё]+|[A-ZА-ЯЁ]+(?![a-zа-яё])")


@dataclass
class Unit:
    text: str
    kind: str = SHORT
    words: int = 0
    published: str | None = None
    author: str = ""


def split_paragraphs(text: str) -> list[str]:
    """The text's paragraphs before any cleaning (what a ``SiteMemory`` should observe)."""
    return [u.text for u in _units(_lines(text))]


def clean_text(text: str, *, language: str | None = None,
               known_boilerplate: frozenset[str] = frozenset()) -> ExtractedArticle:
    """The article in a plain text: body without chrome, and title, author, date when present."""
    lines = _lines(text)
    lead_date, lines = _leading_date(lines)
    units = _units(lines)
    lang = language or guess_language(" ".join(u.text for u in units))
    _classify(units, lang, known_boilerplate)
    start, end = _article_start(units, *_before_comments(units, *_best_block(units)))
    title_at, title = _title(units, start)
    body = _body(units, start, end, title_at)
    body = [p for p in body if p.casefold() != title.casefold()]
    published = _pick(units, start, end, "published") or lead_date
    return ExtractedArticle(
        text="\n".join(body),
        title=title,
        author=_pick(units, start, end, "author") or "",
        published=published,
        published_source="text" if published else None,
        declared_language=language,
        extractor=EXTRACTOR,
    )


# ---------------------------------------------------------------- lines and units

def _lines(text: str) -> list[str]:
    """Normalised lines; "" marks a blank line (a paragraph boundary in most copies)."""
    if "&" in text and ";" in text:
        text = html.unescape(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\t]", " ", text).replace("\ufeff", "")
    return [" ".join(line.split()) for line in text.split("\n")]


def _leading_date(lines: list[str]) -> tuple[str | None, list[str]]:
    """A date glued to the start of the first paragraph ("date 2020-09-27 Heavy fighting...")."""
    for i, line in enumerate(lines):
        if not line:
            continue
        found = find_date(line[:60])
        if not found:
            return None, lines
        iso, span = found
        prefix = line[: span[0]]
        rest = line[span[1]:].lstrip(" -–—|:,")
        if (prefix.strip() and not DATE_LABEL.fullmatch(prefix.strip(" :-–—|"))) or len(_WORD.findall(rest)) < 6:
            return None, lines  # not a glued date: a date line or a sentence that mentions one
        return iso, lines[:i] + [rest] + lines[i + 1:]
    return None, lines


def _wrap_width(lines: list[str]) -> int:
    """The column a hard-wrapped text was filled to, or 0 when it is not hard-wrapped.

    Filled text has most lines close to one width under ~100 columns, and most lines end
    mid-sentence; one-paragraph-per-line text has long or sentence-final lines.
    """
    full = [line for line in lines if line]
    if len(full) < 5:
        return 0
    width = max(len(line) for line in full)
    if not 50 <= width <= 100:
        return 0
    near = sum(len(line) >= width - 20 for line in full)
    ending = sum(bool(_SENTENCE_END.search(line)) for line in full)
    return width if near >= 0.5 * len(full) and ending < 0.5 * len(full) else 0


def _starts_lower(text: str) -> bool:
    """A lower-case first letter, in a script that has case (Georgian Mkhedruli counts as
    lower case in Unicode but the script has no capitals in running text)."""
    head = text[:1]
    return head.islower() and not "\u10d0" <= head <= "\u10ff"


def _continues(prev: str, nxt: str, width: int) -> bool:
    """Whether ``nxt`` is the wrapped continuation of ``prev`` (the next word would not fit)."""
    first = nxt.split(" ", 1)[0]
    if len(prev) + 1 + len(first) > width - 1:
        return True
    return not _SENTENCE_END.search(prev) and _starts_lower(nxt)


def _units(lines: list[str]) -> list[Unit]:
    width = _wrap_width(lines)
    units: list[Unit] = []
    previous = ""  # the previous line, "" after a blank one
    for line in lines:
        if width and previous and line and _continues(previous, line, width):
            units[-1].text += " " + line
        elif line:
            units.append(Unit(line))
        previous = line
    for unit in units:
        unit.words = len(_WORD.findall(unit.text))
    return units


# ---------------------------------------------------------------- classification

def _classify(units: list[Unit], lang: str | None, known: frozenset[str]) -> None:
    counts: dict[str, int] = {}
    for unit in units:
        key = _key(unit.text)
        counts[key] = counts.get(key, 0) + 1
    seen: set[str] = set()
    for unit in units:
        unit.kind = _kind(unit, lang, known, counts)
        key = _key(unit.text)
        if key in seen and unit.kind == PROSE:
            unit.kind = JUNK  # a paragraph printed twice: a teaser or banner; keep one copy at most
        seen.add(key)
    _mark_menu_runs(units)


def _key(text: str) -> str:
    return " ".join(_WORD.findall(_BULLET.sub("", text).casefold()))


def _kind(unit: Unit, lang: str | None, known: frozenset[str], counts: dict[str, int]) -> str:
    text, words = unit.text, unit.words
    if known and paragraph_fingerprint(text) in known:
        return JUNK
    if _is_meta(unit):
        return META
    if words == 0 or not re.search(r"[^\W\d_]", text):
        return JUNK  # counters, dates' leftovers, separators
    if words <= 8 and SEE_ALSO.match(text) or SEE_ALSO.match(text) and ":" in text[:40]:
        return SEEALSO
    if _is_caption(text, words):
        return CAPTION
    if _is_chrome(text, words):
        return JUNK
    if len(text) < 120 and counts.get(_key(text), 0) > 1:
        return JUNK  # a line repeated within the page: menu, teaser, label
    if _is_prose(text, words, lang):
        return PROSE
    return SHORT


def _is_meta(unit: Unit) -> bool:
    text, words = unit.text, unit.words
    if words > 12:
        return False
    author = AUTHOR_LABEL.match(text)
    if author and 1 <= len(_WORD.findall(author.group(1))) <= 5:
        unit.author = author.group(1).strip(" .,;|")
        return True
    found = find_date(text)
    if found:
        iso, (a, b) = found
        rest = DATE_LABEL.sub(" ", text[:a] + " " + text[b:])
        by = re.search(r"\b(?:by|par|von|от)\s+(\S+(?:\s+\S+){0,3})\s*$", rest, re.I)
        if by:
            unit.author = by.group(1).strip(" .,;|")
            rest = rest[: by.start()]
        rest = re.sub(r"\b\d{1,2}[:h.]\d{2}\b|\b(?:uhr|am|pm|г|թ|წ)\b\.?", " ", rest, flags=re.I)
        if len(_WORD.findall(rest)) <= 2:
            unit.published = iso
            return True
    return bool(READING_TIME.search(text) and words <= 6 or VIEWS.search(text) and words <= 5)


def _is_caption(text: str, words: int) -> bool:
    if words > 60:
        return False
    if CAPTION_PREFIX.match(text):
        return True
    credit = _CREDIT_PAREN.search(text)
    if not credit or _SENTENCE_END.search(text[: credit.start()].rstrip()):
        return False
    inner = _WORD.findall(credit.group(1))
    # "(Reuters)", "(Getty Images)", "(AFP)", "(Photo: X)": one to four capitalised words.
    return 1 <= len(inner) <= 4 and all(w[0].isupper() or w.casefold() in {"via", "photo", "фото"} for w in inner)


def _is_chrome(text: str, words: int) -> bool:
    bare = _BULLET.sub("", text)
    if bare != text and words <= 6:
        return True  # a bulleted menu item
    if COPYRIGHT.search(text) and words <= 30:
        return True
    if words <= 12 and (_URLISH.search(text) or TAGS_LABEL.match(text)) or words <= 6 and COMMENT_LINE.search(text):
        return True
    if words <= 4 and COMMENT_HEADER.match(text):
        return True
    if words <= 25 and CTA.search(text) or words <= 80 and COOKIES.search(text):
        return True
    if " " not in bare and _FILE_NAME.match(bare):
        return True  # an image file name left where the picture was
    tokens = [t for t in _CAMEL.findall(bare) or _WORD.findall(bare)]
    if tokens and words <= 8 and all(t.casefold() in SHARE_WORDS for t in tokens):
        return True  # "Share6Tweet4SendShare", "Facebook 12", "Поделиться"
    parts = [p for p in re.split(r"\s*[|>»/·•]\s*", text) if p.strip()]
    return len(parts) >= 3 and _SEPARATED.search(text) is not None and all(len(p.split()) <= 3 for p in parts)


def _is_prose(text: str, words: int, lang: str | None) -> bool:
    if words < 6 or not (_SENTENCE_END.search(text) or len(text) >= 150):
        return False
    ratio = stop_ratio(text, lang)
    # A list of names or headlines has no function words; a sentence has some.
    return words >= 25 or ratio >= STOP_THRESHOLD.get(lang or "", 0.0) or words >= 12 and ratio > 0


def _mark_menu_runs(units: list[Unit]) -> None:
    """Three or more 1–3-word lines in a row without sentence punctuation form a menu."""
    def menu_like(u: Unit) -> bool:
        return u.kind in (SHORT, JUNK) and u.words <= 3 and not _SENTENCE_END.search(u.text)

    i = 0
    while i < len(units):
        j = i
        while j < len(units) and menu_like(units[j]):
            j += 1
        if j - i >= 3:
            for unit in units[i:j]:
                unit.kind = JUNK
        i = max(j, i + 1)


# ---------------------------------------------------------------- block, title, body

def _score(unit: Unit) -> float:
    if unit.kind == PROSE:
        return max(5.0, min(len(unit.text), 2000) - 40.0)
    return -_COST[unit.kind]


def _best_block(units: list[Unit]) -> tuple[int, int]:
    """The highest-scoring run of units (maximum subarray); (0, -1) when nothing scores."""
    best, best_span = 0.0, (0, -1)
    total, start = 0.0, 0
    for i, unit in enumerate(units):
        if total <= 0:
            total, start = 0.0, i
        total += _score(unit)
        if total > best:
            best, best_span = total, (start, i)
    return best_span


def _before_comments(units: list[Unit], start: int, end: int) -> tuple[int, int]:
    """End the block where a comment section begins ("34 comments", "Leave a reply", "X says:")."""
    seen_prose = False
    for k in range(start, end + 1):
        text = units[k].text
        if seen_prose and units[k].kind == JUNK and units[k].words <= 6 and (
                COMMENT_LINE.search(text) or COMMENT_HEADER.match(text)):
            last = max(j for j in range(start, k) if units[j].kind == PROSE)
            return start, last
        seen_prose = seen_prose or units[k].kind == PROSE
    return start, end


def _article_start(units: list[Unit], start: int, end: int) -> tuple[int, int]:
    """Split the block where another article begins and keep the part with the most prose.

    A headline-like line followed by a date or author line and then prose is how an
    article (or a teaser of one) begins. Teaser lists and "latest news" boxes that the
    block search swallowed on either side of the body are cut off at those starts.
    """
    cuts = [start]
    for k in range(start + 1, end + 1):
        if units[k].kind != META or units[k - 1].kind == META:
            continue
        # The headline sits right above the date, or above a short byline ("Rob Crilly").
        for h in (k - 1, k - 2):
            above = units[h]
            if h > cuts[-1] and above.words >= 4 and above.kind in (SHORT, JUNK) \
                    and _headline_like(Unit(above.text, SHORT, above.words)):
                cuts.append(h)
                break
            if above.words > 4:
                break
    if len(cuts) == 1:
        return start, end
    bounds = list(zip(cuts, [c - 1 for c in cuts[1:]] + [end]))
    # Teasers have prose too, but short: only a paragraph's length beyond a teaser's counts.
    best = max(bounds, key=lambda b: sum(max(0, len(u.text) - 150) for u in units[b[0]:b[1] + 1] if u.kind == PROSE))
    first = next((j for j in range(best[0], best[1] + 1) if units[j].kind == PROSE), best[0])
    last = max((j for j in range(best[0], best[1] + 1) if units[j].kind == PROSE), default=best[1])
    if first > best[0]:
        units[best[0]].kind = SHORT  # the headline (it may also be repeated in a teaser)
    return first, last


def _headline_like(unit: Unit, min_words: int = 2) -> bool:
    text = unit.text
    first = text.lstrip("\"'“«„(")[:1]
    return (unit.kind in (SHORT, PROSE) and min_words <= unit.words <= 25 and len(text) >= 4
            and not text.endswith((".", ",", ";", ":")) and not _starts_lower(first))


def _title(units: list[Unit], start: int) -> tuple[int, str]:
    """The headline: the headline-like unit nearest above the body block.

    Walking up from the body skips the byline, date, stand-first and caption; a headline
    of four words or more is preferred to a shorter label (a section name, a breadcrumb).
    """
    header = range(min(start, len(units)) - 1, -1, -1)
    candidates = [i for i in header if units[i].kind == SHORT and _headline_like(units[i])
                  and len(units[i].text) >= 12 and not _CLOCK.search(units[i].text)]
    for i in candidates:
        if units[i].words >= 4:
            return i, units[i].text
    if candidates:
        return candidates[0], units[candidates[0]].text
    # A question headline scores as prose and opens the block itself.
    if 0 <= start < len(units) - 1 and units[start].text.endswith("?") and units[start].words <= 15 \
            and _headline_like(units[start]) and units[start + 1].kind == PROSE and start == _first_content(units):
        return start, units[start].text
    return -1, ""


def _first_content(units: list[Unit]) -> int:
    return next((i for i, u in enumerate(units) if u.kind in (SHORT, PROSE)), -1)


def _body(units: list[Unit], start: int, end: int, title_at: int) -> list[str]:
    if end < start:  # no prose at all: a short note; keep what is not chrome
        return [u.text for u in units if u.kind in (SHORT, PROSE) and _units_index(units, u) != title_at]
    # Everything above the block goes, stand-first included: it restates the body, and
    # the body-only convention (the extraction benchmark's) leaves it out as well.
    chosen: list[Unit] = []
    block = [u for k, u in enumerate(units[start:end + 1], start) if k != title_at]
    vocabulary = _stems(" ".join(u.text for u in block if u.kind == PROSE))
    skipping = False  # inside a "read also" list
    for k, unit in enumerate(block):
        if unit.kind == SEEALSO:
            skipping = unit.words <= 5
            continue
        if skipping and unit.kind == SHORT:
            continue
        skipping = False
        if unit.kind in (JUNK, META, CAPTION):
            continue
        nxt = block[k + 1] if k + 1 < len(block) else None
        if unit.kind == SHORT and not _joins(chosen, unit, nxt) and not _subheading(unit, nxt, vocabulary):
            continue
        chosen.append(unit)
    return _rejoin([u.text for u in chosen])


def _units_index(units: list[Unit], unit: Unit) -> int:
    return next(i for i, u in enumerate(units) if u is unit)


def _joins(chosen: list[Unit], unit: Unit, nxt: Unit | None) -> bool:
    """A fragment of a paragraph split around an inline link."""
    if chosen and _split_between(chosen[-1].text, unit.text):
        return True
    return nxt is not None and nxt.kind in (SHORT, PROSE) and _split_between(unit.text, nxt.text)


def _split_between(prev: str, nxt: str) -> bool:
    if _TERMINAL.search(prev):
        return False
    head = nxt[:1]
    return _starts_lower(head) or head in ",;:)]»”’" or prev.endswith((",", "-", "–", "—"))


def _subheading(unit: Unit, nxt: Unit | None, vocabulary: set[str]) -> bool:
    """A short line between body paragraphs whose words recur in the body (not a stray ad)."""
    if nxt is None or nxt.kind != PROSE or unit.words > 15 or not _headline_like(unit, 1):
        return False
    words = [w.casefold() for w in _WORD.findall(unit.text)]
    if any(w in AD_WORDS for w in words):
        return False
    return bool(_stems(unit.text) & vocabulary)


def _stems(text: str) -> set[str]:
    # A five-letter prefix is a crude stem that works across inflecting languages
    # ("humanitaire"/"humanitaires", "frozen"/"frozen", "войны"/"войной").
    return {w.casefold()[:5] for w in _WORD.findall(text) if len(w) >= 4}


def _rejoin(paragraphs: list[str]) -> list[str]:
    out: list[str] = []
    for para in paragraphs:
        if out and _split_between(out[-1], para):
            glue = "" if para[:1] in ",;:.)]»”’" else " "
            out[-1] = out[-1] + glue + para
        else:
            out.append(para)
    return out


def _pick(units: list[Unit], start: int, end: int, attr: str) -> str | None:
    """A metadata value: from the header first, else from just after the body."""
    header = units[:start] if end >= start else units
    tail = units[end + 1:end + 5] if end >= start else []
    for unit in [*header, *tail]:
        value = getattr(unit, attr)
        if unit.kind == META and value:
            return value
    return None
