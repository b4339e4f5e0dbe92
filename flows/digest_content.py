"""What goes into a digest: the day's records, the stories they form, leads and feed health.

Pure functions over records (no rendering, no sending), so the rules are easy to test:

* the window is a local calendar day → a UTC interval → the one or two UTC days whose
  manifests can hold it;
* a story is a cluster (``record.cluster``, else the record's own id); its headline is a
  relevant non-duplicate record; duplicates (``duplicate_of``) and other cluster members are
  "also reported by" (with their own headline); rank = distinct sources, then members, then
  who was first;
* its section is the story's country (``story_country``: the entities that made it relevant),
  the outlet's country only when no entity names one;
* the lead is the first two or three sentences of the body, split with rules that hold for
  scripts without letter case (Georgian) and for the Armenian full stop.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlparse

from extractors.errors import ConfigError, NotFound, Unreadable
from extractors.records import ArticleRecord, Feed
from extractors.urls import aggregated_site
from flows.digest_health import Problem as FeedHealth  # one feed's line in the digest footer
from flows.digest_health import feed_report
from storage.articles import ArticleStore
from storage.layout import as_utc
from storage.state import FeedState

log = logging.getLogger("newswatch.digest")

# feeds.yaml uses ISO codes plus a few regions of its own (``intl``, ``ru-north-caucasus``).
COUNTRY_NAMES = {"AM": "Armenia", "AZ": "Azerbaijan", "GE": "Georgia", "RU": "Russia", "TR": "Turkey",
                 "IR": "Iran", "UA": "Ukraine", "US": "United States", "GB": "United Kingdom",
                 "RU-NORTH-CAUCASUS": "North Caucasus", "INTL": "International", "INTERNATIONAL": "International"}
LANGUAGE_NAMES = {"hy": "Armenian", "ka": "Georgian", "az": "Azerbaijani", "ru": "Russian", "en": "English",
                  "tr": "Turkish", "fa": "Persian", "uk": "Ukrainian", "de": "German", "fr": "French"}
OTHER_SECTION = "Other sources"


# Feeds ----------------------------------------------------------------------------------------


def load_feeds(path: Path | str | None) -> dict[str, Feed]:
    """feed id → Feed from ``feeds.yaml`` (``feeds: [{id, name, url, country?, language?}]``)."""
    if path is None or not Path(path).is_file():
        log.warning("feed list %s not found: the digest has no country sections", path)
        return {}
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        items = data.get("feeds", []) if isinstance(data, dict) else []
        feeds = [Feed(**{k: item.get(k) for k in ("id", "name", "url", "country", "language")}) for item in items]
    except (yaml.YAMLError, OSError, AttributeError, TypeError) as exc:
        raise ConfigError(f"{path}: not a feed list ({exc})") from exc
    return {feed.id: feed for feed in feeds if feed.id}


def country_name(code: str | None) -> str | None:
    if not code:
        return None
    return COUNTRY_NAMES.get(code.strip().upper(), code.strip())


# The window -----------------------------------------------------------------------------------


def local_window(day: date, tz) -> tuple[datetime, datetime]:
    """[start, end) in UTC of a calendar day in ``tz`` (23 or 25 hours across a DST change)."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return as_utc(start), as_utc(end)


def utc_days(start: datetime, end: datetime) -> list[date]:
    days, current = [], start.date()
    while current <= (end - timedelta(microseconds=1)).date():
        days.append(current)
        current += timedelta(days=1)
    return days


def _inside(moment: str | None, start: datetime, end: datetime) -> bool | None:
    try:
        return start <= as_utc(moment) < end if moment else None
    except ValueError:
        return None


def records_in_window(articles: ArticleStore, start: datetime, end: datetime) -> list[ArticleRecord]:
    """Records first seen in [start, end), read through the manifests of the UTC days it spans."""
    found: dict[str, ArticleRecord] = {}
    for day in utc_days(start, end):
        for line in articles.manifest_lines(day):
            if line.id in found or _inside(line.first_seen, start, end) is False:
                continue  # the manifest line already says it is outside: no need to read it
            if line.source == "seed":
                continue  # the seed corpus is reference material, not the day's news
            try:
                record = articles.get_article(line.key)
            except NotFound:
                continue
            except Unreadable as exc:  # one damaged record must not stop the digest
                log.warning("%s; left out of the digest (`newswatch store check` lists it)", exc)
                continue
            if _inside(record.first_seen, start, end):
                found[record.id] = record
    return list(found.values())


# Stories --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """Another source that carried the story."""

    source: str
    source_name: str
    title: str
    url: str
    link: str | None  # the URL when it is safe to put in an href (http/https), else None
    language: str


@dataclass
class Story:
    id: str  # the cluster (story) id
    article_id: str  # the headline record
    title: str
    url: str
    link: str | None
    source: str
    source_name: str
    language: str
    published: str
    lead: str
    country: str | None
    sources: int
    first_seen: str
    also: list[Mention] = field(default_factory=list)
    # other articles of the story that "also" does not show: a follow-up from an outlet already named,
    # a second report (every relevant original of the day stays visible in the digest)
    more: list[Mention] = field(default_factory=list)


