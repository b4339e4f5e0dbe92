"""The poll, as plain functions: feed → entries → pages → records → store.

Prefect wraps these (flows/poll_flow.py) but they run and test without it. Per feed:
fetch the feed (conditional GET, body hash), pick the entries not seen yet, fetch their
pages concurrently, extract and judge them, then commit the batch in the crash-safe
order: journal, raw pages and records, manifest, then state (dedup index, seen URLs,
site memory, feed state), and finally drop the journal.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from extractors.errors import ConfigError, ExtractionError, FetchError, RunStopping
from extractors.feeds import BotCheck, feed_body_hash, parse_feed
from extractors.records import Feed, FeedEntry, FetchedPage
from extractors.urls import SHARED_LINK_ITEM, host_of, without_credentials
from flows.batch import IRRELEVANT, PreparedArticle, commit_batch
from flows.context import RunContext
from flows.entry_updates import republished
from flows.feed_discovery import with_announced_feed
from flows.fetcher import Conditional
from flows.identity import resolve_identity
from flows.rebuild import page_meta
from flows import retries
from flows.workers import Built, Pending, job_for
from storage import layout
from storage.state import SEEN_DUPLICATE, SEEN_FAILED, FeedState, load_feed_state, save_feed_state

log = logging.getLogger("newswatch.poll")

TRANSIENT_FEED_FAILURES = {"timeout", "connect"}
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class PollOptions:
    since: datetime | None = None
    force: bool = False
    keep_irrelevant: bool = False  # obsolete (every fetched article is stored); accepted so old callers still work


@dataclass
class FeedResult:
    feed_id: str
    outcome: str = "ok"  # ok | not-modified | unchanged | failed | blocked | backing-off
    error: str = ""
    malformed: bool = False
    entries: int = 0
    new_entries: int = 0
    pages_fetched: int = 0
    page_failures: int = 0
    from_feed: int = 0  # articles taken from the feed's full text because the page could not be fetched
    stored: int = 0
    duplicates: int = 0
    irrelevant: int = 0  # stored, flagged caucasus.relevant = false
    refreshed: int = 0
    retried: int = 0  # queued pages tried again (earlier passing failures, batches a crash cut short)
    skipped_seen: int = 0
    skipped_old: int = 0
    stored_elsewhere: int = 0  # new entries whose page turned out to be a stored article (canonical, redirect)
    new_articles: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load_feeds(path: str | Path, ids: list[str] | None = None) -> list[Feed]:
    """The validated feed list (flows.feed_list: the checks of ``newswatch feeds check``), optionally
    narrowed to ``ids``. A bad list raises ``ConfigError`` before any network."""
    from flows.feed_list import read_feeds

    feeds = read_feeds(path)
    if ids:
        known = {f.id for f in feeds}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ConfigError(f"unknown feed id(s): {', '.join(unknown)}")
        feeds = [f for f in feeds if f.id in set(ids)]
    return feeds


# One feed -----------------------------------------------------------------------------------


def poll_feed(ctx: RunContext, feed: Feed, options: PollOptions, *, raise_transient: bool = False,
              retrying: bool = False) -> FeedResult:
    """Poll one feed end to end. Failures are recorded in the result and the feed state.

    With ``raise_transient`` a time-out or connection failure is re-raised after being
    recorded, so an orchestrator can retry the feed with back-off; its retries pass
    ``retrying`` so the failures of this same run do not put the feed into back-off.
    """
    result = FeedResult(feed_id=feed.id)
    state = load_feed_state(ctx.store, feed.id)
    state.url = without_credentials(feed.url)  # the state is a file: no user:password in it
    state.name, state.country, state.language = feed.name, feed.country, feed.language
    now = datetime.now(timezone.utc)
    if state.next_poll and not (options.force or retrying) and layout.as_utc(state.next_poll) > now:
        result.outcome = "backing-off"
        result.error = f"backing off until {state.next_poll} after {state.consecutive_failures} failures"
        return result
    state.last_polled = now.isoformat()
    try:
        conditional = None if options.force else Conditional(state.etag, state.last_modified)
        response = ctx.fetcher.fetch_feed(feed.url, conditional)
    except FetchError as exc:
        if exc.reason == "stopping":  # the run's doing, not the feed's: no failure counted
            raise RunStopping(str(exc)) from None
        exc = with_announced_feed(ctx.fetcher, feed.url, exc)  # a 404/410: where the site says its feed is now
        _record_feed_failure(ctx, state, result, exc, now, counted=not retrying)
        if raise_transient and exc.reason in TRANSIENT_FEED_FAILURES:
            raise
        return result

    state.last_status = response.status
    if response.status == 304:
        _answered(ctx, state, now, response)
        result.outcome = state.last_outcome = "not-modified"
        _work_on(ctx, feed, [], options, result, ctx.now)  # queued pages are due whatever the feed says
        save_feed_state(ctx.store, state)
        return result
    body_hash = feed_body_hash(response.body)
    if body_hash == state.body_hash and not options.force:
        _answered(ctx, state, now, response)
        result.outcome = state.last_outcome = "unchanged"
        _work_on(ctx, feed, [], options, result, ctx.now)
        _keep_validators(state, response)
        save_feed_state(ctx.store, state)
        return result
    try:
        parsed = parse_feed(response.body, feed_id=feed.id, feed_url=response.final_url, content_type=response.content_type)
    except ExtractionError as exc:
        # a 200 that holds no feed (a captcha or login page, an empty body) is a failed poll: it
        # counts towards back-off and the digest's "N polls in a row", like an error status
        reason = "blocked" if isinstance(exc, BotCheck) else "bad-feed"
        _record_feed_failure(ctx, state, result, FetchError(str(exc), url=response.final_url, reason=reason), now)
        return result
    previous_ok = state.last_ok
    _answered(ctx, state, now, response)
    state.malformed = " ".join(str(parsed.problem or "not well-formed").split())[:200] if parsed.malformed else ""
    if parsed.malformed:
        result.malformed = True
        log.warning("feed %s is malformed (%s); using the %d entries it yields", feed.id, parsed.problem, len(parsed.entries))
    if parsed.unlinked:
        log.warning("feed %s: %d item(s) have no web link and are skipped", feed.id, parsed.unlinked)
    result.entries = len(parsed.entries)

    fresh = _new_entries(ctx, parsed.entries, options, result, previous_ok)
    result.new_entries = len(fresh)
    _work_on(ctx, feed, fresh, options, result, ctx.now)

    if fresh:
        state.last_new_entry = now.isoformat()
    if not result.skipped_old:
        # After a --since poll the feed is not "read": its older items were skipped, not seen, and
        # a 304 or an unchanged body would hide them from the next plain poll for good.
        state.body_hash = body_hash
        _keep_validators(state, response)
    state.last_outcome = "ok"
    save_feed_state(ctx.store, state)
    return result


def _work_on(ctx: RunContext, feed: Feed, fresh: list[FeedEntry], options: PollOptions, result: FeedResult,
             now: datetime) -> None:
    """Fetch, judge and commit the feed's new entries plus its queued pages that are due."""
    due = retries.due_entries(ctx, feed, fresh, now)
    result.retried += len(due)
    if not fresh and not due:
        return
    # Batch by batch: a feed that lists thousands of items (a whole archive, a hostile feed) must
    # not hold every page in memory until its end, nor lose them all to a crash near it.
    entries, size = fresh + due, ctx.settings.batch_pages
    for start in range(0, len(entries), size):
        prepared = _fetch_and_prepare(ctx, feed, entries[start:start + size], options, result)
        commit_batch(ctx, feed.id if start == 0 else f"{feed.id}--{start // size + 1}", prepared, result)
        retries.flush(ctx, feed.id, now)  # after the commit: a crash before it leaves the items queued


