"""Compile config/topics.yaml (with its layers merged) into a ``Gazetteer``: each term string becomes
word entries (folded key, the language's ending set, a case rule) and a phrase over them.

Split from ``extractors.gazetteer`` (which loads, caches and matches) to keep both readable; a
change here invalidates the compiled cache like a change there (``compiled_cache.gazetteer_inputs``).
"""

from __future__ import annotations

import re
from typing import Any

from extractors.errors import ConfigError
from extractors.gazetteer import TOKEN_RE, Context, Entity, Gazetteer, _Word, fold

# Scripts without capitals (Georgian, Arabic): a term's case says nothing there.
_CASELESS_LANGS = frozenset({"ka", "ar", "fa"})


def _parse_term(raw: str) -> tuple[list[str], bool, bool]:
    """Split a term string into its words and its markers: ``=`` exact, ``^`` case-sensitive."""
    exact = case = False
    while raw[:1] in ("=", "^"):
        exact |= raw[0] == "="
        case |= raw[0] == "^"
        raw = raw[1:]
    words = TOKEN_RE.findall(raw)
    if not words:
        raise ConfigError(f"gazetteer term {raw!r} has no word in it")
    return words, exact, case


class _Builder:
    """Turns the YAML document into a compiled Gazetteer."""

    def __init__(self, doc: dict[str, Any], source: str) -> None:
        self.doc = doc
        self.source = source
        self.words: list[_Word] = []
        self.word_ids: dict[_Word, int] = {}
        self.phrases: dict[int, list[tuple[tuple[int, ...], int]]] = {}
        self.entities: list[Entity] = []

    def build(self) -> Gazetteer:
        suffixes = {lang: re.compile(fold(rx)) for lang, rx in (self.doc.get("suffixes") or {}).items()}
        suffixes[""] = re.compile("")
        for entry in self.doc.get("entities") or []:
            self._add_entity(entry, suffixes)
        contexts = {}
        for ctx in self.doc.get("contexts") or []:
            contexts[ctx["id"]] = self._add_context(ctx, suffixes)
        gaz = Gazetteer(self.entities, contexts, source=self.source, _words=self.words, _suffix_re=suffixes)
        for wid, word in enumerate(self.words):
            if word.lang:
                gaz._stems.setdefault(word.key, []).append(wid)
            else:
                gaz._exact.setdefault(word.key, []).append(wid)
        gaz._stem_lengths = sorted({len(k) for k in gaz._stems}, reverse=True)
        for seqs in self.phrases.values():
            seqs.sort(key=lambda s: -len(s[0]))
        gaz._phrases = self.phrases
        return gaz

    def _add_entity(self, entry: dict[str, Any], suffixes: dict) -> None:
        try:
            entity = Entity(str(entry["name"]), str(entry["kind"]), float(entry["weight"]),
                            frozenset(entry.get("tags") or ()))
            terms = entry["terms"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{self.source}: bad gazetteer entry {entry!r}: {exc}") from exc
        self.entities.append(entity)
        for lang, forms in terms.items():
            if lang not in suffixes:
                raise ConfigError(f"{self.source}: {entity.name}: no suffix set for language {lang!r}")
            for raw in forms:
                self._add_term(str(raw), lang, len(self.entities) - 1)
                if lang == "ru" and entity.kind in _PLACE_KINDS:
                    adjective = _ru_adjective(str(raw))
                    if adjective:
                        self._add_term(adjective, lang, len(self.entities) - 1)
                if entity.kind in _PLACE_KINDS:
                    for changed in stem_changes(str(raw), lang):
                        self._add_term(changed, lang, len(self.entities) - 1)

    def _add_context(self, ctx: dict[str, Any], suffixes: dict) -> Context:
        try:
            context = Context(str(ctx["id"]), str(ctx.get("label", ctx["id"])), frozenset(ctx["discounts"]),
                              float(ctx["factor"]), float(ctx.get("min_cues", 1.0)),
                              frozenset(ctx.get("anchors") or ()), float(ctx.get("raise_to", 0.0)))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{self.source}: bad context {ctx!r}: {exc}") from exc
        for strength, weight in (("strong", 1.0), ("weak", 0.5)):
            cue = Entity(f"{context.id}:{strength}", "cue", weight, frozenset(), context=context.id)
            self.entities.append(cue)
            cues = ctx.get(strength) or []
            # A plain list is English (plural -s only); a mapping gives each language its own cues.
            by_lang = cues if isinstance(cues, dict) else {"en": cues}
            for lang, forms in by_lang.items():
                if lang not in suffixes:
                    raise ConfigError(f"{self.source}: context {context.id}: no suffix set for language {lang!r}")
                for raw in forms:
                    self._add_term(str(raw), lang, len(self.entities) - 1)
        return context

    def _add_term(self, raw: str, lang: str, entity: int) -> None:
        words, exact, case = _parse_term(raw)
        seq = []
        for word in words:
            rule = ""
            if case:
                rule = "upper" if len(word) > 1 and word.isupper() else ("title" if word[:1].isupper() else "lower")
            elif lang not in _CASELESS_LANGS and word[:1].isupper():
                # A name written with a capital is a name only when the text writes it so: the
                # lower-case word it folds to is another word ("гори" burn, not Gori; az "görüş"
                # meeting, not Goris), and an acronym is one only in capitals (TRIPP, not Tripp).
                # Lower-case terms (ru "армянск", fr "arménien") stay case-blind.
                rule = "upper" if len(word) > 1 and word.isupper() else "title"
            w = _Word(fold(word), "" if exact else lang, rule)
            if w not in self.word_ids:
                self.word_ids[w] = len(self.words)
                self.words.append(w)
            seq.append(self.word_ids[w])
        self.phrases.setdefault(seq[0], []).append((tuple(seq), entity))


_PLACE_KINDS = frozenset({"country", "region", "province", "city", "town", "village", "place"})
STEM_CHANGE_MIN = 5  # letters: shorter names' changed stems are too often other words


def stem_changes(raw: str, lang: str) -> list[str]:
    """The forms a place name takes where its stem changes before a case ending, which the
    ending rules cannot reach: Armenian -ի names make their genitive-dative in -ու (Գյումրի →
    Գյումրու), Georgian -ა names drop it before -ის/-ით (მცხეთა → მცხეთის), Russian -й names drop
    it before any ending (Домбай → в Домбае). One word, not exact, at least five letters."""
    words, exact, _case = _parse_term(raw)
    if len(words) != 1 or exact or len(words[0]) < STEM_CHANGE_MIN:
        return []
    word = words[0]
    prefix = raw[: len(raw) - len(raw.lstrip("^"))]
    if lang == "hy" and word.endswith("ի"):
        return [prefix + word[:-1] + "ու"]
    if lang == "ka" and word.endswith("ა"):
        return [prefix + word[:-1]]
    if lang == "ru" and word.endswith("й") and word[:1].isupper():
        return [prefix + word[:-1]]
    return []
_RU_CONSONANT_END = re.compile(r"[бвгджзклмнпрстфхцчшщ]$")


def _ru_adjective(raw: str) -> str | None:
    """The relational adjective Russian makes of a place name ending in a consonant: Лачин →
    лачинск(ий коридор), Ереван → ереванск(ая мэрия), Тифлис → тифлисск(ий), as the places layer
    derives it for GeoNames' names (gazetteer_layers). Lower case, so case-blind: the adjective
    is capitalised only in proper names ("Лачинский коридор"). A term ending in -ск already is
    one (Каспийск); a stem (Шуш-, Гяндж-) yields a form no text writes, which costs nothing."""
    words, exact, _case = _parse_term(raw)
    word = words[-1] if len(words) == 1 else ""
    if not word[:1].isupper() or len(word) < 4 or word.endswith("ск") or not _RU_CONSONANT_END.search(word):
        return None
    return word.lower() + "ск"


def compile_gazetteer(doc: dict[str, Any], source: str = "<memory>") -> Gazetteer:
    """Compile a parsed topics document (the structure of config/topics.yaml)."""
    if not isinstance(doc, dict) or not doc.get("entities"):
        raise ConfigError(f"{source}: a gazetteer needs an 'entities' list")
    return _Builder(doc, source).build()