@dataclass
class Section:
    name: str
    stories: list[Story]


def safe_link(url: str | None) -> str | None:
    """Only http(s) URLs become links: a ``javascript:`` or ``data:`` URL stays inert text."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    return url.strip() if parsed.scheme.lower() in ("http", "https") and parsed.netloc else None


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _source_name(source: str, feeds: dict[str, Feed]) -> str:
    if source == "seed":
        return "seed corpus"
    feed = feeds.get(source)
    return _clean(feed.name) if feed and feed.name else source


def _landed_on(record: ArticleRecord) -> str:
    return aggregated_site(record.url, record.canonical_url)


def _record_source_name(record: ArticleRecord, feeds: dict[str, Feed]) -> str:
    """The feed's name; for an aggregator's item, the site it led to, via the feed."""
    name = _source_name(record.source, feeds)
    landed = _landed_on(record)
    return f"{landed} (via {name})" if landed else name


def _outlet_of(record: ArticleRecord, feeds: dict[str, Feed]) -> str:
    """Who published it: the site an aggregator's item led to, else the feed's outlet."""
    return _landed_on(record) or _outlet(record.source, feeds)


def _outlet(source: str, feeds: dict[str, Feed]) -> str:
    """Who published it: one outlet's feeds in several languages ("RFE/RL (Armenian)",
    "RFE/RL (Russian)", the feeds.yaml naming rule) count as one source."""
    feed = feeds.get(source)
    name = _clean(feed.name) if feed and feed.name else ""
    return name.split(" (")[0].casefold() if name else source


def _language(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "unknown")


def _address(record: ArticleRecord) -> str:
    """Where a reader goes: the article's own address (after an aggregator's redirect, a meta refresh or
    an AMP copy: the canonical one), not the feed's link to it."""
    return record.canonical_url or record.url


def _title(record: ArticleRecord) -> str:
    return _clean(record.title) or (urlparse(record.url).netloc or record.id)


def _published(value: str | None) -> str:
    return value[:10] if value else "date unknown"


def _is_relevant(record: ArticleRecord) -> bool:
    return bool((record.caucasus or {}).get("relevant"))


def _story_key(record: ArticleRecord, by_id: dict[str, ArticleRecord]) -> str:
    if record.cluster:
        return record.cluster
    if record.duplicate_of:
        original = by_id.get(record.duplicate_of)
        return _story_key(original, by_id) if original and not original.duplicate_of else record.duplicate_of
    return record.id


def build_stories(records: list[ArticleRecord], feeds: dict[str, Feed]) -> list[Story]:
    """Relevant non-duplicate records grouped by story, best-covered story first."""
    by_id = {record.id: record for record in records}
    groups: dict[str, list[ArticleRecord]] = {}
    for record in records:
        groups.setdefault(_story_key(record, by_id), []).append(record)
    stories = []
    for key, members in groups.items():
        candidates = [r for r in members if not r.duplicate_of and _is_relevant(r)]
        if not candidates:
            continue  # only duplicates or irrelevant records: nothing to headline
        # The cluster's founding record when present (its id names the cluster), else the first seen.
        head = min(candidates, key=lambda r: (r.id != key, as_utc(r.first_seen), r.id))
        stories.append(_story(key, head, members, feeds))
    stories.sort(key=lambda s: (-s.sources, -(len(s.also)), s.first_seen, s.id))
    return stories


def _mention(record: ArticleRecord, feeds: dict[str, Feed]) -> Mention:
    return Mention(source=record.source, source_name=_record_source_name(record, feeds), title=_title(record),
                   url=_address(record), link=safe_link(_address(record)), language=_language(record.language))


def _story(key: str, head: ArticleRecord, members: list[ArticleRecord], feeds: dict[str, Feed]) -> Story:
    others: dict[str, Mention] = {}
    more: list[Mention] = []
    shown = {_outlet_of(head, feeds): head.language}  # outlet -> the language it is shown in
    # Each other outlet is named once: by its copy of the headline's article when it ran one, else by
    # its first original, else its first copy of another member.
    order = sorted(members, key=lambda r: (r.duplicate_of != head.id, bool(r.duplicate_of), as_utc(r.first_seen), r.id))
    for record in order:
        outlet = _outlet_of(record, feeds)
        if record.id == head.id:
            continue
        if outlet not in shown:
            others[outlet] = _mention(record, feeds)
            shown[outlet] = record.language
        elif not record.duplicate_of and _is_relevant(record) and record.language == shown[outlet]:
            # another article of an outlet already named (a follow-up); its version in another
            # language is a translation, not more news
            more.append(_mention(record, feeds))
    return Story(
        id=key, article_id=head.id, title=_title(head), url=_address(head), link=safe_link(_address(head)), source=head.source,
        source_name=_record_source_name(head, feeds), language=_language(head.language),
        published=_published(head.published), lead=lead_of(head.text, head.title),
        country=country_name(story_country(head, members, feeds)),
        sources=len({_outlet_of(record, feeds) for record in members}), first_seen=as_utc(head.first_seen).isoformat(),
        also=list(others.values()), more=more,
    )


