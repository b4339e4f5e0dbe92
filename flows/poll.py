"""A whole poll run as plain functions: open the run, poll each feed, summarise.

``run_poll`` is what tests and the demo call without Prefect; the ``poll-feeds`` flow
(flows/poll_flow.py) does the same with one Prefect task per feed.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime

from config.settings import Settings
from extractors.errors import ConfigError, RunStopping, StoreError
from extractors.records import Feed
from flows.batch import recover_journals
from flows.context import close_context, open_context
from flows.pipeline import FeedResult, PollOptions, poll_feed
from storage import layout

log = logging.getLogger("newswatch.poll")

STORE_FAILURE = "store: "  # the error prefix of a feed that failed because the store did

COUNTED = ("entries", "new_entries", "pages_fetched", "page_failures", "from_feed", "stored", "duplicates", "irrelevant",
           "refreshed", "retried", "skipped_seen", "skipped_old", "stored_elsewhere")


@dataclass
class PollSummary:
    run_id: str
    store: str
    feeds: list[FeedResult] = field(default_factory=list)
    recovered: int = 0

    @property
    def totals(self) -> dict[str, int]:
        totals = {
            "feeds_polled": len(self.feeds),
            "feeds_ok": sum(f.outcome == "ok" for f in self.feeds),
            "feeds_not_modified": sum(f.outcome in ("not-modified", "unchanged") for f in self.feeds),
            "feeds_failed": sum(f.outcome in ("failed", "blocked") for f in self.feeds),
            "feeds_backing_off": sum(f.outcome == "backing-off" for f in self.feeds),
            "feeds_malformed": sum(f.malformed for f in self.feeds),
        }
        for name in COUNTED:
            totals[name] = sum(getattr(f, name) for f in self.feeds)
        totals["recovered"] = self.recovered
        return totals

    @property
    def exit_code(self) -> int:
        """0 every feed fine; 1 some feeds failed; 2 the run could not work: the store failed, or
        every feed it tried failed (feeds waiting out a back-off are not tried, so not failures)."""
        failed = [f for f in self.feeds if f.outcome in ("failed", "blocked")]
        tried = [f for f in self.feeds if f.outcome != "backing-off"]
        if any(f.error.startswith(STORE_FAILURE) for f in failed) or (tried and len(failed) == len(tried)):
            return 2
        return 1 if failed else 0

    def to_dict(self) -> dict:
        return {"run_id": self.run_id, "store": self.store, "totals": self.totals,
                "feeds": [asdict(f) for f in self.feeds]}

    def to_text(self) -> str:
        t = self.totals
        lines = [
            f"poll {self.run_id} → {self.store}",
            f"  feeds: {t['feeds_polled']} polled, {t['feeds_ok']} ok, {t['feeds_not_modified']} not modified, "
            f"{t['feeds_failed']} failed, {t['feeds_backing_off']} backing off, {t['feeds_malformed']} malformed",
            f"  entries: {t['entries']} ({t['new_entries']} new, {t['skipped_seen']} already seen, {t['skipped_old']} before --since)",
            f"  pages: {t['pages_fetched']} fetched, {t['page_failures']} failed"
            + (f", {t['from_feed']} taken from the feed's full text" if t["from_feed"] else "")
            + (f", {t['retried']} retried from the queue" if t["retried"] else ""),
            f"  articles: {t['stored']} stored, {t['duplicates']} duplicates, {t['irrelevant']} irrelevant, "
            f"{t['refreshed']} refreshed"
            + (f", {t['stored_elsewhere']} new links to articles already stored" if t["stored_elsewhere"] else ""),
        ]
        if self.recovered:
            lines.append(f"  recovered from an interrupted run: {self.recovered}")
        failed = [f for f in self.feeds if f.outcome in ("failed", "blocked", "backing-off")]
        if failed:
            lines.append("  feeds not reached:")
            lines += [f"    {f.feed_id}: {_problem(f)}" for f in failed]  # the raw error is in the log
        return "\n".join(lines)

    def to_markdown(self, names: dict[str, str] | None = None) -> str:
        """The run's artifact: the per-feed table first (what a desk looks for), then the counters that are not zero."""
        names = names or {}

        def cell(text) -> str:
            return str(text).replace("|", "/").replace("\n", " ")

        order = {"failed": 0, "blocked": 0, "backing-off": 1}
        feeds = sorted(self.feeds, key=lambda f: (order.get(f.outcome, 2), f.feed_id))
        rows = "\n".join(
            f"| {cell(names.get(f.feed_id, f.feed_id))} | {f.outcome} | {f.entries} | {f.pages_fetched} | {f.stored} | "
            f"{f.duplicates} | {f.irrelevant} | {cell(_problem(f))} |"
            for f in feeds
        )
        counters = [f"- **{k.replace('_', ' ')}**: {v}" for k, v in self.totals.items() if v]
        return (
            f"# Poll {self.run_id}\n\n| feed | outcome | entries | pages | stored | duplicates | irrelevant | problem |\n"
            "|---|---|---:|---:|---:|---:|---:|---|\n" + rows + "\n\n"
            + ("\n".join(counters) or "- nothing to count") + f"\n\nStore: `{self.store}`\n"
        )


