"""The daily digest: window, stories, rendering, archive and send-once, against a real SMTP server.

Fixture records (tests/data/digest/records) describe one Tbilisi day, 2026-11-21 (UTC+4):
a story carried by four outlets (two cluster members and a duplicate), one by two outlets
(plus the same outlet's Russian feed), three single stories, an irrelevant record, and
records just outside the local day on either side.
"""

from __future__ import annotations

import email
import json
from collections import defaultdict
from datetime import date, datetime, timezone
from email import policy
from html.parser import HTMLParser
from pathlib import Path

import pytest

from config.settings import Settings
from extractors.errors import ConfigError
from extractors.records import ArticleRecord
from flows.digest import default_day, prepare_digest, run_digest
from flows.digest_content import feed_health, lead_of, load_feeds, safe_link, split_sentences
from storage import layout
from storage.articles import ArticleStore, ManifestLine
from storage.local import LocalStore
from storage.state import FeedState

DATA = Path(__file__).resolve().parent / "data" / "digest"
NOW = datetime(2026, 11, 22, 7, 0, tzinfo=timezone.utc)  # the morning after, when the digest runs
DAY = date(2026, 11, 21)
TOP_SUBJECT = "newswatch digest 2026-11-21: 5 stories — Georgian parliament adopts amendments to the electoral code"  # the top story's headline in the subject


def load_fixture_store(root: Path) -> LocalStore:
    """Records as a poll would leave them: record objects, one manifest per UTC day, feed state."""
    store = LocalStore(root)
    articles = ArticleStore(store)
    by_day: dict[str, list[ManifestLine]] = defaultdict(list)
    for path in sorted((DATA / "records").glob("*.json")):
        record = ArticleRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
        key, _created = articles.put_article(record)
        status = "duplicate" if record.duplicate_of else ("stored" if record.caucasus["relevant"] else "irrelevant")
        by_day[record.first_seen[:10]].append(ManifestLine.from_record(record, key, status))
    for day, lines in by_day.items():
        articles.write_manifest("20261122T000000Z-test", day, lines)
    for state in json.loads((DATA / "feed_states.json").read_text(encoding="utf-8")):
        store.put_json(layout.feed_state_key(state["feed_id"]), state)
    return store


def digest_settings(smtp=None, **overrides) -> Settings:
    values = dict(timezone="Asia/Tbilisi", feeds_file=DATA / "feeds.yaml", digest_from="newswatch@example.org",
                  digest_to=["desk@example.org"], smtp_host="127.0.0.1", smtp_port=9, smtp_timeout_seconds=10)
    if smtp is not None:
        values.update(smtp_host=smtp.host, smtp_port=smtp.port)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def store(tmp_path):
    return load_fixture_store(tmp_path / "store")


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def parts(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href is not None:
            self.links.append((self._href, data.strip()))
            self._href = None


def _tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


# Sending ---------------------------------------------------------------------------------------


def test_digest_reaches_smtp_server_as_text_and_html_alternatives(store, smtp_server):
    result = run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW)

    assert result.status == "sent" and result.stories == 5
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received.rcpt_tos == ["desk@example.org"] and received.mail_from == "newswatch@example.org"
    message = parse(received.data)
    assert message.get_content_type() == "multipart/alternative"
    assert list(parts(message)) == ["text/plain", "text/html"]
    assert message["Subject"] == TOP_SUBJECT
    assert message["Message-ID"] == result.message_id
    assert message["Date"] and message["To"] == "desk@example.org"


def test_to_overrides_configured_recipients(store, smtp_server):
    result = run_digest(store.uri, DAY, to=["a@example.org", "b@example.org"],
                        settings=digest_settings(smtp_server), now=NOW)

    assert result.recipients == ["a@example.org", "b@example.org"]
    assert smtp_server.messages[0].rcpt_tos == ["a@example.org", "b@example.org"]


def test_stories_ranked_by_outlets_and_grouped_by_country(store, smtp_server):
    run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW)
    text = parts(parse(smtp_server.messages[0].data))["text/plain"]

    order = ["== Georgia ==", "Georgian parliament adopts", "4 sources",
             "== Armenia ==", "Հայաստանը և Ադրբեջանը", "2 sources", "Gyumri launches",
             "== Azerbaijan ==", "Baku hosts", "== Other sources ==", "Chechen activist"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "Atlanta" not in text  # not about the Caucasus
    # Selected by first_seen: a 2025 publication date found on the day is news of the day.
    assert "APA | Azerbaijani | 2025-03-01" in text


def test_also_reported_by_links_other_outlets_and_duplicates(store, smtp_server):
    run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW)
    html = parts(parse(smtp_server.messages[0].data))["text/html"]
    links = _tags(html).links

    assert ("https://civil.ge/archives/700101", "Georgian parliament adopts amendments to the electoral code") in links
    assert ("https://www.interpressnews.ge/ka/article/800202", "InterPressNews") in links  # cluster member
    assert ("https://eurasianet.org/georgia-electoral-code-vote", "Eurasianet") in links  # cluster member
    assert ("https://oc-media.org/georgian-parliament-adopts-electoral-amendments/", "OC Media") in links  # duplicate
    assert ("https://news.am/eng/news/900303.html", "News.am") in links
    # The same outlet's Russian feed is not "another source"; nor is a same-source duplicate.
    assert not any("rus.azatutyun.am" in href for href, _ in links)
    assert not any("amp=1" in href for href, _ in links)


