"""Is an article about the Caucasus? A weighted, explainable decision over gazetteer hits.

The decision reads like an editor's: a regional name in the headline counts most, then the lead (the
first two real paragraphs), then how much of the story keeps returning to the region. The last part
is a *coverage*: the share of sentences that name the region, each weighted by its strongest term.
Being a share, it is normalised for length, so one clause about Chechnya in a long Kremlin story
stays small while a short dispatch from Dagestan fills up.

Three gates sit on top of the score, each a way a false positive usually happens:
- evidence: a strong term (weight ≥ 2.5) or two distinct regional entities — never "Caucasus" alone;
- not in passing: a regional term in the title, or in at least two sentences;
- context: cue words that give ambiguous names another meaning (Atlanta → Georgia the US state,
  Thanksgiving → turkey the bird, Kardashian → a diaspora celebrity story, khachapuri → a restaurant
  review) discount those names, unless unambiguous anchors of the country outweigh the cues.
The result keeps every term with where it was found, and a one-line reason.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from extractors.attribution import attribution_spans, mask
from extractors.gazetteer import Gazetteer, fold, load_gazetteer
from extractors.records import Relevance, TermHit

FIELDS = ("title", "lead", "body")
STRONG = 2.5  # a term this heavy is evidence on its own
TITLE_CAP, LEAD_CAP = 3.0, 3.0  # more names in a headline do not make it more regional
LEAD_FACTOR = 0.5
COVERAGE_FACTOR = 4.0
THRESHOLD = 2.0
LEAD_PARAGRAPHS, LEAD_MIN_WORDS = 2, 8  # a lead paragraph has words, not a menu item
MIN_SENTENCE_WORDS = 4
# Gazetteer country tags → the feed list's country codes, which the digest sections by. Region-wide
# tags (SC: "Caucasus", CSTO) name no country. Karabakh and other border entities carry AM and AZ.
COUNTRY_CODES = {"AM": "am", "AZ": "az", "GE": "ge", "NC": "ru-north-caucasus"}
FIELD_FACTOR = {"title": 2.0, "lead": 1.5, "body": 1.0}  # where a name stands says how central it is
# A short item (a wire line, a two-sentence dispatch) is about what its headline or first sentence
# names, if that is a LOCAL entity: a place, person, party or institution of the region. Countries
# and demonyms are what world news names in passing, so they still need the general gates.
SHORT_MAX_SENTENCES = 4
NATIONAL_LANGUAGES = {"hy": "AM", "ka": "GE"}  # written almost only in one country of the region
SHORT_MIN_WEIGHT = 1.5
LOCAL_KINDS = frozenset({"city", "town", "village", "province", "region", "place", "person", "party", "institution"})
_WORD_RE = re.compile(r"\w+")
# "at least N words" (N runs of \w), found at the Nth word instead of by listing every word: 5x
# faster than len(findall) on the benchmark sentences; the lookbehind starts it only at a word start
_LEAD_WORDS_RE = re.compile(rf"(?<!\w)\w+(?:\W+\w+){{{LEAD_MIN_WORDS - 1}}}")
_SENTENCE_WORDS_RE = re.compile(rf"(?<!\w)\w+(?:\W+\w+){{{MIN_SENTENCE_WORDS - 1}}}")
# A sentence ends after . ! ? ։ … (and closing quotes) and space, or at a line break. Only the
# ends are used: matching the stop itself gives the same ends as a lookbehind, a third faster.
_SENTENCE_RE = re.compile(r"[.!?։…][\"'»”)\]]*\s+|\n+")
_ARMENIAN_RE = re.compile(r"[\u0531-\u058f]")
_ARMENIAN_COLON_RE = re.compile(r"(?<=:)\s+")  # Armenian texts often type ':' for the full stop '։'


@dataclass
class _Sentence:
    field: str
    text: str
    offset: int  # where it starts in the field's text


@dataclass
class _Hit:
    entity: int
    field: str
    sentence: int
    surface: str
    opens_sentence: bool = False  # its capital proves nothing there ("Կենտրոնական բանկը…": central)


@dataclass
class _Evidence:
    hits: list[_Hit] = field(default_factory=list)
    cues: dict[str, dict[str, float]] = field(default_factory=dict)  # context id → folded cue → weight
    n_sentences: int = 0
    n_text_sentences: int = 0  # sentences outside the title
    first_text_sentence: int = -1  # index of the first sentence outside the title
    sources: set[str] = field(default_factory=set)  # outlets named as the source, not the topic


def score_relevance(title: str, text: str, *, gazetteer: Gazetteer | None = None,
                    language: str | None = None) -> Relevance:
    """Decide whether ``title`` + ``text`` (paragraphs separated by newlines) is about the Caucasus."""
    gaz = gazetteer or load_gazetteer()
    sentences = _sentences(title, text, language)
    shown = None
    if language in _READ_AS_RUSSIAN:
        # Ukrainian and Belarusian share the region's names with Russian but spell four letters
        # otherwise ("Грузії" is "Грузии", "Єреван" "Ереван"); read letter for letter in Russian
        # spelling (the same length, so each match keeps its place), shown as written. Without it
        # the palochka rule (і → ӏ) left every Ukrainian name unmatched.
        shown = [sent.text for sent in sentences]
        sentences = [_Sentence(sent.field, sent.text.translate(_AS_RUSSIAN), sent.offset) for sent in sentences]
    evidence = _collect(gaz, sentences, shown)
    weights, fired = _effective_weights(gaz, evidence)
    return _decide(gaz, evidence, weights, fired, language)


# ---------------------------------------------------------------- segmentation


def _split_fields(title: str, text: str) -> list[tuple[str, str]]:
    """(field, text) pairs: the title, the lead (first two real paragraphs), the rest as body."""
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    lead_idx: list[int] = []
    for i, para in enumerate(paragraphs):
        if len(lead_idx) == LEAD_PARAGRAPHS:
            break
        if _LEAD_WORDS_RE.search(para):
            lead_idx.append(i)
    lead = [paragraphs[i] for i in lead_idx]
    body = [p for i, p in enumerate(paragraphs) if i not in lead_idx]
    return [("title", title.strip()), ("lead", "\n".join(lead)), ("body", "\n".join(body))]


def _sentences(title: str, text: str, language: str | None) -> list[_Sentence]:
    armenian = language == "hy" or bool(_ARMENIAN_RE.search(title + text[:2000]))
    out: list[_Sentence] = []
    for name, chunk in _split_fields(title, text):
        if not chunk:
            continue
        if name == "title":
            out.append(_Sentence(name, chunk, 0))
            continue
        for part, offset in _split_sentences(chunk, armenian):
            out.append(_Sentence(name, part, offset))
    return out


def _split_sentences(chunk: str, armenian: bool) -> list[tuple[str, int]]:
    bounds = [m.end() for m in _SENTENCE_RE.finditer(chunk)]
    if armenian:
        bounds += [m.end() for m in _ARMENIAN_COLON_RE.finditer(chunk)]
    parts, start = [], 0
    for end in sorted(set(bounds)) + [len(chunk)]:
        piece = chunk[start:end].strip()
        if _WORD_RE.search(piece):
            parts.append((piece, start))
        start = end
    return parts


# ---------------------------------------------------------------- evidence


_READ_AS_RUSSIAN = frozenset({"uk", "be"})
_AS_RUSSIAN = str.maketrans("іїєґўІЇЄҐЎ", "ииегуИИЕГУ")


def _collect(gaz: Gazetteer, sentences: list[_Sentence], shown: list[str] | None = None) -> _Evidence:
    """The sentences' terms and cues; a term's surface is taken from ``shown`` (the sentences as
    written) when the sentences were respelled for matching."""
    ev = _Evidence()
    common = gaz.common_words([sent.text for sent in sentences])
    for idx, sent in enumerate(sentences):
        matches = _topical_matches(gaz, sent, ev, common, first=ev.first_text_sentence < 0 and sent.field != "title")
        # Menu items and bylines ("Opinion", "Home page") are not sentences: they would dilute coverage.
        if matches or _SENTENCE_WORDS_RE.search(sent.text):
            ev.n_sentences += 1
            if sent.field != "title":
                ev.n_text_sentences += 1
                if ev.first_text_sentence < 0:
                    ev.first_text_sentence = idx
        for match in matches:
            entity = gaz.entities[match.entity]
            if entity.kind == "cue":
                ev.cues.setdefault(entity.context, {})
                cue = fold(match.surface)
                ev.cues[entity.context][cue] = max(entity.weight, ev.cues[entity.context].get(cue, 0.0))
            else:
                opens = not _WORD_RE.search(sent.text, 0, match.start)
                surface = shown[idx][match.start:match.end] if shown else match.surface
                ev.hits.append(_Hit(match.entity, sent.field, idx, surface, opens))
    return ev


def _topical_matches(gaz: Gazetteer, sent: _Sentence, ev: _Evidence, common: frozenset[int], *, first: bool) -> list:
    """The sentence's gazetteer matches, less those inside a source attribution or a dateline, and
    less a birthplace ("Grozny-born fighter", "уроженец Батуми"): where someone was born says
    nothing about where the news is."""
    matches = list(gaz.find(sent.text, common))
    outlets = [(m.start, m.end) for m in matches if gaz.entities[m.entity].kind == "outlet"]
    spans = attribution_spans(sent.text, outlets, first_paragraph=first and sent.offset == 0)
    if spans:
        for start, end in spans:
            ev.sources.add(" ".join(sent.text[start:end].split())[:40])
        matches = list(gaz.find(mask(sent.text, spans), common))
    matches = [m for m in matches if not _birthplace(sent.text, m.start, m.end)]
    return [m for at, m in enumerate(matches) if not _anothers_institution(gaz, sent.text, matches[at - 1] if at else None, m)]


HOME_TAG = "home"  # an institution every state has, named without its country (config/topics.yaml)


def _anothers_institution(gaz: Gazetteer, text: str, before, match) -> bool:
    """A ``home`` institution ("the Central Bank") right after another country's name: that
    country's ("Ռուսաստանի Կենտրոնական բանկը", Russia's Central Bank), not the home country's."""
    tags = gaz.entities[match.entity].tags
    if HOME_TAG not in tags or before is None or text[before.end:match.start].strip():
        return False
    return not gaz.entities[before.entity].tags & (tags - {HOME_TAG})


