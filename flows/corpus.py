"""The corpus at hand: stored records read by day, filtered, ordered and grouped into stories.

Plain functions over the store (no Prefect): ``newswatch articles``, ``stories``, ``show``,
``search`` and ``export`` all read through here. Records are found through the manifests of the
days asked for (one listing per day), or through every manifest when no day is given — never by
listing ``articles/``. A record is named once even when several manifests list it (a reprocess
adds a line; the last line wins).

Outlets are named from the feed states in the store (``state/feeds/<id>.json`` keep the name,
country and language each feed had when it was last polled), then from the feed list for feeds
not polled yet: a store describes itself, whatever feed list the reader has.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from extractors.errors import ConfigError, NotFound, Unreadable
from extractors.records import ArticleRecord
from extractors.urls import aggregated_site
from storage.articles import ArticleStore, ManifestLine

# Country codes as the feed list and caucasus.countries write them; "nc" is accepted for the North Caucasus.
COUNTRY_ALIASES = {"nc": "ru-north-caucasus", "north-caucasus": "ru-north-caucasus", "armenia": "am",
                   "azerbaijan": "az", "georgia": "ge", "international": "intl"}


@dataclass(frozen=True)
class Outlet:
    feed_id: str
    name: str
    country: str | None = None
    language: str | None = None


def outlets(store, feeds_file=None) -> dict[str, Outlet]:
    """feed id → outlet, from the store's feed states first, then the feed list (if readable)."""
    from storage.state import load_all_feed_states

    found: dict[str, Outlet] = {}
    if feeds_file:
        try:
            from flows.digest_content import load_feeds

            for feed in load_feeds(feeds_file).values():
                found[feed.id] = Outlet(feed.id, feed.name or feed.id, feed.country, feed.language)
        except ConfigError:
            pass
    for state in load_all_feed_states(store):
        if state.name or state.feed_id not in found:
            found[state.feed_id] = Outlet(state.feed_id, state.name or state.feed_id, state.country, state.language)
    found.setdefault("seed", Outlet("seed", "seed corpus"))
    return found


REGION_CODES = frozenset({"am", "az", "ge", "ru-north-caucasus", "intl"})


def normalise_country(value: str | None) -> str | None:
    """A --country value as records spell it; an unknown one is refused (it would match nothing,
    and "0 records" would look like an answer)."""
    if not value:
        return None
    code = value.strip().lower()
    code = COUNTRY_ALIASES.get(code, code)
    if code not in REGION_CODES and not _iso_country(code):
        raise ConfigError(f"--country {value}: not a country code (am, az, ge, nc, intl, or another ISO 3166 code)")
    return code


def _iso_country(code: str) -> bool:
    import pycountry

    return len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None


@dataclass
class Filter:
    """Which records a command wants. Empty fields do not filter."""

    day: date | None = None  # one UTC first-seen day
    since: date | None = None  # first seen on or after this UTC day
    sources: list[str] = field(default_factory=list)  # feed ids (or outlet names, case-insensitive)
    languages: list[str] = field(default_factory=list)
    country: str | None = None  # the outlet's country or a country the article is about
    min_score: float | None = None
    story: str | None = None  # a cluster id
    include_seeds: bool = True
    relevant: bool | None = None  # True: only records about the region; False: only the others; None: both

    def days(self, today: date | None = None) -> list[date] | None:
        """The UTC days whose manifests to read, or None for every manifest."""
        if self.day:
            return [self.day]
        if self.since:
            today = today or datetime.now(timezone.utc).date()
            return [self.since + timedelta(days=i) for i in range((today - self.since).days + 1)]
        return None

    def accepts(self, record: ArticleRecord, outlet: Outlet | None) -> bool:
        if not self.include_seeds and record.source == "seed":
            return False
        if self.relevant is not None and bool((record.caucasus or {}).get("relevant")) != self.relevant:
            return False
        if self.sources:
            wanted = {s.casefold() for s in self.sources}
            # the feed id, the feed's name, or the outlet's: "RFE/RL (Armenian)" is RFE/RL's feed in
            # Armenian (the feeds.yaml naming rule the digest groups by)
            names = {record.source.casefold()} | (
                {outlet.name.casefold(), outlet.name.split(" (")[0].strip().casefold()} if outlet else set())
            if not wanted & names:
                return False
        if self.languages and (record.language or "") not in self.languages:
            return False
        if self.country and self.country not in countries_of(record, outlet):
            return False
        if self.min_score is not None and float((record.caucasus or {}).get("score") or 0) < self.min_score:
            return False
        if self.story and not _names_story(self.story, story_of(record)):
            return False
        return True


STORY_PREFIX_MIN = 6  # as `show` takes an id: `stories` prints the first 12 characters


def _names_story(given: str, story: str) -> bool:
    """A story given as `stories` prints it (a prefix of its id), or whole."""
    return story == given or (len(given) >= STORY_PREFIX_MIN and story.startswith(given))


def countries_of(record: ArticleRecord, outlet: Outlet | None) -> list[str]:
    """The countries the article is about (caucasus.countries, strongest first), then its outlet's."""
    codes = list((record.caucasus or {}).get("countries") or [])
    if outlet and outlet.country and outlet.country not in codes:
        codes.append(outlet.country)
    return codes