def _answered(ctx: RunContext, state: FeedState, now: datetime, response: FetchedPage) -> None:
    """The feed answered (a feed, or that it has not changed): its failure streak ends; a move is noted."""
    if response.moved_to and response.moved_to != state.moved_to:
        log.warning("feed %s moved permanently to %s: update the feed list", state.feed_id, without_credentials(response.moved_to))
    state.moved_to = response.moved_to
    state.next_poll = None
    state.consecutive_failures = 0
    state.last_error = ""
    if state.last_ok is None and not state.body_hash:
        state.first_ok = ctx.now.isoformat()  # a new feed: its first batch is mostly backlog (flows/digest_health.py)
    state.last_ok = now.isoformat()


def _keep_validators(state: FeedState, response: FetchedPage) -> None:
    state.etag = response.headers.get("etag") or None
    state.last_modified = response.headers.get("last-modified") or None


def _record_feed_failure(ctx: RunContext, state: FeedState, result: FeedResult, exc: FetchError, now: datetime,
                         counted: bool = True) -> None:
    blocked = exc.reason == "blocked" or exc.status in (403, 429)
    result.outcome = "blocked" if blocked else "failed"
    result.error = f"{exc.reason}: {exc}"
    state.last_outcome = result.outcome
    state.last_status = exc.status
    state.last_error = result.error
    if counted:  # one failure per poll, however often an orchestrator retried the feed within it
        state.consecutive_failures += 1
    # Exponential back-off from the third failure in a row: 30 min, 1 h, 2 h ... 6 h; at least what
    # a 429/503's Retry-After asked (up to 6 h: a day-long ask was forgotten by the next run).
    delay = timedelta(seconds=min(exc.retry_after, MAX_BACKOFF.total_seconds()))  # a FetchError's ask may be any float
    if state.consecutive_failures >= 3:
        delay = max(delay, min(timedelta(minutes=15) * 2 ** (state.consecutive_failures - 2), MAX_BACKOFF))
    if delay > timedelta(0):
        state.next_poll = (now + delay).isoformat()
    log.warning("feed %s %s: %s", state.feed_id, result.outcome, exc)
    save_feed_state(ctx.store, state)