def test_script_in_a_title_arrives_as_text(store, smtp_server):
    run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW)
    content = parts(parse(smtp_server.messages[0].data))
    html = content["text/html"]

    assert "script" not in _tags(html).tags
    assert "Baku hosts &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; regional energy forum" in html
    assert 'Baku hosts <script>alert("x")</script> & regional energy forum' in content["text/plain"]


def test_feed_health_footer_names_blocked_failed_and_silent_feeds(store, smtp_server):
    run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW)
    text = parts(parse(smtp_server.messages[0].data))["text/plain"]
    footer = text[text.index("Feed health:"):]

    assert "blocked: APA" in footer and "blocked: Azatutyun (Armenian)" in footer  # 403, and 429
    assert "failed: InterPressNews - site did not answer in time, 4 polls in a row" in footer  # words, not errno
    assert "blocked: APA - blocked by the site (403), 2 polls in a row" in footer
    assert "blocked: Azatutyun (Armenian) - blocked by the site: too many requests (429)" in footer
    assert "Last successful poll: 2026-11-22 06:45 UTC (Civil.ge)." in footer
    assert "silent: Eurasianet - no new entry since 2026-11-10" in footer
    assert "silent: OC Media - no new entry yet" in footer
    problems = footer[: footer.index("Last successful poll")]
    assert "Civil.ge" not in problems and "News.am" not in problems and "retired-feed" not in problems


def test_rerun_sends_nothing(store, smtp_server):
    settings = digest_settings(smtp_server)
    first = run_digest(store.uri, DAY, settings=settings, now=NOW)
    second = run_digest(store.uri, DAY, settings=settings, now=NOW)

    assert len(smtp_server.messages) == 1
    assert second.status == "already-sent"
    assert second.message_id == first.message_id and second.recipients == ["desk@example.org"]


def test_sent_digest_is_archived_with_what_was_sent(store, smtp_server):
    result = run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW)
    prefix = "digests/2026-11-21/"

    assert sorted(store.list(prefix)) == [prefix + name for name in
                                          ("claim.json", "digest.eml", "digest.html", "digest.json", "digest.txt")]
    sent = store.get_json(prefix + "digest.json")
    assert sent["message_id"] == result.message_id and sent["to"] == ["desk@example.org"]
    assert sent["story_ids"] == ["a1", "b1", "c1", "g1", "o1"]
    assert sent["subject"] == TOP_SUBJECT
    assert store.get(prefix + "digest.eml") == smtp_server.messages[0].data.replace(b"\r\n", b"\n")


# The window ------------------------------------------------------------------------------------


def _headlines(store, day, settings):
    return prepare_digest(store, day, recipients=[], settings=settings, now=NOW).article_ids()


def test_article_at_2330_utc_belongs_to_the_next_local_day_in_tbilisi(store):
    settings = digest_settings()

    assert _headlines(store, DAY, settings) == ["a1", "b1", "c1", "g1", "o1"]
    # 2026-11-21T23:30Z is 03:30 on the 22nd in Tbilisi; 2026-11-20T19:30Z is 23:30 on the 20th.
    assert _headlines(store, date(2026, 11, 22), settings) == ["f1"]
    assert _headlines(store, date(2026, 11, 20), settings) == ["e1"]
    # b1 (2026-11-20T21:15Z, 01:15 local on the 21st) came from the UTC 20th's manifest.


def test_utc_day_is_the_window_when_no_time_zone_is_set(store):
    headlines = _headlines(store, DAY, digest_settings(timezone="UTC"))

    assert "f1" in headlines and "e1" not in headlines
    assert "b1" not in headlines and "b2" in headlines  # the story keeps its members inside the day


class _Spy(LocalStore):
    def __init__(self, root):
        super().__init__(root)
        self.listed: list[str] = []
        self.read: list[str] = []

    def list(self, prefix=""):
        self.listed.append(prefix)
        return super().list(prefix)

    def get(self, key):
        self.read.append(key)
        return super().get(key)


