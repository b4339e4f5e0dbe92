"""The digest's feed-health footer and its backlog rule, from the feeds' state in the store.

Which feeds: every feed whose state says it was polled within the last ``silent_days`` days — the
store's own record of what the poller does, never a feed list (a list can lag behind, or name
feeds that were never polled). A feed dropped from the poller stops being reported once it has not
been polled for that long. When no feed at all was polled that recently, that is the news: the
footer says since when nothing was polled.

What it says, in words a desk understands: "site unreachable", "feed gone (404)", "blocked by
the site (403)" instead of errno strings; one line when every feed failed ("No feed could be
reached since …"), and then the body says nothing could be collected instead of "nothing new was
found"; a "last successful poll" line. It never says "all feeds healthy" while one failed.

Backlog: the first successful poll of a newly added feed stores everything its feed still lists —
often weeks of items. Those that were published more than ``BACKLOG_AGE`` before they were found
(or carry no date) are held back from that day's stories and counted in one line with the command
that lists them. A later poll that brings in ``BACKLOG_BURST`` or more such dated items at once
(a redesign or a move made the feed list its archive again) is held back the same way; one or
two late items are not.

The subject line is here too: it carries the top story's headline, or says no feed could be reached.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from extractors.records import ArticleRecord
from storage.layout import as_utc
from storage.state import FeedState

BACKLOG_AGE = timedelta(days=2)  # published this long before it was first seen: old news, not today's
FIRST_POLL_SLACK = timedelta(minutes=1)  # records of a feed's first poll carry that run's time
BACKLOG_BURST = 10  # dated items this old from one poll of a feed: it re-listed its archive
_PROBLEM_ORDER = {"blocked": 0, "failed": 1, "silent": 2}
_STATUS = re.compile(r"\b([1-5]\d\d)\b")


@dataclass(frozen=True)
class Problem:
    feed_id: str
    name: str
    problem: str  # blocked | failed | silent
    detail: str


@dataclass
class FeedReport:
    problems: list[Problem] = field(default_factory=list)
    polled: int = 0  # feeds polled within the window
    all_failed: bool = False
    summary: str = ""  # one line replacing the list when every feed failed or none was polled
    last_success: str = ""  # "2026-11-22 06:45 UTC (Civil.ge)"
    known: int = 0  # feed states in the store


def _time(value: str | None) -> datetime | None:
    try:
        return as_utc(value) if value else None
    except ValueError:
        return None


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _announced_feed(message: str) -> str:
    """The feed URL a failure names as the site's own ("… names a feed at <url>"), or ""."""
    _before, found, after = message.partition("names a feed at ")
    return after.split()[0] if found and after.split() else ""


def reason_in_words(state: FeedState) -> str:
    """Why a feed could not be read, as a person would say it (the raw error is in the poll log)."""
    error = " ".join((state.last_error or "").split())
    reason, _, message = error.partition(": ")
    if not re.fullmatch(r"[a-z][a-z-]*", reason):
        reason, message = "", error
    status = state.last_status
    if status is None:
        found = _STATUS.search(message) if reason in ("", "http", "blocked") else None
        status = int(found.group(1)) if found else None
    text = message.lower()
    if reason == "store":  # our side, not the site's (flows/poll.py STORE_FAILURE): a full disk, S3 down
        cause = message.rsplit(": ", 1)[-1].strip(" .") if ": " in message else ""
        plain = cause and "/" not in cause and len(cause) <= 60  # "the disk is full", not an endpoint URL
        return f"newswatch's store failed ({cause})" if plain else "newswatch's store failed (see the poll's log)"
    if status == 401:  # not a refusal: the feed is private, and its list entry lacks the login
        return "needs a login (401): give the feed's URL as https://user:password@host/…"
    if status == 451:
        return "unavailable for legal reasons (451)"
    if status == 429:
        return "blocked by the site: too many requests (429)"
    if reason == "blocked" or status == 403:
        return f"blocked by the site ({status})" if status else "blocked by the site"
    if status in (404, 410):
        moved = _announced_feed(message)
        return f"feed gone ({status}); the site names its feed at {moved}" if moved else f"feed gone ({status})"
    if status and status >= 500:
        return f"site error ({status})"
    if reason == "bad-response":
        return "site sent a broken answer"
    if reason == "timeout" or "timed out" in text or "timeout" in text:
        return "site did not answer in time"
    if reason == "dns" or any(w in text for w in ("name or service not known", "nodename", "getaddrinfo",
                                                   "no address", "name resolution", "nxdomain")):
        return "site unreachable (name not found)"
    if reason == "private-address":  # before "refused" below: the refusal is our own rule, not the site's
        return "feed address not allowed (a private network address; NEWSWATCH_ALLOW_PRIVATE_HOSTS=true allows it)"
    if reason == "url":
        return "feed address not allowed"
    if reason in ("connect", "tls") or any(w in text for w in ("connection", "refused", "unreachable", "reset", "ssl")):
        return "site unreachable"
    if _announced_feed(message):  # a site's page given for its feed (extractors/feeds.py)
        return f"a web page, not a feed; it names its feed at {_announced_feed(message)}"
    if reason == "bad-feed" or any(w in text for w in ("xml", "not a feed", "malformed", "syntax")):
        return "not a readable feed"
    if reason == "robots":
        return "disallowed by the site's robots.txt"
    if reason == "too-big":
        return "feed too large"
    if reason == "redirects":
        return "too many redirects"
    if status:
        return f"HTTP error {status}"
    return "could not be read"