def _new_entries(ctx: RunContext, entries: list[FeedEntry], options: PollOptions, result: FeedResult,
                 previous_ok: str | None = None) -> list[FeedEntry]:
    fresh, keys_this_feed, known = [], set(), []
    for entry in entries:
        if options.since and entry.published and entry.published < options.since:
            result.skipped_old += 1
            continue
        key = layout.url_key(entry.link)
        if key in keys_this_feed:
            continue  # the same link twice in one feed (utm variants normalise to one)
        keys_this_feed.add(key)
        if not options.force and key in ctx.seen:
            known.append(entry)
            continue
        if not ctx.claim(key):
            result.skipped_seen += 1  # another feed of this run took it
            continue
        fresh.append(entry)
    again = republished(known, len(entries), previous_ok, ctx.now)  # flows/entry_updates.py
    result.skipped_seen += len(known) - len(again)
    for entry in again:
        key = layout.url_key(entry.link)
        if ctx.claim(key):
            ctx.refreshing.add(key)
            fresh.append(entry)
    return fresh


def _fetch_and_prepare(ctx: RunContext, feed: Feed, entries: list[FeedEntry], options: PollOptions,
                       result: FeedResult) -> list[PreparedArticle]:
    if not entries:
        return []
    started = _Started(ctx, feed, alone=len(entries) == 1)
    workers = max(1, min(ctx.settings.fetch_concurrency, len(entries)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"fetch-{feed.id}") as pool:
        outcomes = list(pool.map(lambda e: started.fetch_and_submit(e), entries))
    pages: list[tuple[FeedEntry, FetchedPage, object, Pending]] = []
    for entry, page, error, meta, pending in outcomes:  # in the feed's order, as before
        if page is None:
            _page_failed(ctx, entry, error, result)
            continue
        if error is not None:
            retries.page_settled(ctx, feed.id, entry, None, ctx.now)
            result.from_feed += 1
            log.info("page %s not fetched (%s); using the full text the feed carries", entry.link, error.reason)
        else:
            result.pages_fetched += 1
            retries.page_settled(ctx, feed.id, entry, None, ctx.now)
        pages.append((entry, page, meta, pending))
    # The records come back in the feed's order; what they mean to this run is decided here, in order.
    prepared = [_prepare(ctx, entry, page, meta, pending.result(), options, result) for entry, page, meta, pending in pages]
    return [item for item in prepared if item is not None]


class _Started:
    """A batch's fetch threads: each fetched page goes to the extraction workers at once
    (flows/workers.py), so the workers extract while the rest of the batch is still fetched
    instead of waiting for its slowest page. A host's learnt boilerplate is read once per batch."""

    def __init__(self, ctx: RunContext, feed: Feed, alone: bool):
        self.ctx, self.feed, self.alone = ctx, feed, alone
        # Taken once: the context's properties hold the run's lock, which a batch committing holds.
        self.fetcher, self.extraction = ctx.fetcher, ctx.extraction
        self._boilerplate: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def known(self, host: str) -> frozenset[str]:
        with self._lock:
            known = self._boilerplate.get(host)
        if known is None:
            known = self.ctx.site_boilerplate(host)
            with self._lock:
                known = self._boilerplate.setdefault(host, known)
        return known

    def fetch_and_submit(self, entry: FeedEntry):
        """(entry, page, error, meta, pending): a page from the site, or the feed's full text with the
        fetch error, or no page (the error says why)."""
        ctx = self.ctx
        entry, page, error = _fetch_one(self.fetcher, entry)
        if error is not None:
            page = page_from_feed(entry, error)
            if page is None:
                return entry, None, error, None, None
        meta = page_meta(self.feed, entry, page, ctx.now, from_feed=error is not None)
        job = job_for(page.body, meta, self.known(host_of(page.final_url)), ctx.now)
        return entry, page, error, meta, self.extraction.submit(job, alone=self.alone)


_TAG = re.compile(r"<[^>]+>")
FEED_TEXT_MIN_CHARS = 600  # a feed item this long carries the article, not a teaser
FEED_TEXT_FALLBACK = {"robots", "blocked", "not-html", "timeout", "connect", "too-big", "shared-link"}


def page_from_feed(entry: FeedEntry, error: FetchError) -> FetchedPage | None:
    """The feed's own full text as a page, when the page itself cannot be had.

    Only for reasons that say nothing about the article (robots.txt, blocked, time-out...);
    a 404 means the article is gone, whatever the feed still says.
    """
    if error.reason not in FEED_TEXT_FALLBACK or not entry.content:
        return None
    if len(_TAG.sub(" ", entry.content).strip()) < FEED_TEXT_MIN_CHARS:
        return None
    title = html.escape(entry.title)
    body = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{entry.content}</article></body></html>"
    return FetchedPage(url=entry.link, final_url=entry.link, status=200, content_type="text/html; charset=utf-8",
                       body=body.encode("utf-8"), fetched_at=datetime.now(timezone.utc))


def _fetch_one(fetcher, entry: FeedEntry):
    if SHARED_LINK_ITEM in entry.link:  # its link is a section page's: the feed's text is the article
        return entry, None, FetchError("the feed's items share one link; its text is the article", url=entry.link,
                                       reason="shared-link")
    try:
        return entry, fetcher.fetch_page(entry.link), None
    except FetchError as exc:
        return entry, None, exc
    except Exception as exc:  # one odd page must never end the run
        log.exception("unexpected error fetching %s", entry.link)
        return entry, None, FetchError(str(exc), url=entry.link, reason="error")


def _page_failed(ctx: RunContext, entry: FeedEntry, error: FetchError, result: FeedResult) -> None:
    result.page_failures += 1
    result.problems.append(f"{entry.link}: {error.reason}: {error}")
    # a page the stopping run did not fetch is the next run's: not a warning per queued page
    log.log(logging.INFO if error.reason == "stopping" else logging.WARNING,
            "page skipped %s (%s: %s)", entry.link, error.reason, error)
    queued = retries.page_settled(ctx, result.feed_id, entry, error, ctx.now)
    if not queued:  # an old page's 404, not HTML, too big, robots...: never fetched again
        ctx.seen.mark([layout.url_key(entry.link)], SEEN_FAILED, ctx.now)


def _prepare(ctx: RunContext, entry: FeedEntry, page: FetchedPage, meta, built: Built, options: PollOptions,
             result: FeedResult) -> PreparedArticle | None:
    """A built record (the record is made from the page and ``meta`` only, exactly as a reprocess
    rebuilds it) checked against what this run and the store have seen."""
    link_key = layout.url_key(entry.link)
    if built.record is None:
        _page_failed(ctx, entry, FetchError(built.error, url=entry.link, reason="extract"), result)
        return None
    record = resolve_identity(ctx, built.record, link_key, page.final_url)  # flows/identity.py
    article_id = record.id
    url_keys = sorted({link_key, article_id, layout.url_key(page.final_url)})
    existing_day = ctx.seen.first_seen_day(article_id)
    if existing_day and not (options.force or link_key in ctx.refreshing):
        result.stored_elsewhere += 1  # reached under another link (redirect, AMP, canonical)
        ctx.seen.mark([link_key], SEEN_DUPLICATE, ctx.now)
        return None
    if article_id != link_key and not ctx.claim(article_id):
        result.stored_elsewhere += 1  # another entry of this run reached the same canonical article
        return None
    if article_id != link_key:  # only such an identity can be claimed again under another link
        ctx.claimed_texts[article_id] = record.text
    if built.error:
        log.info("no article text in %s (%s): stored as irrelevant, for a later reprocess", entry.link, built.error)
    # Every fetched article is stored; an irrelevant one carries caucasus.relevant = false and
    # its reason, so it can be listed (articles --irrelevant) and re-judged (reprocess).
    status = "stored" if record.caucasus.get("relevant") else IRRELEVANT
    return PreparedArticle(record=record, body=page.body, url_keys=url_keys, host=host_of(page.final_url),
                           existing_day=existing_day, meta=meta, status=status,
                           site_blocks=built.site_blocks)