def test_only_the_two_utc_days_manifests_are_read(store):
    spy = _Spy(store.root)
    prepare_digest(spy, DAY, recipients=[], settings=digest_settings(), now=NOW)

    manifest_prefixes = [p for p in spy.listed if p.startswith("manifests/")]
    assert manifest_prefixes == ["manifests/2026/11/20/", "manifests/2026/11/21/"]
    assert not any(p in ("", "articles/", "seeds/") for p in spy.listed)
    # Lines already outside the window are not even opened.
    assert not any(key.endswith(("/e1.json", "/f1.json")) for key in spy.read)


def test_default_day_is_yesterday_in_the_configured_time_zone():
    late_evening_utc = datetime(2026, 11, 21, 22, 0, tzinfo=timezone.utc)  # already the 22nd in Tbilisi

    assert default_day(digest_settings(), late_evening_utc) == date(2026, 11, 21)
    assert default_day(digest_settings(timezone="UTC"), late_evening_utc) == date(2026, 11, 20)


def test_unknown_time_zone_is_refused_by_the_settings(store, monkeypatch):
    from config.settings import get_settings

    monkeypatch.setenv("NEWSWATCH_TIMEZONE", "Mars/Olympus")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        get_settings()


# Dry run and empty days ------------------------------------------------------------------------


def test_dry_run_writes_three_files_and_neither_sends_nor_claims(store, smtp_server, tmp_path):
    out = tmp_path / "preview"
    result = run_digest(store.uri, DAY, dry_run=True, out_dir=out, settings=digest_settings(smtp_server), now=NOW)

    assert result.status == "dry-run" and result.stories == 5
    assert sorted(p.name for p in out.iterdir()) == ["digest-2026-11-21.eml", "digest-2026-11-21.html",
                                                    "digest-2026-11-21.txt"]
    assert parse((out / "digest-2026-11-21.eml").read_bytes())["Subject"] == TOP_SUBJECT
    assert smtp_server.messages == [] and list(store.list("digests/")) == []
    # The real send afterwards is not blocked by the preview.
    assert run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW).status == "sent"


def test_empty_day_sends_a_short_nothing_new_message(store, smtp_server):
    result = run_digest(store.uri, date(2026, 11, 25), settings=digest_settings(smtp_server), now=NOW)
    message = parse(smtp_server.messages[0].data)

    assert result.status == "sent" and result.stories == 0
    assert message["Subject"] == "newswatch digest 2026-11-25: 0 stories"
    assert "Nothing new about the Caucasus" in parts(message)["text/plain"]


def test_empty_day_is_skipped_when_send_empty_is_off(store, smtp_server):
    settings = digest_settings(smtp_server, digest_send_empty=False)
    result = run_digest(store.uri, date(2026, 11, 25), settings=settings, now=NOW)

    assert result.status == "empty-skipped"
    assert smtp_server.messages == [] and list(store.list("digests/")) == []


def test_no_recipients_is_a_config_error(store):
    with pytest.raises(ConfigError):
        run_digest(store.uri, DAY, settings=digest_settings(digest_to=[]), now=NOW)


# Content rules ---------------------------------------------------------------------------------


def test_lead_skips_a_repeated_title_and_keeps_initials_and_titles_inside_sentences():
    text = ("Parliament passes the budget\nThe U.S. embassy and Dr. Smith welcomed the vote. "
            "J. R. Doe abstained. The law takes effect in January. It runs to 300 pages.")

    lead = lead_of(text, "Parliament passes the budget")

    assert lead == "The U.S. embassy and Dr. Smith welcomed the vote. J. R. Doe abstained. The law takes effect in January."


def test_sentences_split_in_georgian_which_has_no_capitals():
    text = "პარლამენტმა კანონი მიიღო. ოპოზიცია არ მონაწილეობდა. ცვლილებები ძალაში შევა."

    assert len(split_sentences(text)) == 3


def test_armenian_colon_ends_a_sentence_only_in_armenian_text():
    armenian = "Կառավարությունը հաստատել է բյուջեն: Նիստը տևել է երկու ժամ: Որոշումն ուժի մեջ է մտնում հունվարին:"
    english = "The minister said: We will act. Nothing else was said."

    assert lead_of(armenian, sentences=2) == "Կառավարությունը հաստատել է բյուջեն: Նիստը տևել է երկու ժամ:"
    assert split_sentences(english) == ["The minister said: We will act.", "Nothing else was said."]


def test_long_lead_is_cut_at_a_word():
    text = " ".join(["word"] * 400) + "."

    lead = lead_of(text)

    assert len(lead) <= 602 and lead.endswith(" …")


