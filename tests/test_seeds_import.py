"""import-seeds: the bundled corpus (or any folder) becomes cleaned records under seeds/, once."""

import json
from pathlib import Path

import pytest

from config import SEEDS_DIR
from config.settings import Settings
from flows.seeds import import_seeds
from storage import open_store
from storage.articles import ArticleStore

EXPECTED = Path(__file__).resolve().parent / "data" / "seeds_expected"


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith(".")}


@pytest.fixture
def imported(tmp_path):
    store = tmp_path / "store"
    summary = import_seeds(str(store), None, Settings())
    return store, summary


def test_five_seeds_become_clean_english_relevant_records(imported):
    store, summary = imported
    assert summary.files == 5 and summary.imported + summary.duplicates == 5 and not summary.skipped
    articles = ArticleStore(open_store(str(store)))
    records = {r.id: r for _k, r in articles.all_articles()}
    assert sorted(records) == sorted(f"seed-{p.stem}" for p in SEEDS_DIR.glob("*.txt"))
    for record in records.values():
        assert record.source == "seed" and record.language == "en"
        assert record.caucasus["relevant"] is True and record.caucasus["terms"]
        stem = record.id.removeprefix("seed-")
        assert record.text == (EXPECTED / f"{stem}.txt").read_text(encoding="utf-8").strip()
        meta = json.loads((EXPECTED / f"{stem}.json").read_text(encoding="utf-8"))
        assert record.title == meta.get("title", "")
        assert record.published == meta.get("published")


def test_seed_records_are_in_the_import_manifest_with_their_raw_text(imported):
    store, summary = imported
    articles = ArticleStore(open_store(str(store)))
    lines = [line for key in articles.store.list("manifests/") for line in articles.read_manifest(key)]
    assert sorted(line.id for line in lines) == sorted(summary.ids)
    record = articles.get_article(lines[0].key)
    assert articles.get_raw(record.raw_key) == (SEEDS_DIR / (record.id.removeprefix("seed-") + ".txt")).read_bytes()


def test_importing_twice_changes_nothing(imported):
    store, _summary = imported
    before = snapshot(store)
    again = import_seeds(str(store), None, Settings())
    assert again.imported == 0 and again.unchanged == 5
    assert snapshot(store) == before


def test_a_folder_with_bad_files_imports_the_good_ones_and_names_the_rest(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "empty.txt").write_text("   \n")
    (folder / "short.txt").write_text("Share\nTweet\n")
    (folder / "report.txt").write_bytes((SEEDS_DIR / "002_da9cfaa2d703c577.txt").read_bytes())
    (folder / "notes.md").write_text("ignored: not .txt or .html")
    summary = import_seeds(str(tmp_path / "store"), folder, Settings())
    assert summary.files == 3 and summary.imported == 1
    assert sorted(s.split(":")[0] for s in summary.skipped) == ["empty.txt", "short.txt"]


def test_a_seed_copied_into_a_second_file_is_a_duplicate_of_the_first(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    text = (SEEDS_DIR / "003_560aef4a53232fc4.txt").read_bytes()
    (folder / "a.txt").write_bytes(text)
    (folder / "b.txt").write_bytes(text.replace(b"Over the past three decades", b"For three decades"))
    summary = import_seeds(str(tmp_path / "store"), folder, Settings())
    assert summary.imported == 1 and summary.duplicates == 1
    records = {r.id: r for _k, r in ArticleStore(open_store(str(tmp_path / "store"))).all_articles()}
    assert records["seed-b"].duplicate_of == "seed-a"
    assert records["seed-b"].cluster == records["seed-a"].cluster