def _problem(state: FeedState, silent_since: datetime) -> tuple[str, str] | None:
    if state.last_outcome in ("failed", "blocked"):
        words = reason_in_words(state)
        kind = "blocked" if words.startswith("blocked") else "failed"
        count = state.consecutive_failures
        return kind, words + (f", {count} polls in a row" if count > 1 else "")
    last_new = _time(state.last_new_entry)
    if last_new is None:
        first_ok = _time(state.first_ok)
        if first_ok is not None and first_ok >= silent_since:
            return None  # added lately: it has not had the time to be silent
        return "silent", "no new entry yet"
    if last_new < silent_since:
        return "silent", f"no new entry since {last_new.date().isoformat()}"
    return None


def feed_report(states: list[FeedState], names: dict[str, str], *, now: datetime, silent_days: int) -> FeedReport:
    """The footer's content: problems of the feeds polled lately, or one line when all failed."""
    now = as_utc(now)
    window = timedelta(days=max(1, silent_days))
    report = FeedReport(known=len(states))
    polled = [s for s in states if (_time(s.last_polled) or datetime.min.replace(tzinfo=now.tzinfo)) >= now - window]
    report.polled = len(polled)
    name = lambda s: s.name or names.get(s.feed_id) or s.feed_id  # noqa: E731
    successes = [(t, s) for s in states if (t := _time(s.last_ok))]
    if successes:
        moment, state = max(successes, key=lambda pair: pair[0])
        report.last_success = f"{_when(moment)} ({name(state)})"
    if not states:
        report.summary = "No feed has been polled yet."
        return report
    if not polled:
        latest = max((t for s in states if (t := _time(s.last_polled))), default=None)
        report.summary = (f"No feed has been polled since {_when(latest)}: is the poll schedule running?" if latest
                          else "No feed has been polled yet.")
        return report
    for state in polled:
        found = _problem(state, now - timedelta(days=silent_days))
        if found:
            report.problems.append(Problem(state.feed_id, name(state), *found))
    report.problems.sort(key=lambda p: (_PROBLEM_ORDER[p.problem], p.name.casefold(), p.feed_id))
    failing = [s for s in polled if s.last_outcome in ("failed", "blocked")]
    if len(failing) == len(polled):
        report.all_failed = True
        last_ok = max((t for s in polled if (t := _time(s.last_ok))), default=None)
        reasons = Counter(reason_in_words(s) for s in failing)
        detail = ", ".join(f"{words} ×{n}" if n > 1 else words for words, n in reasons.most_common())
        since = f"since {_when(last_ok)}" if last_ok else "in any poll so far"
        report.summary = f"No feed could be reached {since} ({len(failing)} feeds: {detail})."
    return report


def hold_back_backlog(records: list[ArticleRecord], states: list[FeedState]) -> tuple[list[ArticleRecord], dict[str, int]]:
    """Split off the old items that a new feed's first poll brought in, or that one later poll of a
    feed brought in by the ``BACKLOG_BURST`` (a redesign or a move re-listed its archive):
    (kept, {feed id: held back}). One old item found late is still news to the reader."""
    first_poll = {s.feed_id: t for s in states if (t := _time(getattr(s, "first_ok", None)))}

    def old(record: ArticleRecord, seen) -> bool:
        published = _time(record.published)
        return published is None or published < seen - BACKLOG_AGE

    # records of one poll of a feed carry that run's time: count the old ones each poll brought
    old_per_poll = Counter((r.source, r.first_seen) for r in records
                           if not r.duplicate_of and (seen := _time(r.first_seen)) and _time(r.published) is not None
                           and old(r, seen))
    kept: list[ArticleRecord] = []
    held: Counter[str] = Counter()
    for record in records:
        if record.duplicate_of or not (record.caucasus or {}).get("relevant"):
            kept.append(record)  # never a story's headline: counting it would overstate what is held back
            continue
        started = first_poll.get(record.source)
        seen = _time(record.first_seen)
        first = started and seen and seen <= started + FIRST_POLL_SLACK
        burst = old_per_poll[(record.source, record.first_seen)] >= BACKLOG_BURST
        if seen and (first or burst) and old(record, seen):
            held[record.source] += 1
            continue
        kept.append(record)
    return kept, dict(held)


def held_back_list(held: dict[str, int], states: list[FeedState], names: dict[str, str]) -> list[dict]:
    """The template's "held back" entries: feed id, outlet name, count."""
    by_state = {s.feed_id: s.name for s in states if s.name}
    return [{"feed_id": fid, "name": by_state.get(fid) or names.get(fid) or fid, "count": n}
            for fid, n in sorted(held.items())]


SUBJECT_HEADLINE = 80  # characters of the top story's headline in the subject


def subject_for(day, count: int, top: str | None = None, all_failed: bool = False) -> str:
    """"newswatch digest D: 5 stories — <top headline>"; says so when no feed could be reached."""
    subject = f"newswatch digest {day.isoformat()}: {count} {'story' if count == 1 else 'stories'}"
    if not count and all_failed:
        return f"newswatch digest {day.isoformat()}: no feed could be reached"
    headline = " ".join((top or "").split())
    if headline:
        if len(headline) > SUBJECT_HEADLINE:
            headline = headline[:SUBJECT_HEADLINE].rsplit(" ", 1)[0].rstrip(",;:-—") + "…"
        subject += f" — {headline}"
    return subject