_BORN_AFTER = re.compile(r"[-‐–]born\b", re.I)
_BORN_BEFORE = re.compile(r"(?:\bborn in|\bnative of|уроженец|уроженка|уроженцы|урожен\w+ города)\s+$", re.I)


def _birthplace(text: str, start: int, end: int) -> bool:
    return bool(_BORN_AFTER.match(text, end) or _BORN_BEFORE.search(text, max(0, start - 24), start))


def _effective_weights(gaz: Gazetteer, ev: _Evidence) -> tuple[dict[int, float], list[tuple[str, list[str]]]]:
    """Each found entity's weight after the contexts that fired; and those contexts with their cues."""
    found = {h.entity for h in ev.hits}
    weights = {e: gaz.entities[e].weight for e in found}
    fired: list[tuple[str, list[str]]] = []
    # contexts that raise a weight first, then those that discount: a US state's cues still zero
    # a "Georgia" that a parliament elsewhere in the text raised
    for ctx_id, cues in sorted(ev.cues.items(), key=lambda item: not gaz.contexts[item[0]].raise_to):
        ctx = gaz.contexts[ctx_id]
        cue_sum = sum(cues.values())
        anchor_sum = sum(gaz.entities[e].weight for e in found
                         if gaz.entities[e].tags & ctx.anchors and not gaz.entities[e].tags & ctx.discounts
                         and gaz.entities[e].kind != "context")
        if cue_sum < ctx.min_cues or cue_sum < 0.5 * anchor_sum:
            continue
        touched = [e for e in found if gaz.entities[e].tags & ctx.discounts]
        if not touched:
            continue  # the cues were there but nothing ambiguous to reinterpret
        for e in touched:
            weights[e] = max(weights[e], ctx.raise_to) if ctx.raise_to else weights[e] * ctx.factor
        strongest = sorted(cues, key=lambda c: (-cues[c], c))[:3]
        fired.append((ctx.label, strongest))
    return weights, fired


