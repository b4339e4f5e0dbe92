"""Each feed's health, from what the store remembers of it (``newswatch feeds``).

Read-only and network-free: the feed's state object (last success, last error, failures in
a row, back-off) and the manifests of the last few days (how many new articles it brought).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from extractors.records import Feed
from extractors.urls import without_credentials
from flows.digest_health import reason_in_words
from storage.articles import ArticleStore
from storage.layout import as_utc
from storage.state import FeedState, load_all_feed_states, load_feed_state

NOT_LISTED = "not in the list"  # a FeedStatus.status for a feed only the store knows
RATE_DAYS = 7  # new articles per day are averaged over this many UTC days (today included)

@dataclass
class FeedStatus:
    id: str
    name: str
    url: str
    status: str  # the list's own status: active | unverified
    health: str  # ok | never polled | failing | blocked | backing off | silent
    last_polled: str | None
    last_ok: str | None
    last_error: str  # in words, "" when the last poll succeeded
    failures_in_a_row: int
    next_poll: str | None  # None: the next scheduled run
    new_per_day: float
    days_silent: int | None  # days since the feed last brought a new entry (None: never)
    moved_to: str | None = None  # the feed answers through a permanent redirect to this URL: update the list
    malformed: str = ""  # its last answer was not well-formed (the parser's problem); its entries were used

    def to_dict(self) -> dict:
        return asdict(self)


def error_in_words(state: FeedState) -> str:
    """The last error as the digest says it ("feed gone (404)", "site unreachable (name not found)"),
    "" when the last poll succeeded: one vocabulary for the digest's footer and ``newswatch feeds``."""
    return reason_in_words(state) if state.last_error else ""


def _health(state: FeedState, now: datetime, days_silent: int | None, silent_after: int) -> str:
    if not state.last_polled:
        return "never polled"
    if state.next_poll and as_utc(state.next_poll) > now:
        return "backing off"
    if state.last_outcome == "blocked":
        return "blocked"
    if state.last_outcome == "failed":
        return "failing"
    if days_silent is None:
        # never a new entry: silent only once it has had the time (a feed added today is not)
        new_since = as_utc(state.first_ok) if state.first_ok else None
        return "ok" if new_since and (now - new_since).days < silent_after else "silent"
    if days_silent >= silent_after:
        return "silent"
    return "ok"


def new_articles_by_feed(articles: ArticleStore, now: datetime, days: int = RATE_DAYS) -> Counter:
    """Records each feed brought in the last ``days`` UTC days: their arrival lines, read before a
    later line for the same record (a ``poll --force`` refresh, a reprocess) replaces them."""
    counts: Counter = Counter()
    today = as_utc(now).date()
    for back in range(days):
        arrived: set[str] = set()
        for key in articles.manifest_keys(today - timedelta(days=back)):
            for line in articles.read_manifest(key):
                if line.status in ("stored", "duplicate", "irrelevant") and line.id not in arrived:
                    arrived.add(line.id)
                    counts[line.source] += 1
    return counts


def feed_statuses(store, feeds: list[Feed], *, now: datetime | None = None, silent_after: int = 3) -> list[FeedStatus]:
    now = as_utc(now or datetime.now(timezone.utc))
    counts = new_articles_by_feed(ArticleStore(store), now)
    out = []
    listed = {feed.id for feed in feeds}
    # feeds the store was polled with that the list no longer names: their health is still the
    # store's, and a store shared by several lists (or a demo's) would otherwise look empty
    unlisted = [Feed(id=state.feed_id, name=state.name or state.feed_id, url=state.url or "", status=NOT_LISTED)
                for state in load_all_feed_states(store) if state.feed_id not in listed]
    for feed in [*feeds, *sorted(unlisted, key=lambda f: f.id)]:
        state = load_feed_state(store, feed.id)
        days_silent = None
        if state.last_new_entry:
            days_silent = max(0, (now - as_utc(state.last_new_entry)).days)
        next_poll = state.next_poll if state.next_poll and as_utc(state.next_poll) > now else None
        out.append(FeedStatus(
            id=feed.id, name=feed.name, url=without_credentials(feed.url), status=feed.status, health=_health(state, now, days_silent, silent_after),
            last_polled=state.last_polled, last_ok=state.last_ok, last_error=error_in_words(state),
            failures_in_a_row=state.consecutive_failures, next_poll=next_poll,
            new_per_day=round(counts.get(feed.id, 0) / RATE_DAYS, 2), days_silent=days_silent,
            moved_to=state.moved_to, malformed=state.malformed))
    return out


def _short_time(value: str | None) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _note(row: FeedStatus) -> str:
    """What a reader of a working feed should still know: it moved, or it is not well-formed."""
    if row.moved_to:
        return f"moved permanently to {row.moved_to}: update the list"
    if row.malformed:
        return f"malformed feed, its entries used anyway ({row.malformed}): tell the site"
    return ""


def status_table(rows: list[FeedStatus]) -> str:
    header = f"{'feed':<22} {'health':<12} {'last ok':<16} {'fails':>5} {'next poll':<16} {'new/day':>7} {'silent':>6}  last error"
    lines = [header]
    for row in rows:
        silent = "never" if row.days_silent is None else f"{row.days_silent}d"
        flag = "?" if row.status == "unverified" else "+" if row.status == NOT_LISTED else " "
        lines.append(f"{(row.id[:21] + flag):<22} {row.health:<12} {_short_time(row.last_ok):<16} {row.failures_in_a_row:>5} "
                     f"{_short_time(row.next_poll) if row.next_poll else 'next run':<16} {row.new_per_day:>7.2f} {silent:>6}  "
                     f"{row.last_error or _note(row)}")
    return "\n".join(lines)
