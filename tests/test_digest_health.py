"""The digest's footer reads the feeds' state in the store and says what is wrong in words; the
subject carries the top headline; a new feed's first poll does not fill the day with its backlog."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

from config.settings import Settings
from extractors.records import ArticleRecord
from flows.digest import prepare_digest, subject_for
from flows.digest_health import feed_report, hold_back_backlog, reason_in_words
from flows.pipeline import PollOptions, load_feeds
from flows.poll import run_poll
from storage.local import LocalStore
from storage.state import FeedState, load_all_feed_states, load_feed_state, save_feed_state

NOW = datetime(2026, 11, 22, 7, 0, tzinfo=timezone.utc)
POLLED = "2026-11-22T06:45:00+00:00"


def state(feed_id, outcome="ok", **fields) -> FeedState:
    fields.setdefault("last_polled", POLLED)
    fields.setdefault("last_new_entry", "2026-11-21T10:00:00+00:00")
    return FeedState(feed_id=feed_id, last_outcome=outcome, **fields)


def test_reasons_are_words_not_errno_strings():
    cases = {
        ("connect", "connection failed: [Errno -2] Name or service not known", None): "site unreachable (name not found)",
        ("connect", "connection failed: [Errno 111] Connection refused", None): "site unreachable",
        ("bad-response", "bad response: the body could not be decoded (Error -3 while decompressing data: "
                         "invalid block type)", 200): "site sent a broken answer",
        ("timeout", "timed out after 20 s", None): "site did not answer in time",
        ("http", "HTTP 404", 404): "feed gone (404)",
        ("http", "HTTP 410", 410): "feed gone (410)",
        ("http", "HTTP 404; the site's front page names a feed at https://e.ge/feed/", 404):
            "feed gone (404); the site names its feed at https://e.ge/feed/",
        ("blocked", "HTTP 403 (blocked)", 403): "blocked by the site (403)",
        ("http", "HTTP 429", 429): "blocked by the site: too many requests (429)",
        ("blocked", "HTTP 429 (blocked)", 429): "blocked by the site: too many requests (429)",
        ("http", "HTTP 401", 401): "needs a login (401): give the feed's URL as https://user:password@host/…",
        ("http", "HTTP 451", 451): "unavailable for legal reasons (451)",
        ("http", "HTTP 503", 503): "site error (503)",
        ("bad-feed", "not a feed: syntax error at line 1", None): "not a readable feed",
        ("bad-feed", "not a feed: the URL returned an HTML page, which names a feed at https://e.am/feed/", None):
            "a web page, not a feed; it names its feed at https://e.am/feed/",
        # our own store, not the site: never "could not be read" (the site was fine)
        ("store", "cannot write /srv/nw/raw/2026/12/03/x.html.gz: the disk is full", None):
            "newswatch's store failed (the disk is full)",
        ("store", 's3://b/x (endpoint http://s3.local:9000): cannot put object x/state/j.json: Connection was closed '
                  'before we received a valid response from endpoint URL: "http://s3.local:9000/b/x/state/j.json".', None):
            "newswatch's store failed (see the poll's log)",
    }
    for (reason, message, status), words in cases.items():
        assert reason_in_words(FeedState("f", last_error=f"{reason}: {message}", last_status=status)) == words
    # Older states stored the message alone (and sometimes no status).
    assert reason_in_words(FeedState("f", last_error="HTTP 404 Not Found")) == "feed gone (404)"
    assert "Errno" not in reason_in_words(FeedState("f", last_error="[Errno -3] Temporary failure in name resolution"))


def test_every_polled_feed_is_reported_whatever_the_feed_list_says():
    states = [state("listed"), state("unlisted", "failed", last_error="http: HTTP 404", last_status=404)]
    report = feed_report(states, {"listed": "Listed Outlet"}, now=NOW, silent_days=3)
    assert [(p.feed_id, p.problem, p.detail) for p in report.problems] == [("unlisted", "failed", "feed gone (404)")]
    assert not report.all_failed and report.last_success == ""


def test_a_feed_not_polled_lately_is_retired_and_a_stopped_poller_is_news():
    old = "2026-11-01T06:45:00+00:00"
    report = feed_report([state("live"), state("retired", "failed", last_polled=old, last_error="HTTP 404")],
                         {}, now=NOW, silent_days=3)
    assert report.problems == [] and report.summary == ""
    stopped = feed_report([state("a", last_polled=old, last_ok=old), state("b", last_polled=old)], {}, now=NOW,
                          silent_days=3)
    assert stopped.summary == "No feed has been polled since 2026-11-01 06:45 UTC: is the poll schedule running?"
    assert stopped.last_success == "2026-11-01 06:45 UTC (a)"
    assert feed_report([], {}, now=NOW, silent_days=3).summary == "No feed has been polled yet."


def store_with(tmp_path, states) -> LocalStore:
    store = LocalStore(tmp_path / "store")
    for s in states:
        save_feed_state(store, s)
    return store


def settings_for(tmp_path) -> Settings:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - {id: a, name: Outlet A, url: 'https://a.example/feed'}\n", encoding="utf-8")
    return Settings(store=str(tmp_path / "store"), feeds_file=feeds)


def test_when_every_feed_failed_the_digest_says_so_in_one_line(tmp_path):
    last_ok = "2026-11-20T06:45:00+00:00"
    states = [state("a", "failed", name="Outlet A", last_error="connect: [Errno 111] Connection refused",
                    consecutive_failures=90, last_ok=last_ok),
              state("b", "failed", name="Outlet B", last_error="connect: [Errno -2] Name or service not known"),
              state("c", "blocked", name="Outlet C", last_error="blocked: HTTP 403 (blocked)", last_status=403)]
    digest = prepare_digest(store_with(tmp_path, states), NOW.date() - timedelta(days=1), recipients=[],
                            settings=settings_for(tmp_path), now=NOW)
    text = digest.text
    assert "No feed could be reached since 2026-11-20 06:45 UTC (3 feeds: " in text
    assert "site unreachable" in text and "blocked by the site (403)" in text
    assert "Nothing new" not in text and "nothing new" not in text
    assert "No articles could be collected for 2026-11-21: no feed could be reached." in text
    assert "All feeds healthy" not in text and "Feed health:" not in text  # one line, not a list of three
    assert "Last successful poll: 2026-11-20 06:45 UTC (Outlet A)." in text
    assert digest.subject == "newswatch digest 2026-11-21: no feed could be reached"
    assert "No feed could be reached since" in digest.html and "Nothing new" not in digest.html


def test_never_all_feeds_healthy_when_one_failed(tmp_path):
    states = [state("a", name="Outlet A", last_ok=POLLED),
              state("gone", "failed", name="Gone Outlet", last_error="http: HTTP 404", last_status=404)]
    text = prepare_digest(store_with(tmp_path, states), NOW.date() - timedelta(days=1), recipients=[],
                          settings=settings_for(tmp_path), now=NOW).text
    assert "All feeds healthy" not in text
    assert "failed: Gone Outlet - feed gone (404)" in text  # not in the feed list: reported all the same
    assert "Nothing new about the Caucasus was found on 2026-11-21." in text


def test_subject_carries_the_top_headline_shortened_at_a_word():
    day = NOW.date()
    assert subject_for(day, 1, "Talks resume") == "newswatch digest 2026-11-22: 1 story — Talks resume"
    long = "Armenia and Azerbaijan border commissions hold a new round of delimitation talks in the village of Mosesgekh"
    subject = subject_for(day, 3, long)
    assert subject == ("newswatch digest 2026-11-22: 3 stories — "
                       "Armenia and Azerbaijan border commissions hold a new round of delimitation…")
    assert subject_for(day, 0) == "newswatch digest 2026-11-22: 0 stories"


def record(record_id, source, first_seen, published) -> ArticleRecord:
    return ArticleRecord(id=record_id, url=f"https://e.org/{record_id}", canonical_url="", source=source, title=record_id,
                         author="", published=published, first_seen=first_seen, language="en", text="x",
                         caucasus={"relevant": True}, content_hash=record_id)


def test_the_backlog_of_a_new_feeds_first_poll_is_held_back_and_later_polls_are_not():
    first = "2026-11-21T09:00:00+00:00"
    states = [FeedState("new", first_ok=first), FeedState("old")]
    records = [record("old-item", "new", first, "2026-10-01T00:00:00+00:00"),
               record("undated", "new", first, None),
               record("fresh", "new", first, "2026-11-21T07:00:00+00:00"),  # published hours before: today's news
               record("next-poll", "new", "2026-11-21T09:15:00+00:00", "2026-10-01T00:00:00+00:00"),
               record("established", "old", first, "2026-10-01T00:00:00+00:00")]
    kept, held = hold_back_backlog(records, states)
    assert [r.id for r in kept] == ["fresh", "next-poll", "established"] and held == {"new": 2}


def test_a_real_first_poll_marks_the_feed_new_and_its_backlog_stays_out_of_the_digest(site, site_feeds, tmp_path):
    settings = Settings(allow_private_hosts=True, task_retry_delays=[0, 0, 0], store=str(tmp_path / "store"),
                        feeds_file=site_feeds)
    summary = run_poll(settings.store, load_feeds(site_feeds), PollOptions(), settings)
    store = LocalStore(tmp_path / "store")
    states = {s.feed_id: s for s in load_all_feed_states(store)}
    polled_ok = [s for s in states.values() if s.last_ok]
    assert polled_ok and all(s.first_ok and s.name for s in polled_ok)
    first_ok = {s.first_ok for s in polled_ok}
    run_poll(settings.store, load_feeds(site_feeds), PollOptions(), settings)  # a second poll keeps the mark
    assert {load_feed_state(store, s.feed_id).first_ok for s in polled_ok} == first_ok
    day = datetime.fromisoformat(next(iter(first_ok))).date()
    digest = prepare_digest(store, day, recipients=[], settings=settings, now=datetime.now(timezone.utc))
    # The fixture site's entries are weeks old: every story of the first poll is backlog.
    assert summary.totals["stored"] > 0 and digest.stories == []
    assert "Held back: " in digest.text and "older items that feeds listed all at once, in a new feed's first poll" in digest.text
    assert f"newswatch articles --since {day}" in digest.text


def test_a_later_poll_that_relists_a_feeds_archive_is_held_back_but_one_late_item_is_not():
    first, later, other = "2026-11-01T09:00:00+00:00", "2026-11-21T09:00:00+00:00", "2026-11-21T12:00:00+00:00"
    states = [FeedState("moved", first_ok=first)]
    archive = [record(f"old-{i}", "moved", later, f"2026-10-{i + 1:02d}T08:00:00+00:00") for i in range(12)]
    news = [record("fresh", "moved", later, "2026-11-21T07:00:00+00:00"),
            record("late", "moved", other, "2026-11-15T07:00:00+00:00")]  # one old item on another poll
    kept, held = hold_back_backlog(archive + news, states)
    assert [r.id for r in kept] == ["fresh", "late"] and held == {"moved": 12}


def test_a_private_address_refused_by_our_rule_is_not_called_unreachable():
    error = ("private-address: connection failed: 127.0.0.1 is a private address (refused); "
             "set NEWSWATCH_ALLOW_PRIVATE_HOSTS=true to allow")
    words = reason_in_words(FeedState("f", last_error=error))
    assert words.startswith("feed address not allowed") and "NEWSWATCH_ALLOW_PRIVATE_HOSTS" in words


def test_a_feed_added_lately_that_brought_nothing_new_is_not_yet_silent():
    fresh = state("fresh", last_new_entry=None, first_ok=(NOW - timedelta(hours=2)).isoformat())
    old = state("old", last_new_entry=None, first_ok=(NOW - timedelta(days=9)).isoformat())
    report = feed_report([fresh, old], {}, now=NOW, silent_days=3)
    assert [(p.feed_id, p.problem) for p in report.problems] == [("old", "silent")]