# ---------------------------------------------------------------- decision


def _decide(gaz: Gazetteer, ev: _Evidence, weights: dict[int, float],
            fired: list[tuple[str, list[str]]], language: str | None = None) -> Relevance:
    regional = {e for e, w in weights.items() if w > 0 and gaz.entities[e].kind != "context"}
    by_field: dict[str, set[int]] = defaultdict(set)
    best_in_sentence: dict[int, float] = defaultdict(float)
    for h in ev.hits:
        if h.entity in regional:
            by_field[h.field].add(h.entity)
            best_in_sentence[h.sentence] = max(best_in_sentence[h.sentence], weights[h.entity])

    title_part = min(sum(weights[e] for e in by_field["title"]), TITLE_CAP)
    lead_part = LEAD_FACTOR * min(sum(weights[e] for e in by_field["lead"]), LEAD_CAP)
    coverage = sum(min(w, 3.0) / 3.0 for w in best_in_sentence.values() if w >= 1.0) / max(1, ev.n_sentences)
    score = title_part + lead_part + COVERAGE_FACTOR * coverage

    strong = [e for e in regional if weights[e] >= STRONG]
    distinct = [e for e in regional if weights[e] >= 1.0]
    sentences_hit = sum(1 for w in best_in_sentence.values() if w >= 1.0)
    in_title = any(weights[e] >= 1.5 for e in by_field["title"])
    short = 0 < ev.n_text_sentences <= SHORT_MAX_SENTENCES
    opening = {h.entity for h in ev.hits if h.entity in regional
               and (h.field == "title" or h.sentence == ev.first_text_sentence)}
    short_topic = {e for e in opening if _local(gaz, e, weights)} if short else set()
    where = "title" if short_topic & by_field["title"] else "first sentence"
    if short and not short_topic and language in NATIONAL_LANGUAGES:
        # a short item in a language written almost only in its country, naming that country in its
        # headline or first sentence, is that country's news (a local outlet's item about a road or a
        # pass too small for the gazetteer): the language is the second piece of evidence
        short_topic = {e for e in opening if NATIONAL_LANGUAGES[language] in gaz.entities[e].tags}
    if short and not short_topic:
        where = "text, mid-sentence"
        # an item of two to four sentences is about one place: a town, district or person of the
        # region heavy enough to be evidence alone (STRONG) is its topic in any sentence ("… links
        # the two halves of Mingachevir"); a country named in passing still is not
        short_topic = {h.entity for h in ev.hits if h.entity in regional and h.field != "title" and not h.opens_sentence
                       and _local(gaz, h.entity, weights) and weights[h.entity] >= STRONG}

    names = _names(gaz, regional, weights)
    context_note = "; ".join(f"{label}: {', '.join(cues)}" for label, cues in fired)
    if not regional:
        reason = _no_terms_reason(gaz, ev, context_note)
        relevant = False
    elif short_topic:
        relevant = True
        reason = (f"short item ({ev.n_text_sentences} sentence{'s' if ev.n_text_sentences > 1 else ''}): "
                  f"{_names(gaz, short_topic, weights)} in the {where}")
    elif not strong and len(distinct) < 2:
        relevant, reason = False, f"only weak terms ({names})"
    elif not in_title and sentences_hit < 2 and short:
        only_countries = all(not _local(gaz, e, weights) for e in regional)
        relevant, reason = False, (f"a short item that names only a country or outlet of the region once ({names})"
                                   if only_countries else
                                   f"a short item that names the region once, outside its headline and first sentence ({names})")
    elif not in_title and sentences_hit < 2:
        relevant, reason = False, f"named in passing: {names} in 1 of {ev.n_sentences} sentences"
    elif score < THRESHOLD and not _spread_locally(gaz, ev, regional, weights) and not _set_in_the_lead(gaz, ev, regional, weights):
        relevant = False
        reason = f"too little about the region: {names} in {sentences_hit} of {ev.n_sentences} sentences"
    else:
        relevant = True
        where = next(f for f in FIELDS if by_field[f])
        reason = (f"{_names(gaz, by_field[where], weights)} in {where}; "
                  f"{sentences_hit} of {ev.n_sentences} sentences name the region")
    if context_note:
        reason += f" ({context_note})"
    if ev.sources:
        reason += f"; source named, not counted: {', '.join(sorted(ev.sources)[:3])}"
    countries = _countries(gaz, ev, weights, regional) if relevant else []
    return Relevance(relevant, round(score, 3), _term_hits(gaz, ev, weights), reason, countries)


