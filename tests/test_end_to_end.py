"""The bundled demo site end to end: syndicated copies, languages, boilerplate, the digest.

The demo world (config/demo_site/_README.md) carries one wire story on two outlets with
different templates, titles and bylines, pages in Georgian and Russian, an Aze.Media-like
WordPress page full of navigation, and two stories that are not about the Caucasus.
"""

import email
from dataclasses import replace
from datetime import datetime, timezone
from email import policy
from pathlib import Path

import pytest

from config import CONFIG_DIR
from config.settings import Settings
from flows.digest import run_digest
from flows.pipeline import PollOptions, load_feeds
from flows.poll import run_poll
from flows.seeds import import_seeds
from flows.sample_site import SampleSite
from storage.articles import ArticleStore
from storage.local import LocalStore
from storage.state import load_all_feed_states, save_feed_state

DEMO = CONFIG_DIR / "demo_site"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    with SampleSite(DEMO) as site:
        feeds = root / "feeds.yaml"
        feeds.write_text((DEMO / "feeds.yaml").read_text(encoding="utf-8").replace("{base}", site.base), encoding="utf-8")
        summary = run_poll(str(root / "store"), load_feeds(feeds), PollOptions(), Settings(allow_private_hosts=True))
    records = {r.url.split("/", 3)[3]: r for _k, r in ArticleStore(LocalStore(root / "store")).all_articles()}
    return root / "store", summary, records


def test_syndicated_copy_is_one_original_and_a_duplicate_in_one_cluster(demo_store):
    _store, summary, records = demo_store
    wire = records["caucasuswire/en/2026/11/14/armenia-azerbaijan-border-talks.html"]
    copy = records["worlddesk/world/2026/nov/15/armenia-azerbaijan-fresh-border-talks.html"]
    original, duplicate = (wire, copy) if copy.duplicate_of else (copy, wire)
    assert duplicate.duplicate_of == original.id and original.duplicate_of is None
    assert duplicate.cluster == original.cluster
    assert summary.totals["stored"] == 11 and summary.totals["duplicates"] == 1 and summary.totals["irrelevant"] == 2
    others = [r for r in records.values() if r.id not in (wire.id, copy.id)]
    assert all(r.duplicate_of is None for r in others)


def test_languages_of_the_region_come_out_right(demo_store):
    _store, _summary, records = demo_store
    assert records["civilmonitor/ka/news/rustaveli-march-protests-continue.html"].language == "ka"
    assert records["caucasuswire/ru/2026/11/19/verkhny-lars-queues.html"].language == "ru"
    assert records["civilmonitor/news/rustaveli-march-protests-continue.html"].language == "en"


def test_wordpress_navigation_and_share_bars_are_not_in_the_text(demo_store):
    _store, _summary, records = demo_store
    for url, record in records.items():
        if url.startswith("azemedia/"):
            for chrome in ("View All Result", "No Result", "Share6", "Related Posts", "New articles", "© 2022",
                           "Logistics-Transport"):
                assert chrome not in record.text, (url, chrome)
            assert record.title and record.published and record.author.lower() not in ("admin", "")


def test_digest_groups_the_syndicated_story_and_lists_the_other_source(demo_store, tmp_path):
    store, _summary, records = demo_store
    import_seeds(str(store), None, Settings())  # reference material: never in the digest
    today = datetime.now(timezone.utc).date()
    settings = Settings(timezone="UTC", feeds_file=Path(DEMO / "feeds.yaml"))
    # The demo's feeds are polled for the first time, and their pages are days old: a backlog, held back.
    first = run_digest(str(store), today, dry_run=True, out_dir=tmp_path / "first", to=["desk@example.org"],
                       settings=settings)
    assert first.stories == 0
    assert "Held back: 11 older items that feeds listed all at once, in a new feed's first poll" in \
        next((tmp_path / "first").glob("*.txt")).read_text(encoding="utf-8")
    # As feeds polled before (no first poll on record), the same records are the day's stories.
    local = LocalStore(store)
    for state in load_all_feed_states(local):
        save_feed_state(local, replace(state, first_ok=None))
    result = run_digest(str(store), today, dry_run=True, out_dir=tmp_path, to=["desk@example.org"], settings=settings)
    assert result.status == "dry-run" and result.stories == 11  # 12 records, the copy joins its original's story
    message = email.message_from_bytes(next(tmp_path.glob("*.eml")).read_bytes(), policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "also reported by" in text.lower()
    assert str(result.stories) in message["Subject"]
