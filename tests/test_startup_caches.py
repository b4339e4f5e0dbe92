"""What keeps `extract` and `compare` fast: a numpy-free content hash equal to the numpy one, and an
on-disk cache of the compiled gazetteer and langdetect profiles that never serves a stale object."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import SEEDS_DIR
from extractors import compiled_cache
from extractors import content_hash as plain
from extractors.profile_table import ProfileRows, dump_factory, load_factory
from extractors import fingerprint
from tests.test_cli import REPO


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSWATCH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_plain_content_hash_equals_the_numpy_one_on_every_bmp_character_and_the_fixtures(data_dir):
    texts = [p.read_text("utf-8", errors="replace") for p in sorted(data_dir.rglob("*")) if p.is_file()
             and p.suffix in (".txt", ".html", ".xml", ".json")][:300]
    every = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    texts += [f"x {every[i:i + 400]} don’t 😀y\n" for i in range(0, len(every), 400)]
    texts += ["", "   ", "''", "Ǆemal ǅ ß İstanbul ﬁne", "ⅫⅠ ① ½", "a\u0301b  c\n\nd", "日本語のテキスト"]
    for text in texts:
        assert plain.normalise_text(text) == fingerprint.normalise_text(text), text[:60]
        assert plain.content_hash(text) == fingerprint.content_hash(text)


def test_extract_imports_neither_numpy_nor_prefect_and_from_warm_caches_not_yaml(data_dir, cache):
    code = ("import sys; from flows.cli import main; main(['extract', sys.argv[1]]); "
            "assert 'numpy' not in sys.modules and 'prefect' not in sys.modules; print('yaml' in sys.modules)")
    env = {**os.environ, "NEWSWATCH_CACHE_DIR": str(cache)}
    runs = [subprocess.run([sys.executable, "-c", code, str(data_dir / "pages" / "admin_author.html")],
                           capture_output=True, cwd=REPO, timeout=120, env=env) for _ in range(2)]
    assert all(run.returncode == 0 for run in runs), runs[-1].stderr.decode()[-1000:]
    assert [run.stdout.decode().split()[-1] for run in runs] == ["True", "False"]  # compiled, then from the cache


def test_an_edited_layer_is_seen_by_the_running_process_and_the_next(tmp_path, cache):
    from extractors.gazetteer import load_gazetteer

    topics = _gazetteer_copy(tmp_path)
    text = "The Zzyzxpress agency reported on Yerevan."
    assert "Armenian outlet" not in {load_gazetteer(topics).entities[m.entity].name for m in load_gazetteer(topics).find(text)}
    outlets = topics.parent / "outlets.yaml"
    outlets.write_text(outlets.read_text("utf-8").replace("en: [Armenpress,", "en: [Zzyzxpress, Armenpress,", 1), "utf-8")
    found = {load_gazetteer(topics).entities[m.entity].name for m in load_gazetteer(topics).find(text)}
    assert "Armenian outlet" in found
    code = ("import sys; from extractors.gazetteer import load_gazetteer; g = load_gazetteer(sys.argv[1]); "
            "print(sorted({g.entities[m.entity].name for m in g.find(sys.argv[2])}))")
    result = subprocess.run([sys.executable, "-c", code, str(topics), text], capture_output=True, cwd=REPO, timeout=120,
                            env={**os.environ, "NEWSWATCH_CACHE_DIR": str(cache)})
    assert "Armenian outlet" in result.stdout.decode(), result.stderr.decode()[-1000:]


def _gazetteer_copy(tmp_path: Path) -> Path:
    from config import TOPICS_FILE

    directory = tmp_path / "config"
    directory.mkdir()
    for layer in ("officials.yaml", "outlets.yaml", "places.json"):  # the layers topics.yaml names
        shutil.copy(TOPICS_FILE.parent / layer, directory / layer)
    return Path(shutil.copy(TOPICS_FILE, directory / "topics.yaml"))


def test_the_compiled_gazetteer_comes_from_the_cache_and_finds_the_same_terms(tmp_path, cache):
    from extractors.gazetteer import _compile_file

    topics = _gazetteer_copy(tmp_path)
    calls = []

    def build():
        calls.append(1)
        return _compile_file(str(topics))

    first = compiled_cache.cached("gazetteer", str(topics), compiled_cache.gazetteer_inputs(topics), build)
    second = compiled_cache.cached("gazetteer", str(topics), compiled_cache.gazetteer_inputs(topics), build)
    assert len(calls) == 1 and first is not second  # the second came from disk
    text = "Пашинян и Алиев встретились в Тбилиси; Georgia's parliament in Tbilisi; Azərbaycanın"
    assert [(m.entity, m.start, m.end) for m in first.find(text)] == [(m.entity, m.start, m.end) for m in second.find(text)]
    assert len(list(second.find(text))) >= 4


def test_an_edited_gazetteer_is_compiled_again(tmp_path, cache):
    from extractors.gazetteer import _compile_file

    topics = _gazetteer_copy(tmp_path)
    load = lambda: compiled_cache.cached("gazetteer", str(topics), compiled_cache.gazetteer_inputs(topics),
                                         lambda: _compile_file(str(topics)))
    before = load()
    text = topics.read_text("utf-8").replace("entities:", "entities:\n  - {name: Zzyzx, kind: place, weight: 3, "
                                             "terms: {en: [Zzyzxville]}}", 1)
    topics.write_text(text, "utf-8")
    os.utime(topics, ns=(1, 1))  # even an older mtime is a change: size and mtime are the key
    after = load()
    assert not list(before.find("Zzyzxville")) and list(after.find("Zzyzxville"))
    (topics.parent / "places.yaml").write_text("x: 1\n", "utf-8")  # data next to it counts too
    assert compiled_cache.cache_key("g", compiled_cache.gazetteer_inputs(topics)) != \
        compiled_cache.cache_key("g", [topics] + sorted(compiled_cache.EXTRACTORS.glob("gazetteer*.py")))


def test_a_corrupt_entry_is_rebuilt_and_an_unwritable_cache_only_costs_speed(tmp_path, cache, monkeypatch):
    inputs = [tmp_path / "data.txt"]
    inputs[0].write_text("1")
    assert compiled_cache.cached("thing", "x", inputs, lambda: {"v": 1}) == {"v": 1}
    [entry] = cache.glob("thing-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert compiled_cache.cached("thing", "x", inputs, lambda: {"v": 2}) == {"v": 2}
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    monkeypatch.setenv("NEWSWATCH_CACHE_DIR", str(blocked / "sub"))
    assert compiled_cache.cached("thing", "x", inputs, lambda: {"v": 3}) == {"v": 3}


def test_langdetect_profiles_from_the_cache_detect_the_same(cache):
    from extractors import language

    text = ("La reunión entre los ministros terminó sin acuerdo, según fuentes diplomáticas que pidieron "
            "no ser identificadas por la sensibilidad del tema.")
    language._factory.cache_clear()
    fresh = language.detect_language(text)
    language._factory.cache_clear()
    cached = language.detect_language(text)  # now read from the memory-mapped table
    [table] = cache.glob("langdetect-*.ldtable")
    assert isinstance(language._factory("latin").word_lang_prob_map, ProfileRows)
    assert (fresh.code, fresh.confidence, fresh.method) == (cached.code, cached.confidence, cached.method) == \
        ("es", cached.confidence, "langdetect")
    table.write_bytes(table.read_bytes()[:-12])  # cut mid-row: the table is rebuilt, not misread
    language._factory.cache_clear()
    again = language.detect_language(text)
    assert (again.code, again.confidence) == (fresh.code, fresh.confidence)
    assert table.stat().st_size % 8 == 0 and isinstance(language._factory("latin").word_lang_prob_map, dict)


def test_the_profile_table_holds_every_row_of_the_json_profiles_bit_for_bit(tmp_path):
    from extractors import language

    built = language._build_factory("cyrillic", Path(language.PROFILES_DIRECTORY))
    path = tmp_path / "table"
    with open(path, "wb") as fh:
        dump_factory(built, fh)
    with open(path, "rb") as fh:
        loaded = load_factory(fh)
    assert loaded.langlist == built.langlist and len(loaded.word_lang_prob_map) == len(built.word_lang_prob_map)
    assert all(list(loaded.word_lang_prob_map[k]) == v for k, v in built.word_lang_prob_map.items())
    assert "zzzz" not in loaded.word_lang_prob_map and list(loaded.word_lang_prob_map) == list(built.word_lang_prob_map)


def test_the_fingerprint_tables_from_the_cache_equal_freshly_built_ones(cache):
    import numpy as np

    fingerprint._table.cache_clear()
    fingerprint._powers.cache_clear()
    first = fingerprint._table(), fingerprint._powers()  # built, then written
    fingerprint._table.cache_clear()
    fingerprint._powers.cache_clear()
    second = fingerprint._table(), fingerprint._powers()  # unpickled
    assert {p.name.split("-")[0] + "-" + p.name.split("-")[1] for p in cache.glob("*.pickle")} >= {"fold-table", "hash-powers"}
    assert np.array_equal(second[0], fingerprint._build_table())
    assert all(np.array_equal(a, b) for a, b in zip(second[1], fingerprint._build_powers(1 << 16)))
    assert first[0] is not second[0]


def _gc_after(code_args: str, *paths: str) -> list[str]:
    code = ("import gc, sys; from flows import cli; " + code_args +
            "; print(gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-1000:]
    return result.stderr.decode().split()[-2:]


def test_extract_run_as_the_program_collects_again_after_its_first_page_and_a_library_call_keeps_its_gc(data_dir):
    pages = [str(data_dir / "pages" / "admin_author.html"), str(SEEDS_DIR / "004_6d5d41b893ce7abd.txt")]
    # As the program (argv from the process): held off while loading, then resumed with start-up frozen.
    assert _gc_after("sys.argv = ['newswatch', 'extract', *sys.argv[1:]]; cli.main()", *pages) == ["True", "True"]
    # Called with arguments (a test, a library user): the caller's collector is left as it was.
    assert _gc_after("cli.main(['extract', *sys.argv[1:]])", *pages) == ["True", "False"]


REGEX_PROBE = """
import re, sys
from flows import regex_cache
assert regex_cache.install()
patterns = [(r"(?P<word>[^\\W\\d_]+)(?:-(?P=word))?", re.I), (rb"\\x00+|\\d{2,}", 0), (r"^\\s*(?:[A-Z]\\.)+$", re.M),
            (r"[\\u0531-\\u0556\\u0560-\\u0588]+", 0)]