def _countries(gaz: Gazetteer, ev: _Evidence, weights: dict[int, float], regional: set[int]) -> list[str]:
    """Country codes of the regional entities found, by summed weight × field factor, ties by first mention."""
    total: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    for h in ev.hits:
        if h.entity not in regional:
            continue
        for tag in sorted(gaz.entities[h.entity].tags):
            code = COUNTRY_CODES.get(tag)
            if code:
                total[code] += weights[h.entity] * FIELD_FACTOR[h.field]
                first.setdefault(code, h.sentence)
    return sorted(total, key=lambda c: (-round(total[c], 6), first[c], c))


LOCAL_SPREAD_ENTITIES, LOCAL_SPREAD_SENTENCES = 2, 3


def _spread_locally(gaz: Gazetteer, ev: "_Evidence", regional: set[int], weights: dict[int, float]) -> bool:
    """A domestic story of a regional outlet: its headline and lead name no country (its readers
    know where they are), but its body names two or more places, office holders or institutions
    of the region, each heavy enough alone (STRONG), mid-sentence, in three or more sentences
    ("Economists in Yerevan said…", "The Central Bank of Armenia warned…"). World news names a
    country in passing, rarely two local names of one region."""
    hits = [h for h in ev.hits if h.entity in regional and not h.opens_sentence
            and _local(gaz, h.entity, weights) and weights[h.entity] >= STRONG]
    return (len({h.entity for h in hits}) >= LOCAL_SPREAD_ENTITIES
            and len({h.sentence for h in ev.hits if h.entity in regional}) >= LOCAL_SPREAD_SENTENCES)


