"""The Caucasus gazetteer: load config/topics.yaml once, compile it, find its terms in a text.

Matching is token based rather than one regex per term: the text is cut into word tokens, each token
is folded (lower case, accents off, Turkish ı/İ → i, ...), and looked up in two dicts — exact forms,
and stems (every prefix length that some stem has) whose remainder must fullmatch the language's
inflection-ending regex. That gives the inflected languages (ru, hy, ka, az, tr, de) their case
endings while keeping word boundaries by construction: a stem can only start a token and only a known
ending may follow it, so "Грузи" matches Грузии but not грузил. Multi-word terms are phrases over
consecutive tokens, longest match first. Lookups are memoised per folded token, so an article costs
about one dict probe per distinct word.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from extractors.errors import ConfigError
from extractors.gazetteer_layers import curated_entities, layer_paths, layers_line, place_entities

# A token: letters/digits plus the zero-width (non-)joiners Persian writes inside words.
TOKEN_RE = re.compile(r"[^\W_]+(?:[\u200c\u200d][^\W_]+)*")
_ARABIC_RE = re.compile(r"[\u0600-\u06ff]")
# Clitics glued to the front of Arabic/Persian words: and-, with-, for-, the-.
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ل", "ف", "ك")
_CHAR_MAP = str.maketrans({
    "ı": "i", "\u200c": None, "\u200d": None, "ё": "е",
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ی": "ي", "ى": "ي", "ک": "ك",
    # the palochka and Ossetian ӕ as data and keyboards spell them: Cyrillic і (U+0456), Latin æ
    "і": "ӏ", "æ": "ӕ",
})
# ... and the palochka typed as Latin I/l or the digit 1 inside (or ending) a Cyrillic word:
# "МахIачхъала", "Г1ала" are "МахӀачхъала", "ГӀала". Applied to a text's tokens before ``fold``,
# not in it: ``fold`` stays per character (extractors/story_tables.py compiles it so).
_PALOCHKA_LOOKALIKE = re.compile(r"(?<=[а-яӏӕА-ЯӀӔ])[Il1](?=[а-яӏӕА-ЯӀӔ])|(?<=[кгхтпчцКГХТПЧЦ])[Il1]$")
_MEMO_LIMIT = 200_000
# Western Armenian and the diaspora press keep the classical orthography: -եան for -յան
# (Փաշինեան, Pashinyan), իւ for յու (Գիւմրի), է inside a word for ե. A word no term matches is
# tried again in the reformed spelling the gazetteer lists.
_CLASSICAL_ARMENIAN = re.compile(r"եա|իւ|(?<=.)է")
_INNER_E = re.compile(r"(?<=.)է")


def _reformed_armenian(key: str) -> str:
    return _INNER_E.sub("ե", key.replace("եա", "յա").replace("իւ", "յու"))



def fold(text: str) -> str:
    """The comparison form of a word: case, accents and script variants erased."""
    if text.isascii():
        return text.lower()  # what the steps below give for ASCII (no accents, no variants), 20x faster
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).translate(_CHAR_MAP)


@dataclass(frozen=True)
class Entity:
    """One gazetteer entry: a place, person or institution, or a context cue."""

    name: str
    kind: str
    weight: float
    tags: frozenset[str]
    context: str = ""  # for cues: the id of the context they signal


@dataclass(frozen=True)
class Context:
    """Cues that give ambiguous entities another meaning (Georgia the US state, turkey the bird)."""

    id: str
    label: str
    discounts: frozenset[str]
    factor: float
    min_cues: float
    anchors: frozenset[str]
    raise_to: float = 0.0  # > 0: the tagged entities weigh at least this when the cues fire (not × factor)


class _Word(NamedTuple):  # a tuple, not a dataclass: 14,000 of them unpickle 5x faster
    key: str  # folded stem or exact form
    lang: str  # suffix set to allow after the stem; "" = exact
    case: str  # "" = any case, "upper" = all capitals, "title" = capital first letter, "lower"


@dataclass(frozen=True)
class Match:
    """One occurrence of a gazetteer term in a text."""

    entity: int  # index into Gazetteer.entities
    start: int  # character offsets in the text
    end: int
    surface: str


@dataclass
class Gazetteer:
    """The compiled gazetteer: entities, contexts and the token index."""

    entities: list[Entity]
    contexts: dict[str, Context]
    source: str = ""
    _words: list[_Word] = field(default_factory=list, repr=False)
    _exact: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _stems: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _stem_lengths: list[int] = field(default_factory=list, repr=False)
    _suffix_re: dict[str, re.Pattern[str]] = field(default_factory=dict, repr=False)
    # first word id → [(word ids, entity index)], longest phrase first
    _phrases: dict[int, list[tuple[tuple[int, ...], int]]] = field(default_factory=dict, repr=False)
    _memo: dict[str, frozenset[int]] = field(default_factory=dict, repr=False)
    # the same, keyed by the token as written: most tokens recur, and folding one costs more than
    # the lookup it feeds
    _raw_memo: dict[str, frozenset[int]] = field(default_factory=dict, repr=False)

    def _candidates(self, words: list[str]) -> list[frozenset[int]]:
        raw_memo = self._raw_memo
        if len(raw_memo) > _MEMO_LIMIT:
            raw_memo.clear()
        cands = list(map(raw_memo.get, words))
        if None in cands:
            for k, hit in enumerate(cands):
                if hit is None:
                    cands[k] = raw_memo[words[k]] = self._word_ids(words[k])
        return cands

    def common_words(self, texts: list[str]) -> frozenset[int]:
        """The capitalised terms' words that these texts also write in lower case: there they are
        ordinary words ("görüş" a meeting, "гори" burn), so the same word opening a sentence, where
        every word is capitalised, is one too ("Görüşte Suriye ele alındı", "Гори, гори ясно")."""
        common: set[int] = set()
        for text in texts:
            words = TOKEN_RE.findall(text)
            for word, ids in zip(words, self._candidates(words)):
                if ids and word[:1].islower():
                    common.update(wid for wid in ids if self._words[wid].case == "title")
        return frozenset(common)

    def find(self, text: str, common: frozenset[int] = frozenset()) -> Iterator[Match]:
        """Every term occurrence in ``text``, left to right, longest phrase wins, no overlaps.
        ``text`` is one sentence when ``common`` is given: the words in it (``common_words``) are
        no term when they open the text."""
        words = TOKEN_RE.findall(text)
        cands = self._candidates(words)
        if common and cands and cands[0] & common:
            cands[0] = cands[0] - common
        spans = None  # the tokens' character offsets, found only when a term is
        phrases, known = self._phrases, self._words
        i = 0
        while i < len(words):
            if not cands[i]:  # no term starts with a word that is no term's word
                i += 1
                continue
            best = 0  # the length of the longest phrase found here, and its entity
            for wid in (cands[i] if len(cands[i]) == 1 else self._ranked(cands[i])):
                seqs = phrases.get(wid)
                # Every phrase in seqs starts with wid: when the word's case rules wid out, none is
                # here ("t" of "don't" starts 40 phrases of capital T words: one test, not 40).
                if not seqs or not _case_ok(known[wid].case, words[i]):
                    continue
                for seq, ent in seqs:
                    if len(seq) <= best:
                        break
                    if len(seq) == 1 or self._rest_at(seq, i, words, cands):
                        best, best_entity = len(seq), ent
                        break
            if not best:
                i += 1
                continue
            if spans is None:
                spans = [m.span() for m in TOKEN_RE.finditer(text)]
            start, end = spans[i][0], spans[i + best - 1][1]
            yield Match(best_entity, start, end, text[start:end])
            i += best

    def _ranked(self, ids: frozenset[int]) -> list[int]:
        """The readings of one word, surest first: the highest weight among the entities it starts
        (the weights say how ambiguous a name is), then the longest stem ("Goris" the Armenian town,
        not "Gori" plus a plural -s), then the id. A set's order would decide by the ids, which any
        edit of the gazetteer reshuffles."""
        memo = self.__dict__.setdefault("_rank_memo", {})  # not a field: cached pickles stay valid
        key = memo.get(ids)
        if key is None:
            def rank(wid: int) -> tuple[float, int, int]:
                weight = max((self.entities[ent].weight for _seq, ent in self._phrases.get(wid, ())), default=0.0)
                return (-weight, -len(self._words[wid].key), wid)
            key = memo[ids] = sorted(ids, key=rank)
        return key

    def _rest_at(self, seq: tuple[int, ...], i: int, words: list[str], cands: list) -> bool:
        """Whether the words after the i-th continue the phrase ``seq`` (whose first word is there)."""
        if i + len(seq) > len(words):
            return False
        for k in range(1, len(seq)):
            wid = seq[k]
            if wid not in cands[i + k] or not _case_ok(self._words[wid].case, words[i + k]):
                return False
        return True

    def _word_ids(self, token: str) -> frozenset[int]:
        if not token.isascii() and ("I" in token or "l" in token or "1" in token):
            token = _PALOCHKA_LOOKALIKE.sub("ӏ", token)
        key = fold(token)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._lookup(key)
            if not hit and _ARABIC_RE.match(key):
                hit = self._lookup_arabic(key)
            if not hit and _CLASSICAL_ARMENIAN.search(key):
                hit = self._lookup(_reformed_armenian(key))
            if len(self._memo) > _MEMO_LIMIT:
                self._memo.clear()
            self._memo[key] = hit
        return hit

    def _lookup(self, key: str) -> frozenset[int]:
        ids = set(self._exact.get(key, ()))
        for length in self._stem_lengths:
            if length > len(key):
                continue
            for wid in self._stems.get(key[:length], ()):
                if self._suffix_re[self._words[wid].lang].fullmatch(key, length):
                    ids.add(wid)
        return frozenset(ids)

    def _lookup_arabic(self, key: str, depth: int = 2) -> frozenset[int]:
        # Clitics stack ("wa-bi-Armenia"), so strip up to two of them.
        for prefix in _ARABIC_PREFIXES:
            if key.startswith(prefix) and len(key) - len(prefix) >= 3:
                rest = key[len(prefix):]
                hit = self._lookup(rest) or (self._lookup_arabic(rest, depth - 1) if depth > 1 else frozenset())
                if hit:
                    return hit
        return frozenset()


def _case_ok(rule: str, surface: str) -> bool:
    if rule == "upper":
        return surface.isupper()
    if rule == "title":
        return surface[:1].isupper()
    if rule == "lower":
        return surface[:1].islower()
    return True


def compile_gazetteer(doc: dict[str, Any], source: str = "<memory>") -> Gazetteer:
    """Compile a parsed topics document (the structure of config/topics.yaml): extractors.gazetteer_build."""
    from extractors.gazetteer_build import compile_gazetteer as build

    return build(doc, source)


def _read(path: Path) -> Any:
    import yaml  # only to compile: a process served from the cache never imports it (~10 ms)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster to parse
    try:
        with open(path, encoding="utf-8") as fh:
            if path.suffix == ".json":
                return json.load(fh)
            return yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader
    except OSError as exc:
        raise ConfigError(f"cannot read gazetteer {path}: {exc}") from exc
    except (yaml.YAMLError, ValueError) as exc:
        detail = " ".join(str(exc).split())  # PyYAML's message spans lines; an error stays one
        raise ConfigError(f"gazetteer {path} is not valid {path.suffix[1:].upper() or 'YAML'}: {detail}") from exc


def _known_terms(entries: list[dict[str, Any]]) -> set[str]:
    known = set()
    for entry in entries:
        for forms in (entry.get("terms") or {}).values():
            for raw in forms:
                words = TOKEN_RE.findall(str(raw))
                if len(words) == 1:
                    known.add(fold(words[0]))
    return known


def _merge_layers(doc: dict[str, Any], topics: Path) -> dict[str, Any]:
    """topics.yaml with the entities of its layers appended (curated first, generated places last)."""
    entities = list(doc.get("entities") or [])
    places = []
    for path in layer_paths(doc, topics):
        layer = _read(path)
        if path.suffix == ".json":
            places.append(layer)
        else:
            entities += curated_entities(layer, str(path))
    known = _known_terms(entities)
    for layer in places:
        entities += place_entities(layer, known, fold)
    return {**doc, "entities": entities}


def _compile_file(path: str) -> Gazetteer:
    topics = Path(path)
    doc = _read(topics)
    if isinstance(doc, dict):
        doc = _merge_layers(doc, topics)
    try:
        return compile_gazetteer(doc, path)
    except re.error as exc:
        raise ConfigError(f"gazetteer {path}: bad suffix regex: {exc}") from exc


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, stamps: tuple) -> Gazetteer:
    from extractors.compiled_cache import cached  # compiled once per change, across processes

    return cached("gazetteer", path, gazetteer_files(Path(path)), lambda: _compile_file(path))


def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """The compiled gazetteer from ``path`` (default config.TOPICS_FILE) and the layers it names,
    cached until one of the files changes."""
    path = _topics_path(path)
    return _load_cached(str(path), tuple(_stamp(p) for p in [path, *_layers_named(str(path), _stamp(path))]))


def gazetteer_files(path: Path | None = None) -> list[Path]:
    """Every file a compiled gazetteer depends on (its data, its layers, its code): a cache key."""
    from extractors.compiled_cache import gazetteer_inputs

    path = _topics_path(path)
    return list(dict.fromkeys([*gazetteer_inputs(path), *_layers_named(str(path), _stamp(path))]))


def _topics_path(path: Path | None) -> Path:
    if path is None:
        from config import TOPICS_FILE  # config is data, not code we depend on at import time

        path = TOPICS_FILE
    return Path(path).resolve()


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError as exc:
        raise ConfigError(f"cannot read gazetteer {path}: {exc}") from exc
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=8)
def _layers_named(path: str, stamp: tuple[int, int]) -> list[Path]:
    """The layer files topics.yaml names, parsed once per change of it (across processes: no YAML
    is parsed, nor imported, by a process whose gazetteer comes from the cache)."""
    if path.endswith(".json"):
        return []
    from extractors.compiled_cache import cached

    topics = Path(path)
    names = cached("topics-layers", path, [topics, Path(__file__), Path(__file__).with_name("gazetteer_layers.py")],
                   lambda: [str(p) for p in layer_paths(layers_line(topics), topics)])
    return [Path(name) for name in names]