def story_country(head: ArticleRecord, members: list[ArticleRecord], feeds: dict[str, Feed]) -> str | None:
    """Where the story happens: each relevant member's ``caucasus.countries`` (strongest first) votes
    1, 1/2, 1/3 …, the headline's order breaking ties; the outlet's country only when none names one."""
    votes: dict[str, float] = {}
    for record in members:
        if not _is_relevant(record):
            continue
        for rank, code in enumerate((record.caucasus or {}).get("countries") or []):
            votes[code] = votes.get(code, 0.0) + 1.0 / (rank + 1)
    if votes:
        head_order = list((head.caucasus or {}).get("countries") or [])
        return min(votes, key=lambda c: (-round(votes[c], 6), head_order.index(c) if c in head_order else len(head_order), c))
    feed = feeds.get(head.source)
    return feed.country if feed else None


def sections_of(stories: list[Story]) -> list[Section]:
    """Stories by country, sections in the order of their best story; unknown country last."""
    sections: dict[str | None, list[Story]] = {}
    for story in stories:
        sections.setdefault(story.country, []).append(story)
    ordered = [Section(name, items) for name, items in sections.items() if name is not None]
    if None in sections:
        ordered.append(Section(OTHER_SECTION if ordered else "Stories", sections[None]))
    return ordered


# Leads ----------------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"([.!?…\u0589\u3002]+|:)([\"'»”’)\]]*)(\s+)")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "st", "jr", "sr", "vs", "etc", "no", "nos",
    "inc", "ltd", "co", "corp", "rev", "sen", "rep", "gov", "pres", "min", "dept", "approx", "fig", "vol", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "т", "г", "гг", "ул", "им", "тыс",
    "млн", "млрд", "руб", "стр", "см", "др", "пр", "проф", "ген",
}
LEAD_SHORT = 280  # a third sentence only while the lead is still shorter than this
LEAD_MAX = 600


def _opens_sentence(ch: str) -> bool:
    if ch.isupper() or ch.isdigit() or ch in "\"'«„“‘([—–-¿¡":
        return True
    # Georgian Mkhedruli is unicameral in use (Unicode files it as lowercase), so any of its
    # letters may open a sentence; so may letters of scripts without case (category Lo).
    return "\u10d0" <= ch <= "\u10ff" or unicodedata.category(ch) == "Lo"


def _is_abbreviation(before: str) -> bool:
    token = before.rsplit(None, 1)[-1] if before.strip() else ""
    token = token.lstrip("\"'«„“‘([")
    if len(token) == 1 and token.isalpha():
        return True  # an initial: "J. Smith", "U." of "U.S."
    if "." in token and len(token) <= 6:
        return True  # "U.S", "e.g", "т.е"
    return token.lower() in _ABBREVIATIONS


def _armenian(text: str) -> bool:
    letters = [c for c in text[:2000] if c.isalpha()]
    armenian = sum(1 for c in letters if "\u0531" <= c <= "\u058f")
    return bool(letters) and armenian / len(letters) > 0.3


def split_sentences(paragraph: str, *, colon_ends: bool = False) -> list[str]:
    """Sentences of one paragraph. ``colon_ends``: Armenian typing often uses ':' for '։'."""
    sentences, start = [], 0
    for match in _BOUNDARY.finditer(paragraph):
        mark = match.group(1)
        if mark == ":" and not colon_ends:
            continue
        following = paragraph[match.end(): match.end() + 1]
        if not following or not _opens_sentence(following):
            continue
        if mark == "." and _is_abbreviation(paragraph[start: match.start()]):
            continue
        sentences.append(paragraph[start: match.end()].strip())
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def lead_of(text: str | None, title: str | None = None, sentences: int = 3) -> str:
    """The first two (three while short) sentences of the body, skipping a repeated title."""
    paragraphs = [_clean(p) for p in (text or "").split("\n")]
    title_key = _clean(title).casefold().rstrip(".")
    colon_ends = _armenian(text or "")
    chosen: list[str] = []
    for paragraph in paragraphs:
        if not paragraph or (not chosen and paragraph.casefold().rstrip(".") == title_key):
            continue
        for sentence in split_sentences(paragraph, colon_ends=colon_ends):
            length = sum(len(s) + 1 for s in chosen)
            if len(chosen) >= 2 and (len(chosen) >= sentences or length >= LEAD_SHORT):
                break
            chosen.append(sentence)
        else:
            continue
        break
    lead = " ".join(chosen)
    if len(lead) > LEAD_MAX:
        lead = lead[:LEAD_MAX].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return lead


# Feed health ----------------------------------------------------------------------------------


def feed_health(states: list[FeedState], feeds: dict[str, Feed], *, now: datetime, silent_days: int) -> list[FeedHealth]:
    """Feeds polled lately that were blocked, failed, or brought nothing new for ``silent_days``.

    One line per feed, the most serious problem only, reasons in words; the rules live in
    flows/digest_health.py (the feed list only lends names to states that carry none).
    """
    names = {fid: _source_name(fid, feeds) for fid in feeds}
    report = feed_report(states, names, now=now, silent_days=silent_days)
    return list(report.problems)