def _set_in_the_lead(gaz: Gazetteer, ev: "_Evidence", regional: set[int], weights: dict[int, float]) -> bool:
    """A long piece whose lead sets it in a place of the region (a heavy local name, mid-sentence, in
    the text's first sentence) and whose body comes back to the region in two or more sentences:
    an interview or a feature whose many short lines (questions, quotes) dilute the share of
    sentences that name a place, though the place is its subject."""
    lead = {h.entity for h in ev.hits if h.sentence == ev.first_text_sentence and h.entity in regional
            and not h.opens_sentence and _local(gaz, h.entity, weights) and weights[h.entity] >= STRONG}
    later = {h.sentence for h in ev.hits if h.entity in regional and h.sentence != ev.first_text_sentence
             and h.field != "title"}
    return bool(lead) and len(later) >= LEAD_RETURNS


LEAD_RETURNS = 2


def _local(gaz: Gazetteer, e: int, weights: dict[int, float]) -> bool:
    """A place, person, party or institution of the region, heavy enough and not discounted."""
    entity = gaz.entities[e]
    return entity.kind in LOCAL_KINDS and weights[e] >= SHORT_MIN_WEIGHT and weights[e] >= entity.weight


def _names(gaz: Gazetteer, entities: set[int], weights: dict[int, float], limit: int = 4) -> str:
    ranked = sorted(entities, key=lambda e: (-weights[e], gaz.entities[e].name))
    # Two entries may share a name (Georgia: the ambiguous English form and the other languages').
    names = list(dict.fromkeys(gaz.entities[e].name for e in ranked))
    return ", ".join(names[:limit]) + (" …" if len(names) > limit else "")


def _no_terms_reason(gaz: Gazetteer, ev: _Evidence, context_note: str) -> str:
    context_only = sorted({gaz.entities[h.entity].name for h in ev.hits if gaz.entities[h.entity].kind == "context"})
    if context_note:
        return "ambiguous names reinterpreted"
    if context_only:
        return f"only world actors that are not regional by themselves ({', '.join(context_only)})"
    return "no Caucasus terms"


def _term_hits(gaz: Gazetteer, ev: _Evidence, weights: dict[int, float]) -> list[TermHit]:
    """One TermHit per (entity, field): its most frequent surface form and how often it occurred."""
    groups: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for h in ev.hits:
        groups[(h.entity, h.field)][h.surface] += 1
    out = []
    for (e, fld), surfaces in groups.items():
        entity = gaz.entities[e]
        surface = max(surfaces, key=lambda s: (surfaces[s], s))
        out.append(TermHit(surface, entity.name, entity.kind, fld, sum(surfaces.values()), round(weights[e], 3)))
    out.sort(key=lambda t: (FIELDS.index(t.field), -t.weight, -t.count, t.entity))
    return out