def parse_since(value: str | datetime | None, zone: str = "UTC") -> datetime | None:
    """``--since`` takes a date or an ISO datetime. A date starts at midnight in ``zone``
    (``NEWSWATCH_TIMEZONE``, the zone the digest's days are in), so that "since the 4th" in Baku
    takes a story published at 00:20 Baku time on the 4th; a datetime without offset is UTC."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, str) and len(value) == 10:
            from zoneinfo import ZoneInfo

            moment = layout.as_utc(datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(zone)))
        else:
            moment = layout.as_utc(value)
    except (ValueError, TypeError, OverflowError):
        raise ConfigError(f"--since {value!r}: not a date (YYYY-MM-DD) or an ISO date-time") from None
    if not 1900 <= moment.year <= 2999:  # as every other command's dates
        raise ConfigError(f"--since {value}: not a day news could be from (years 1900-2999)")
    return moment


def preflight(*, store: str | None, feeds_file: str | None, feed_ids: list[str] | None, since: str | None) -> Settings:
    """Everything a poll can be refused for, checked before Prefect's start-up (10–20 s) is paid:
    the settings, the feed list and ``--feed`` ids, the gazetteer, ``--since``, and that the store
    takes a write."""
    from config.settings import settings_with
    from flows.pipeline import load_feeds

    from extractors.gazetteer import load_gazetteer

    settings = settings_with(store=store, feeds_file=feeds_file)
    load_feeds(settings.feeds_file, feed_ids)
    load_gazetteer(settings.topics_file)  # a damaged topics file: one line now, not one traceback per worker
    parse_since(since)
    preflight_store(settings)
    return settings


def preflight_store(settings: Settings) -> None:
    """The store opens and takes a write (a read-only or full disk, a missing bucket fail here)."""
    from storage import open_store

    target = open_store(settings.store, settings)
    probe = f"state/runs/probe-{layout.new_run_id()}.json"
    try:
        target.put(probe, b"{}", content_type="application/json")  # a read-only or full store fails here
        target.delete(probe)
    except OSError as exc:
        raise StoreError(f"cannot write to the store {target.describe()}: {exc}") from None
    finally:
        target.close()


def start_run(store_uri, settings: Settings, run_id: str | None = None, now: datetime | None = None):
    """Open the run's context and finish whatever a crashed run left in the journal."""
    from storage.run_lease import RunLease

    run_id = run_id or layout.new_run_id(now)
    ctx = open_context(run_id, store_uri, settings, now)
    try:
        ctx.lease = RunLease(ctx.store, run_id).start()  # before any journal: others can tell this run lives
        recovered = recover_journals(ctx, now=ctx.now)
    except BaseException:
        close_context(run_id)
        raise
    return ctx, recovered


def run_poll(store_uri, feeds: list[Feed], options: PollOptions, settings: Settings, *,
             run_id: str | None = None, now: datetime | None = None, feed_workers: int = 4) -> PollSummary:
    """Poll ``feeds`` into the store at ``store_uri`` (no Prefect)."""
    ctx, recovered = start_run(store_uri, settings, run_id, now)
    summary = PollSummary(run_id=ctx.run_id, store=ctx.store.describe(), recovered=recovered)
    try:
        with ThreadPoolExecutor(max_workers=max(1, feed_workers)) as pool:
            summary.feeds = list(pool.map(lambda feed: _safe_poll(ctx, feed, options), feeds))
    finally:
        close_context(ctx.run_id)
    return summary


def _safe_poll(ctx, feed: Feed, options: PollOptions) -> FeedResult:
    try:
        return poll_feed(ctx, feed, options)
    except StoreError as exc:
        log.error("feed %s: the store failed: %s", feed.id, exc)
        return FeedResult(feed_id=feed.id, outcome="failed", error=f"{STORE_FAILURE}{exc}")
    except RunStopping as exc:  # the run was stopped mid-batch: nothing committed, the next run does it
        log.warning("feed %s: %s; its batch is left to the next run", feed.id, exc)
        return FeedResult(feed_id=feed.id, outcome="stopped", error=str(exc))
    except Exception as exc:  # a bug on one feed must not end the run
        log.exception("feed %s failed unexpectedly", feed.id)
        return FeedResult(feed_id=feed.id, outcome="failed", error=f"{type(exc).__name__}: {exc}")


def _problem(f: FeedResult) -> str:
    """A feed's trouble in the digest's words ("site unreachable (name not found)", not errno)."""
    if f.outcome in ("failed", "blocked"):
        from flows.digest_health import reason_in_words
        from storage.state import FeedState

        return reason_in_words(FeedState(f.feed_id, last_error=f.error))
    return f.error or ("malformed, entries used" if f.malformed else "")