compiled = [re.compile(p, f) for p, f in patterns]
print(sum(key in regex_cache._state["table"] for key in patterns), len(regex_cache._state["used"]))
assert compiled[0].fullmatch("Tbilisi-tbilisi").group("word") == "Tbilisi"
assert compiled[1].findall(b"a\\x00\\x00b123") == [b"\\x00\\x00", b"123"]
assert compiled[3].search("in Երևան today").group() == "Երևան"
"""


def test_regular_expressions_compiled_once_are_replayed_equal_in_the_next_process_and_a_damaged_table_is_rebuilt(cache):
    def probe() -> list[str]:
        result = subprocess.run([sys.executable, "-c", REGEX_PROBE], capture_output=True, cwd=REPO, timeout=60,
                                env={**os.environ, "NEWSWATCH_CACHE_DIR": str(cache)})
        assert result.returncode == 0, result.stderr.decode()[-1000:]
        return result.stdout.decode().split()

    assert probe() == ["0", "0"]  # compiled by re, checked equal to their replay, written at exit
    [table] = cache.glob("regex-*.marshal")
    assert probe() == ["4", "4"]  # replayed: the asserts in the probe ran on the replayed patterns
    table.write_bytes(table.read_bytes()[:100])  # a truncated file: compiled again, written again
    assert probe() == ["0", "0"] and probe() == ["4", "4"]


def test_a_library_call_of_main_leaves_re_alone(data_dir):
    code = ("import re; from re import _compiler; original = _compiler.compile; from flows import cli; "
            "cli.main(['extract', '--format', 'text', __import__('sys').argv[1]]); assert _compiler.compile is original")
    result = subprocess.run([sys.executable, "-c", code, str(data_dir / "dedup" / "event_ru_a.txt")],
                            capture_output=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-1000:]


def test_compare_sets_of_shingles_without_np_unique_give_np_unique_results():
    import numpy as np

    rng = np.random.default_rng(7)
    for size in (0, 1, 2, 9, 1000):
        for high in (3, 2**63):
            values = rng.integers(0, high, size, dtype=np.uint64)
            assert np.array_equal(fingerprint._distinct(values), np.unique(values))
            other = rng.integers(0, high, size, dtype=np.uint64)
            sa, sb = np.unique(values), np.unique(other)
            common = len(np.intersect1d(sa, sb))
            expected = 1.0 if not len(sa) and not len(sb) else common / (len(sa) + len(sb) - common)
            assert fingerprint.jaccard(values, other) == expected


def test_the_cache_keeps_the_newest_entries_of_a_kind_and_none_in_an_older_format(tmp_path, cache):
    inputs = [tmp_path / "data.txt"]
    cache.mkdir()
    stale = cache / f"thing-{'0' * 32}.pickle"
    stale.write_bytes(b"an entry in the format of an older release")
    other_kind = cache / f"thing-table-{'1' * 32}.pickle"  # a kind whose name starts like this one
    other_kind.write_bytes(b"x")
    table = compiled_cache.Codec("tbl", lambda value, fh: fh.write(value), lambda fh: fh.read())
    for i in range(compiled_cache.KEEP_ENTRIES + 3):
        inputs[0].write_text(str(i))
        assert compiled_cache.cached("thing", "x", inputs, lambda: str(i).encode(), codec=table) == str(i).encode()
    assert len(list(cache.glob("thing-*.tbl"))) == compiled_cache.KEEP_ENTRIES
    assert not stale.exists() and other_kind.exists()
    assert compiled_cache.cached("thing", "x", inputs, lambda: b"rebuilt", codec=table) == str(i).encode()  # newest kept


def test_extract_with_a_cache_directory_it_cannot_write_gives_the_same_record_and_no_noise(data_dir, tmp_path):
    page = str(data_dir / "pages" / "admin_author.html")
    blocked = tmp_path / "a-file"
    blocked.write_text("")

    def extract(cache_dir: Path) -> subprocess.CompletedProcess:
        env = {**os.environ, "NEWSWATCH_CACHE_DIR": str(cache_dir)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return subprocess.run([sys.executable, "-m", "flows.cli", "extract", "--format", "json", page],
                              capture_output=True, cwd=REPO, timeout=120, env=env)

    usable, unusable = extract(tmp_path / "cache"), extract(blocked / "cache")
    assert usable.returncode == unusable.returncode == 0 and unusable.stderr == b"", unusable.stderr.decode()[-800:]
    strip = lambda out: [{k: v for k, v in r.items() if k != "first_seen"} for r in json.loads(out)]
    assert strip(usable.stdout) == strip(unusable.stdout)
    assert {p.suffix for p in (tmp_path / "cache").iterdir()} >= {".pickle", ".ldtable", ".marshal"}


def test_the_regex_table_stays_bounded_when_a_run_compiles_patterns_from_data(cache, monkeypatch):
    import re

    from flows import regex_cache

    monkeypatch.setattr(regex_cache, "MAX_ENTRIES", 50)
    try:
        assert regex_cache.install("bounded-test")
        for run in range(3):
            for i in range(80):  # patterns built from data: a new one per "document"
                re.compile(rf"run{run} word{i}\b")
            regex_cache.save()
        table = regex_cache._read(regex_cache._state["path"])
        assert len(table) == 50 and all(key[0].startswith("run2 ") for key in table)  # the last run's
    finally:
        regex_cache.uninstall()
