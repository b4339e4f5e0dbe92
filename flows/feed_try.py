"""``newswatch feeds try URL``: what a poll would make of one feed, storing nothing.

The feed is fetched through the real fetcher (robots.txt, limits, redirects, the address
checks) and parsed by the poll's parser; each entry's page is fetched and turned into a
record by the poll's own steps (flows.rebuild), so the title, language and relevance shown
are what would be stored. Nothing is written: no store is opened.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from config.settings import Settings
from extractors.errors import ExtractionError, FetchError
from extractors.feeds import NotAFeed, parse_feed
from extractors.records import Feed, FeedEntry
from extractors.urls import without_credentials
from flows.feed_discovery import with_announced_feed
from flows.rebuild import page_meta, rebuild_record

TRY_FEED_ID = "try"


@dataclass
class TriedEntry:
    link: str
    title: str  # the record's title when the page was fetched, else the feed's
    published: str | None
    author: str = ""
    language: str | None = None
    relevant: bool | None = None  # None: not judged (page not fetched or not extracted)
    score: float | None = None
    reason: str = ""
    countries: list[str] = field(default_factory=list)
    words: int = 0
    problem: str = ""  # why the page gave no record
    from_feed: str = ""  # the page could not be had (this reason): the feed's full text was used, as a poll does


@dataclass
class TryReport:
    url: str
    final_url: str = ""
    content_type: str = ""
    title: str = ""
    language: str | None = None
    malformed: bool = False
    problem: str = ""  # the feed itself failed: nothing else is filled
    discovered: str = ""  # the URL was a web page naming this feed, which was tried instead
    entries: int = 0
    unlinked: int = 0  # items skipped for having no web link
    tried: list[TriedEntry] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def try_feed(url: str, settings: Settings, *, pages: bool = True, limit: int = 10,
             country: str | None = None, language: str | None = None) -> TryReport:
    from extractors.gazetteer import load_gazetteer
    from flows.fetcher import Fetcher

    report = TryReport(url=without_credentials(url))  # shown: the fetcher keeps a private feed's password
    with Fetcher(settings) as fetcher:
        try:
            try:
                response, parsed = _fetch_and_parse(fetcher, url)
            except NotAFeed as exc:
                if not exc.feed_links:
                    raise
                # a site's page given for its feed: the page names its feed (autodiscovery), so try that
                report.discovered = exc.feed_links[0]
                response, parsed = _fetch_and_parse(fetcher, report.discovered)
        except FetchError as exc:
            exc = with_announced_feed(fetcher, report.discovered or url, exc)  # a 404/410: the site's feed now
            report.problem = f"{exc.reason}: {exc}"
            return report
        except ExtractionError as exc:
            report.problem = str(exc)  # "not a feed: …" or "not a readable feed: …"
            return report
        feed_url = report.discovered or url
        feed = Feed(id=TRY_FEED_ID, name=without_credentials(feed_url), url=feed_url, country=country, language=language)
        report.final_url, report.content_type = response.final_url, response.content_type
        report.title, report.language, report.malformed = parsed.title, parsed.language, parsed.malformed
        report.entries, report.unlinked = len(parsed.entries), parsed.unlinked
        entries = parsed.entries[: max(0, limit)]
        if not pages:
            report.tried = [_from_entry(entry) for entry in entries]
            return report
        gazetteer = load_gazetteer(settings.topics_file)
        now = datetime.now(timezone.utc)
        workers = max(1, min(settings.fetch_concurrency, len(entries) or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feeds-try") as pool:
            report.tried = list(pool.map(lambda e: _try_entry(fetcher, feed, e, now, gazetteer), entries))
    return report


def _fetch_and_parse(fetcher, url: str):
    response = fetcher.fetch_feed(url)
    return response, parse_feed(response.body, feed_id=TRY_FEED_ID, feed_url=response.final_url,
                                content_type=response.content_type)


def _from_entry(entry: FeedEntry, problem: str = "") -> TriedEntry:
    return TriedEntry(link=entry.link, title=entry.title, author=entry.author,
                      published=entry.published.isoformat() if entry.published else None, problem=problem)


def _try_entry(fetcher, feed: Feed, entry: FeedEntry, now: datetime, gazetteer) -> TriedEntry:
    from flows.pipeline import page_from_feed

    from_feed = ""
    try:
        page = fetcher.fetch_page(entry.link)
    except FetchError as exc:
        page = page_from_feed(entry, exc)  # what a poll stores when the item carries the full text
        if page is None:
            return _from_entry(entry, f"page not fetched: {exc.reason}: {exc}")
        from_feed = f"{exc.reason}: {exc}"
    # The poll's own steps (a page with no article text comes back flagged, as the poll stores it).
    record = rebuild_record(page.body, page_meta(feed, entry, page, now, from_feed=bool(from_feed)), gazetteer=gazetteer)
    caucasus = record.caucasus or {}
    return TriedEntry(link=entry.link, title=record.title, published=record.published, author=record.author,
                      language=record.language, relevant=bool(caucasus.get("relevant")), score=caucasus.get("score"),
                      reason=caucasus.get("reason", ""), countries=list(caucasus.get("countries") or []),
                      words=len(record.text.split()), from_feed=from_feed)


def report_text(report: TryReport) -> str:
    if report.problem:
        return f"{report.url}: {report.problem}\nnothing stored (feeds try never stores)"
    found = (f"{report.url} is a web page; it names its feed, tried here (put this URL in the feed list):\n"
             if report.discovered else "")
    shown = report.discovered or report.url
    head = found + (f"{shown}" + (f" → {report.final_url}" if report.final_url != shown else "") +
            f"\n  {report.title or '(no title)'} · language {report.language or 'not declared'} · "
            f"{report.content_type or 'no content type'} · {report.entries} entries"
            + (f" ({report.unlinked} more without a web link, skipped)" if report.unlinked else "")
            + (" · malformed (entries used anyway)" if report.malformed else ""))
    lines = [head]
    for entry in report.tried:
        if entry.problem:
            verdict = entry.problem
        elif entry.relevant is None:
            verdict = "page not fetched (--no-pages)"
        else:
            where = f" [{', '.join(entry.countries)}]" if entry.countries else ""
            verdict = (f"{'relevant' if entry.relevant else 'irrelevant'} {entry.score or 0:.2f}{where}: {entry.reason}"
                       f" · {entry.language or '?'} · {entry.words} words"
                       + (f" · from the feed's full text (page not fetched: {entry.from_feed})" if entry.from_feed else ""))
        lines.append(f"  - {entry.title or entry.link}\n    {entry.link}\n    {verdict}")
    shown = len(report.tried)
    if shown < report.entries:
        lines.append(f"  … {report.entries - shown} more entries (--limit)")
    lines.append("nothing stored (feeds try never stores)")
    return "\n".join(lines)
