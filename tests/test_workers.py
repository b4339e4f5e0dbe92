"""Extraction on every core: the poll's records are the same with a process pool as in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings
from extractors.errors import ConfigError
from flows.pipeline import PollOptions, load_feeds
from flows.poll import run_poll
from flows.rebuild import PageMeta
from flows.workers import ExtractionPool, build, job_for
from storage.articles import ArticleStore
from storage.local import LocalStore
from tests.test_poll import expected_stored

DATA = Path(__file__).resolve().parent / "data"
NOW_ISO = "2026-11-22T08:00:00+00:00"


# What extraction, language and relevance produce: the fields a process pool could change. Which
# feed gets the credit for a link two feeds share (source), and so which copy is the original of a
# syndicated pair, depends on thread timing in both runs (tests/data/site/EXPECTED.md), not on the pool.
EXTRACTED_FIELDS = ("url", "canonical_url", "title", "author", "published", "published_source", "language",
                    "language_confidence", "language_method", "text", "caucasus", "content_hash", "extractor")


def stored(store: Path) -> dict[str, dict]:
    return {r.id: {name: r.to_dict()[name] for name in EXTRACTED_FIELDS}
            for _k, r in ArticleStore(LocalStore(store)).all_articles() if r.source != "seed"}


@pytest.mark.slow
def test_a_poll_with_two_worker_processes_stores_what_one_process_stores(site, site_feeds, tmp_path):
    feeds = load_feeds(site_feeds)
    one = run_poll(str(tmp_path / "one"), feeds, PollOptions(), Settings(allow_private_hosts=True, workers=1))
    two = run_poll(str(tmp_path / "two"), feeds, PollOptions(), Settings(allow_private_hosts=True, workers=2))
    assert one.totals["stored"] == two.totals["stored"] and len(stored(tmp_path / "two")) == expected_stored()
    assert stored(tmp_path / "one") == stored(tmp_path / "two")


def page_job(body: bytes, link: str = "https://example.org/news/1.html"):
    meta = PageMeta(feed_id="f", link=link, polled_at=NOW_ISO, final_url=link, content_type="text/html; charset=utf-8")
    from datetime import datetime

    return job_for(body, meta, frozenset(), datetime.fromisoformat(NOW_ISO))


def test_a_page_with_no_article_is_a_flagged_record_with_its_reason_not_an_exception():
    done = build(page_job(b"<html><body></body></html>"), gazetteer=None)
    assert done.error and done.record is not None and done.record.text == ""
    assert not done.record.caucasus.get("relevant")


@pytest.mark.slow
def test_worker_processes_load_the_gazetteer_once_and_give_the_in_process_answer():
    body = sorted((DATA / "pages").rglob("*.html"))[0].read_bytes()
    from extractors.gazetteer import load_gazetteer

    settings = Settings(workers=2)
    pool = ExtractionPool(2, settings.topics_file, lambda: load_gazetteer(settings.topics_file))
    try:
        jobs = [page_job(body, f"https://example.org/news/{n}.html") for n in range(4)]
        in_pool = pool.build_many(jobs)
        alone = [build(job, load_gazetteer(settings.topics_file)) for job in jobs]
        assert in_pool == alone
    finally:
        pool.close()


@pytest.mark.parametrize("value, expected", [("1", 1), ("3", 3)])
def test_workers_setting_is_read_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("NEWSWATCH_WORKERS", value)
    assert Settings().workers == expected


def test_workers_default_to_the_cpu_count_and_refuse_nonsense(monkeypatch):
    monkeypatch.delenv("NEWSWATCH_WORKERS", raising=False)
    assert Settings().workers >= 1
    from config.settings import settings_with

    with pytest.raises(ConfigError, match="NEWSWATCH_WORKERS"):
        settings_with(workers=-2)



@pytest.mark.slow
def test_a_page_that_kills_its_worker_is_skipped_and_the_run_and_the_other_pages_go_on():
    """A page whose extraction gets its process killed (here by a CPU limit, as the OOM killer would
    on a page that exhausts memory) must not be built in the poll's own process: it would take the
    whole run down, on every rerun. The pages the broken pool held are built one at a time apart."""
    import json

    done = run_poison_page_script()
    assert done.returncode == 0, done.stderr[-2000:]  # the calling process was never killed
    pages = {page["link"]: page for page in json.loads(done.stdout.strip().splitlines()[-1])["pages"]}
    poison = pages.pop("https://example.org/news/poison.html")
    assert not poison["record"] and "killed its worker process" in poison["error"]
    assert all(page["record"] for page in pages.values()) and len(pages) == 12
    assert "killed its worker process twice" in done.stderr and "Traceback" not in done.stderr

    # the same page as its batch's only one (a quiet poll): too large to be built in-process
    done = run_poison_page_script("alone")
    assert done.returncode == 0, done.stderr[-2000:]
    [poison] = json.loads(done.stdout.strip().splitlines()[-1])["pages"]
    assert not poison["record"] and "killed its worker process" in poison["error"]


@pytest.mark.slow
def test_when_worker_processes_cannot_start_every_page_is_built_in_the_calling_process():
    """A served deployment put flows/ on the path, whose http.py shadowed the standard library's in
    the workers: none could start. The run must not skip pages as if each had killed its worker."""
    import json

    done = run_poison_page_script("shadowed")
    assert done.returncode == 0, done.stderr[-2000:]
    pages = json.loads(done.stdout.strip().splitlines()[-1])["pages"]
    assert len(pages) == 6 and all(page["record"] and not page["error"] for page in pages)
    assert "extraction worker processes cannot start here" in done.stderr


def test_no_module_of_ours_on_a_flow_files_directory_shadows_the_standard_library():
    """Prefect puts a deployment's entrypoint directory (flows/) on the path of the flow run, and the
    worker processes inherit it: flows/http.py once hid the standard library's http package there."""
    import sys

    root = Path(__file__).resolve().parents[1]
    for folder in ("flows", "extractors", "storage", "config"):
        shadows = sorted(p.name for p in (root / folder).glob("*.py") if p.stem in sys.stdlib_module_names)
        if folder == "flows":
            assert shadows == [], shadows
        else:  # not on a run's path (no entrypoint there); listed so that a new one is a decision
            assert shadows in ([], ["html.py"], ["copy.py"]), (folder, shadows)