def test_only_http_links_become_hrefs():
    assert safe_link("https://civil.ge/a") == "https://civil.ge/a"
    assert safe_link("javascript:alert(1)") is None
    assert safe_link("data:text/html;base64,AAAA") is None
    assert safe_link("") is None


def test_feed_health_reports_one_problem_per_feed_most_serious_first():
    polled = "2026-11-22T06:45:00+00:00"
    states = [FeedState(feed_id="x", last_outcome="failed", last_status=429, last_error="HTTP 429", last_polled=polled),
              FeedState(feed_id="y", last_outcome="ok", last_new_entry="2026-11-21T00:00:00+00:00", last_polled=polled),
              FeedState(feed_id="z", last_outcome="ok", last_new_entry="2026-11-18T06:00:00+00:00", last_polled=polled)]

    report = feed_health(states, {}, now=NOW, silent_days=3)

    assert [(h.feed_id, h.problem) for h in report] == [("x", "blocked"), ("z", "silent")]


def test_missing_feed_list_means_no_country_sections(tmp_path):
    assert load_feeds(tmp_path / "absent.yaml") == {}
    bad = tmp_path / "bad.yaml"
    bad.write_text("feeds: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_feeds(bad)


# The command line --------------------------------------------------------------------------------


def test_cli_dry_run_previews_without_prefect(store, tmp_path):
    import os
    import subprocess
    import sys

    out = tmp_path / "out"
    script = ("import sys; from flows.cli import main; code = main(sys.argv[1:]); "
              "print('prefect imported' if 'prefect' in sys.modules else 'no prefect', file=sys.stderr); sys.exit(code)")
    env = {**os.environ, "NEWSWATCH_TIMEZONE": "Asia/Tbilisi", "NEWSWATCH_FEEDS_FILE": str(DATA / "feeds.yaml")}
    args = [sys.executable, "-c", script, "digest", "--store", str(store.root), "--date", "2026-11-21", "--dry-run"]
    repo = Path(__file__).resolve().parents[1]

    preview = subprocess.run(args, capture_output=True, text=True, env=env, cwd=repo, timeout=60)
    written = subprocess.run(args + ["--out", str(out), "--format", "json"], capture_output=True, text=True,
                             env=env, cwd=repo, timeout=60)
    misuse = subprocess.run(args[:-1] + ["--out", str(out)], capture_output=True, text=True, env=env, cwd=repo,
                            timeout=60)

    assert preview.returncode == 0 and "no prefect" in preview.stderr
    assert preview.stdout.startswith("Subject: newswatch digest 2026-11-21: 5 stories")
    assert json.loads(written.stdout)["status"] == "dry-run" and len(list(out.iterdir())) == 3
    assert misuse.returncode == 2 and "--out only goes with --dry-run" in misuse.stderr
    assert list(store.list("digests/")) == []


def test_a_feed_dropped_from_the_list_keeps_the_name_and_country_it_was_polled_with(tmp_path):
    import yaml

    store = load_fixture_store(tmp_path / "store")
    listed = yaml.safe_load((DATA / "feeds.yaml").read_text(encoding="utf-8"))["feeds"]
    for feed in listed:  # the poll records each feed's entry in its state (storage.state.FeedState)
        key = layout.feed_state_key(feed["id"])
        if store.exists(key):
            state = store.get_json(key)
            store.put_json(key, {**state, "name": feed["name"], "country": feed.get("country"),
                                 "language": feed.get("language")})
    shrunk = tmp_path / "feeds.yaml"  # the user has since trimmed the list to one feed
    shrunk.write_text(yaml.safe_dump({"feeds": [listed[-1]]}), encoding="utf-8")
    text = prepare_digest(store, DAY, recipients=[], settings=digest_settings(feeds_file=shrunk), now=NOW).text
    assert "Civil.ge" in text and "civilge" not in text.split("-- \n")[0]
    assert "== Georgia ==" in text


def test_a_story_links_the_articles_own_address_not_the_aggregator_link_the_feed_gave():
    from extractors.records import ArticleRecord
    from flows.digest_content import _address

    via = ArticleRecord(id="gn", url="https://news.example.com/rss/articles/CBMiAAA1", source="agg", title="Talks resume",
                        canonical_url="https://oc.example.ge/2026/12/talks-resume", author="", published=None,
                        first_seen="2026-12-03T10:00:00+00:00", language="en", text="Talks resumed in Tbilisi.",
                        caucasus={"relevant": True}, content_hash="gn")
    assert _address(via) == "https://oc.example.ge/2026/12/talks-resume"
    assert _address(ArticleRecord(**{**via.__dict__, "canonical_url": ""})) == via.url  # no canonical: the feed's link