def story_of(record: ArticleRecord) -> str:
    """The story a record belongs to: its cluster, its original's id, or its own id."""
    return record.cluster or record.duplicate_of or record.id


def manifest_lines(articles: ArticleStore, days: list[date] | None) -> list[ManifestLine]:
    """The lines of the given days' manifests (every manifest when ``days`` is None), last line per id."""
    latest: dict[str, ManifestLine] = {}
    if days is None:
        keys = sorted(k for k in articles.store.list("manifests/") if k.endswith(".jsonl"))
        for key in keys:
            for line in articles.read_manifest(key):
                latest[line.id] = line
    else:
        for day in days:
            for line in articles.manifest_lines(day):
                latest[line.id] = line
    return list(latest.values())


def read_records(articles: ArticleStore, lines: Iterable[ManifestLine]) -> Iterator[tuple[str, ArticleRecord]]:
    return articles.readable(line.key for line in lines)


def order_key(record: ArticleRecord) -> tuple:
    """The stable order of listings: first seen, then id (ties broken the same way every time)."""
    return (record.first_seen or "", record.id)


def select(articles: ArticleStore, wanted: Filter, outlet_map: dict[str, Outlet]) -> list[ArticleRecord]:
    """The records ``wanted`` asks for, in the stable order."""
    records = [record for _key, record in read_records(articles, manifest_lines(articles, wanted.days()))
               if wanted.accepts(record, outlet_map.get(record.source))]
    return sorted(records, key=order_key)


# Stories --------------------------------------------------------------------------------------


@dataclass
class StoryLine:
    story: str
    headline: str
    headline_id: str
    first_seen: str
    outlets: list[str]
    languages: list[str]
    size: int  # records in the story (duplicates included)
    countries: list[str]

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def stories(records: list[ArticleRecord], outlet_map: dict[str, Outlet]) -> list[StoryLine]:
    """One line per story cluster: its first relevant original's headline, outlets, languages, size.

    Largest story first (distinct outlets, then records), then first seen, then id: stable.
    """
    groups: dict[str, list[ArticleRecord]] = {}
    for record in sorted(records, key=order_key):
        groups.setdefault(story_of(record), []).append(record)
    lines = []
    for key, members in groups.items():
        originals = [r for r in members if not r.duplicate_of] or members
        head = next((r for r in originals if r.id == key), None) or originals[0]
        names = list(dict.fromkeys(aggregated_site(r.url, r.canonical_url) or _outlet_name(r.source, outlet_map)
                                   for r in members))  # an aggregator's items: the sites they led to
        languages = list(dict.fromkeys(r.language or "?" for r in members))
        countries = list(dict.fromkeys(c for r in members for c in countries_of(r, outlet_map.get(r.source))))
        lines.append(StoryLine(key, headline_of(head), head.id,
                               head.first_seen, names, languages, len(members), countries))
    lines.sort(key=lambda s: (-len(s.outlets), -s.size, s.first_seen, s.story))
    return lines


def headline_of(record: ArticleRecord, width: int = 90) -> str:
    """The title, or the opening words in brackets when a text has no headline."""
    title = " ".join((record.title or "").split())
    if title:
        return title
    opening = ""
    for word in (record.text or "")[: width * 2].split():
        if len(opening) + len(word) + 1 > width - 4:
            break
        opening = f"{opening} {word}".strip()
    return f"[{opening} …]" if opening else f"[{record.id}]"


def _outlet_name(source: str, outlet_map: dict[str, Outlet]) -> str:
    outlet = outlet_map.get(source)
    return outlet.name if outlet else source


def find_record(articles: ArticleStore, article_id: str) -> tuple[str, ArticleRecord]:
    """A record by id (or a unique prefix of at least 6 characters), through the manifests."""
    article_id = article_id.strip()
    if len(article_id) < 6:
        raise ConfigError("give at least 6 characters of the article id")
    wanted = article_id.casefold()  # ids are lower-case hex: "3F2A9C…" copied from elsewhere is the same id
    matches = [line for line in manifest_lines(articles, None) if line.id.casefold().startswith(wanted)]
    exact = [line for line in matches if line.id.casefold() == wanted]
    matches = exact or matches
    if not matches:
        raise ConfigError(f"no article {article_id!r} in the store")
    if len({line.id for line in matches}) > 1:
        raise ConfigError(f"{article_id!r} names {len(matches)} articles: give more of the id")
    line = matches[0]
    try:
        return line.key, articles.get_article(line.key)
    except NotFound:
        raise ConfigError(f"article {line.id} is in a manifest but its record {line.key} is missing "
                          "(run `newswatch store check`)") from None
    except Unreadable as exc:
        raise ConfigError(f"article {line.id}: {exc} (run `newswatch store check`)") from None


def cluster_members(articles: ArticleStore, record: ArticleRecord) -> list[ArticleRecord]:
    """The other records of a record's story, from the manifests around its first-seen day.

    Clusters join follow-ups within a few days (extractors.fingerprint.STORY_WINDOW), so a window
    of a week on each side holds every member without reading the corpus.
    """
    story = story_of(record)
    seen = datetime.fromisoformat(record.first_seen.replace("Z", "+00:00")).date()
    days = [seen + timedelta(days=i) for i in range(-7, 8)]
    members = [r for _k, r in read_records(articles, manifest_lines(articles, days))
               if story_of(r) == story and r.id != record.id]
    return sorted(members, key=order_key)