def run_poison_page_script(*args: str):
    """tests/poison_page_run.py in a fresh interpreter (its CPU limit and path must not touch this one)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, str(root / "tests" / "poison_page_run.py"), *args], capture_output=True,
                          text=True, timeout=300, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})


@pytest.mark.slow
def test_a_page_that_keeps_its_worker_busy_past_the_bound_is_skipped_and_the_other_pages_are_built():
    """Markup built to make a parser work for minutes (in C, where no signal reaches) must not hold
    the poll: past the pool's bound the workers are stopped, the page is skipped with its reason and
    the pages the pool held are built again apart."""
    from extractors.gazetteer import load_gazetteer

    settings = Settings(workers=2)
    slow = ("<html><body><article>" + "<p>Negotiators from Armenia and Azerbaijan met in Tbilisi again.</p>" * 60_000
            + "</article></body></html>").encode()
    normal = sorted((DATA / "pages").rglob("*.html"))[0].read_bytes()
    pool = ExtractionPool(2, settings.topics_file, lambda: load_gazetteer(settings.topics_file), page_seconds=1.0)
    try:
        jobs = [page_job(slow, "https://example.org/news/slow.html")]
        jobs += [page_job(normal, f"https://example.org/news/{n}.html") for n in range(3)]
        built = pool.build_many(jobs)
    finally:
        pool.close()
    assert not built[0].record and "took longer than 1 s" in built[0].error
    assert all(b.record is not None and b.record.text for b in built[1:])
