"""The command line: one JSON value on stdout with --format json; non-flow commands never import Prefect."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import SEEDS_DIR
from config.settings import Settings
from flows.seeds import import_seeds

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    code = ("import sys; from flows.cli import main; rc = main(sys.argv[1:]); "
            "assert 'prefect' not in sys.modules, 'a non-flow command imported prefect'; sys.exit(rc)")
    return subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True, cwd=REPO, timeout=120)


def test_extract_prints_one_record_per_input_with_language_and_relevance(data_dir):
    seed = SEEDS_DIR / "004_6d5d41b893ce7abd.txt"
    result = run_cli("extract", str(seed), "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    [record] = json.loads(result.stdout)  # always a list, even for one path
    assert record["title"].startswith("The border escalation between Armenia and Azerbaijan")
    assert record["language"] == "en" and record["language_confidence"] > 0.5
    assert record["caucasus"]["relevant"] is True
    assert "View All Result" not in record["text"]


def test_extract_keeps_the_address_a_poll_would_keep_so_the_id_is_the_stores():
    from storage import layout

    page = REPO / "tests" / "data" / "probe10" / "az_flash_page.html"
    result = run_cli("extract", str(page), "--url", "https://example.az/x?utm_source=fb&fbclid=1", "--format", "json")
    [record] = json.loads(result.stdout)
    assert record["url"] == "https://example.az/x" and record["id"] == layout.url_key("https://example.az/x")


def test_extract_gives_a_list_for_many_paths_too_and_reads_stdin(data_dir):
    seeds = sorted(SEEDS_DIR.glob("*.txt"))[:2]
    result = run_cli("extract", *map(str, seeds), "--format", "json")
    assert len(json.loads(result.stdout)) == 2
    piped = run_cli("extract", "-", "--format", "json", stdin=seeds[0].read_bytes())
    assert json.loads(piped.stdout)[0]["text"] == json.loads(result.stdout)[0]["text"]


def test_extract_of_an_unreadable_file_is_a_clear_error(tmp_path):
    result = run_cli("extract", str(tmp_path / "missing.html"))
    assert result.returncode == 1 and b"missing.html" in result.stderr


def test_articles_lists_imported_seeds_as_json(tmp_path):
    import_seeds(str(tmp_path), None, Settings())
    result = run_cli("articles", "--store", str(tmp_path), "--all", "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    records = json.loads(result.stdout)
    assert len(records) == 5 and {r["language"] for r in records} == {"en"}
    table = run_cli("articles", "--store", str(tmp_path), "--all")
    assert table.stdout.decode().count("\n") == 6  # header + five rows


def test_compare_reports_duplicate_similarity_and_story(tmp_path):
    seed = (SEEDS_DIR / "002_da9cfaa2d703c577.txt").read_text(encoding="utf-8")
    (tmp_path / "a.txt").write_text(seed, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Republished by another site\n\n" + seed.replace("127 dead", "130 dead"), encoding="utf-8")
    result = run_cli("compare", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--format", "json")
    value = json.loads(result.stdout)
    assert value["duplicate"] is True and value["same_story"] is True and value["similarity"] > 0.8
    other = run_cli("compare", str(tmp_path / "a.txt"), str(SEEDS_DIR / "000_587cedd096f6515b.txt"), "--format", "json")
    assert json.loads(other.stdout)["duplicate"] is False


@pytest.mark.slow
def test_poll_command_prints_one_json_value_and_logs_to_stderr(site, site_feeds, tmp_path):
    env = {**os.environ, "NEWSWATCH_ALLOW_PRIVATE_HOSTS": "true"}
    result = subprocess.run([sys.executable, "-m", "flows.cli", "poll", "--feeds", str(site_feeds), "--store",
                             str(tmp_path), "--format", "json"], capture_output=True, cwd=REPO, env=env, timeout=300)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    summary = json.loads(result.stdout)
    assert summary["totals"]["stored"] == 4 and summary["totals"]["feeds_malformed"] == 1
    assert b"gone.html" in result.stderr  # the 404 is logged, on stderr


def test_unknown_feed_id_is_one_line_and_no_prefect(tmp_path):
    result = run_cli("poll", "--feed", "no-such-feed", "--store", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.decode().strip() == "newswatch: unknown feed id(s): no-such-feed"
