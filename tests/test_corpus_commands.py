"""`newswatch stories | show | search | export` and the filters of `articles`, over a small store made
of real news paragraphs (tests/data/language/) in Armenian, Georgian, Russian, Azerbaijani and English."""

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from extractors.records import ArticleRecord
from flows.cli import main
from storage import open_store
from storage.articles import ArticleStore, ManifestLine
from storage.state import FeedState, save_feed_state
from tests.test_cli import REPO

DAY = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
# feed id, outlet name, outlet country, language file, story, day offset, duplicate of
FEEDS = {"armenpress-hy": ("Armenpress (Armenian)", "am"), "civil-ge-ka": ("Civil.ge (Georgian)", "ge"),
         "interfax-ru": ("Interfax", "intl"), "apa-az": ("APA", "az"), "oc-media-en": ("OC Media", "ge")}
ARTICLES = [
    ("a-hy-border", "armenpress-hy", "hy", 0, 0, "a-hy-border", None),
    ("a-ru-border", "interfax-ru", "ru", 0, 0, "a-hy-border", None),
    ("a-az-border", "apa-az", "az", 0, 0, "a-hy-border", None),
    ("a-en-border", "oc-media-en", "en", 0, 0, "a-hy-border", "a-hy-border"),
    ("a-ka-law", "civil-ge-ka", "ka", 1, 0, "a-ka-law", None),
    ("a-hy-law", "armenpress-hy", "hy", 1, 1, "a-ka-law", None),
]


def paragraph(data_dir, language: str, index: int) -> str:
    paragraphs = [p.strip() for p in (data_dir / "language" / f"{language}.txt").read_text("utf-8").split("\n\n") if p.strip()]
    return paragraphs[index]


@pytest.fixture
def corpus(tmp_path, data_dir):
    """A local store with six records in two stories and the feed states naming their outlets."""
    uri = str(tmp_path / "store")
    return build_corpus(uri, data_dir)


def build_corpus(uri: str, data_dir) -> str:
    store = open_store(uri)
    articles = ArticleStore(store)
    by_day: dict[str, list[ManifestLine]] = {}
    for article_id, source, language, paragraph_index, offset, cluster, duplicate_of in ARTICLES:
        text = paragraph(data_dir, language, paragraph_index)
        title = text.split("։")[0].split(".")[0][:120]
        first_seen = (DAY + timedelta(days=offset, minutes=len(by_day.get(str(offset), [])))).isoformat()
        record = ArticleRecord(
            id=article_id, url=f"https://example.org/{article_id}", canonical_url=f"https://example.org/{article_id}",
            source=source, title=title, author="", published=first_seen, first_seen=first_seen, language=language,
            text=text, caucasus={"relevant": True, "score": 3.0 + 2 * paragraph_index,
                                 "countries": ["am", "az"] if "border" in article_id else ["ge"]},
            content_hash=article_id, duplicate_of=duplicate_of, cluster=cluster)
        key, _ = articles.put_article(record)
        by_day.setdefault(str(offset), []).append(ManifestLine.from_record(record, key, "stored"))
    for offset, lines in by_day.items():
        articles.write_manifest(f"run-{offset}", DAY + timedelta(days=int(offset)), lines)
    for feed_id, (name, country) in FEEDS.items():
        save_feed_state(store, FeedState(feed_id=feed_id, name=name, country=country, last_outcome="ok"))
    store.close()
    return uri


def cli(capsys, *args) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_stories_one_line_per_cluster_with_outlets_languages_and_size(corpus, capsys):
    status, out, _ = cli(capsys, "stories", "--store", corpus, "--since", "2026-11-19", "--format", "json")
    assert status == 0
    stories = json.loads(out)
    assert [s["story"] for s in stories] == ["a-hy-border", "a-ka-law"]  # four outlets before two
    border = stories[0]
    assert border["size"] == 4 and border["headline_id"] == "a-hy-border"
    assert border["outlets"] == ["Armenpress (Armenian)", "Interfax", "APA", "OC Media"]
    assert border["languages"] == ["hy", "ru", "az", "en"]
    _, text, _ = cli(capsys, "stories", "--store", corpus, "--date", "2026-11-21")
    assert text.count("\n") == 2 and "a-ka-law" in text and "Armenpress (Armenian)" in text  # that day's member only


def test_stories_by_country_take_the_outlet_or_the_story_country(corpus, capsys):
    _, out, _ = cli(capsys, "stories", "--store", corpus, "--since", "2026-11-19", "--country", "az", "--format", "json")
    assert [s["story"] for s in json.loads(out)] == ["a-hy-border"]  # APA is in Baku; the law story is not about az
    _, out, _ = cli(capsys, "stories", "--store", corpus, "--since", "2026-11-19", "--country", "GE", "--format", "json")
    assert {s["story"] for s in json.loads(out)} == {"a-hy-border", "a-ka-law"}
    _, whole, _ = cli(capsys, "stories", "--store", corpus, "--since", "2026-11-19", "--format", "json")
    border = next(s for s in json.loads(whole) if s["story"] == "a-hy-border")
    assert next(s for s in json.loads(out) if s["story"] == "a-hy-border") == border  # whole, not its ge part


def test_show_prints_an_article_with_its_story_and_rejects_unknown_ids(corpus, capsys):
    status, out, _ = cli(capsys, "show", "a-hy-bor", "--store", corpus)
    assert status == 0
    assert "outlet:     Armenpress (Armenian) (armenpress-hy)" in out
    assert "also in this story (3):" in out and "a-en-border" in out and "(duplicate)" in out
    status, _, err = cli(capsys, "show", "a-hy-xxxx", "--store", corpus)
    assert status == 2 and err.strip() == "newswatch: no article 'a-hy-xxxx' in the store"
    status, _, err = cli(capsys, "show", "a-hy-", "--store", corpus)
    assert status == 2 and "give at least 6 characters" in err
    status, out, _ = cli(capsys, "show", "A-HY-BOR", "--store", corpus)  # an id copied in capitals
    assert status == 0 and "a-hy-border" in out


def test_articles_filters_and_a_stable_order(corpus, capsys):
    def ids(*extra):
        _, out, _ = cli(capsys, "articles", "--store", corpus, "--since", "2026-11-01", "--format", "json", *extra)
        return [r["id"] for r in json.loads(out)]

    everything = ids()
    assert everything == ["a-hy-border", "a-ru-border", "a-az-border", "a-en-border", "a-ka-law", "a-hy-law"]
    assert ids("--source", "armenpress-hy") == ["a-hy-border", "a-hy-law"]
    assert ids("--source", "interfax") == ["a-ru-border"]  # the outlet's name works too
    assert ids("--language", "ka", "--language", "az") == ["a-az-border", "a-ka-law"]
    assert ids("--story", "a-ka-law") == ["a-ka-law", "a-hy-law"]
    assert ids("--story", "a-ka-la") == ["a-ka-law", "a-hy-law"]  # the prefix `stories` prints
    assert ids("--story", "a-ka") == []  # too short to name one story
    assert ids("--language", "KA") == ["a-ka-law"]  # codes are lower case, whatever is typed
    assert set(ids("--country", "az")) == {"a-hy-border", "a-ru-border", "a-az-border", "a-en-border"}
    assert ids("--min-score", "100") == [] and ids("--min-score", "0") == everything
    assert ids("--min-score", "4") == ["a-ka-law", "a-hy-law"]  # paragraph 1 scores 5, paragraph 0 scores 3
    _, out, _ = cli(capsys, "articles", "--store", corpus, "--date", "2026-11-21", "--format", "json")
    assert [r["id"] for r in json.loads(out)] == ["a-hy-law"]


@pytest.fixture
def index_path(tmp_path):
    return str(tmp_path / "index.sqlite")


def search(capsys, corpus, index_path, *args):
    status, out, err = cli(capsys, "search", *args, "--store", corpus, "--index", index_path, "--format", "json")
    assert status == 0, err
    return [hit["id"] for hit in json.loads(out)], err


def test_search_with_an_unusable_cache_folder_still_answers_from_an_index_in_memory(corpus, capsys, tmp_path,
                                                                                      monkeypatch):
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be")
    monkeypatch.setenv("NEWSWATCH_CACHE_DIR", str(not_a_folder))
    status, out, err = cli(capsys, "search", "border", "--store", corpus, "--format", "json")
    assert status == 0 and json.loads(out), err
    assert "index :memory:" in err  # said on the summary line (and logged as a warning)


def test_search_finds_words_in_every_script_ranked_and_filtered(corpus, index_path, capsys, data_dir):
    armenian = paragraph(data_dir, "hy", 0).split()[0]  # Հայաստանի
    georgian = paragraph(data_dir, "ka", 1).split()[0]
    assert search(capsys, corpus, index_path, armenian)[0] == ["a-hy-border"]
    assert "a-ka-law" in search(capsys, corpus, index_path, georgian)[0]
    assert search(capsys, corpus, index_path, "Азербайджан*")[0] == ["a-ru-border"]  # a prefix finds the inflected form
    assert search(capsys, corpus, index_path, "Azərbaycan")[0] == ["a-az-border"]
    hits, _ = search(capsys, corpus, index_path, "Armenia OR Армении OR Ermənistan")
    assert set(hits) >= {"a-ru-border", "a-az-border"}
    assert search(capsys, corpus, index_path, "Azərbaycan", "--lang", "ru")[0] == []
    assert search(capsys, corpus, index_path, "Азербайджан*", "--since", "2026-11-21")[0] == []
    assert search(capsys, corpus, index_path, "Азербайджан*", "--country", "intl")[0] == ["a-ru-border"]
    hits, _ = search(capsys, corpus, index_path, 'Nagorno-Karabakh "unbalanced')  # not FTS5 syntax: words as phrases
    assert hits == [] or all(isinstance(h, str) for h in hits)


def test_search_finds_letters_typed_as_their_plain_neighbour_and_shows_the_original(corpus, index_path, capsys):
    # Azerbaijani ə and ı typed as e and i on a keyboard without them (and the other way round)
    assert search(capsys, corpus, index_path, "Azerbaycan")[0] == ["a-az-border"]
    assert search(capsys, corpus, index_path, "AZƏRBAYCAN")[0] == ["a-az-border"]
    status, out, err = cli(capsys, "search", "Azerbaycan", "--store", corpus, "--index", index_path,
                           "--format", "json")
    [hit] = json.loads(out)
    assert "[Azərbaycan" in hit["snippet"]  # the snippet in the record's own letters


def test_search_ranks_a_title_match_above_a_text_match(tmp_path, index_path, capsys, data_dir):
    uri = build_corpus(str(tmp_path / "s"), data_dir)
    store = open_store(uri)
    articles = ArticleStore(store)
    word = "delimitation"
    for article_id, title, text in (("t-body", "Talks resume", f"The {word} commissions met again. " * 3),
                                    ("t-title", f"Border {word} talks", "The commissions met again. " * 3)):
        record = ArticleRecord(id=article_id, url=f"https://e.org/{article_id}", canonical_url="", source="oc-media-en",
                               title=title, author="", published=None, first_seen=DAY.isoformat(), language="en",
                               text=text, caucasus={"relevant": True, "score": 3}, content_hash=article_id)
        key, _ = articles.put_article(record)
        articles.write_manifest(f"run-{article_id}", DAY, [ManifestLine.from_record(record, key, "stored")])
    store.close()
    hits, _ = search(capsys, uri, index_path, word)
    assert hits[:2] == ["t-title", "t-body"]


def test_the_index_updates_incrementally_and_rebuilds_for_a_new_store(corpus, index_path, capsys, data_dir, tmp_path):
    _, err = search(capsys, corpus, index_path, "Azərbaycan")
    assert "6 records, 6 newly indexed" in err
    _, err = search(capsys, corpus, index_path, "Azərbaycan")
    assert "6 records, 0 newly indexed" in err
    store = open_store(corpus)
    articles = ArticleStore(store)
    record = articles.get_article(next(k for k in store.list("articles/") if "a-az-border" in k))
    from dataclasses import replace

    fresh = replace(record, text=record.text + " Zzyzxqword.")  # a reprocess: a later manifest line wins
    articles.replace_article(articles.record_key(fresh), fresh)
    articles.write_manifest("reprocess-1", DAY, [ManifestLine.from_record(fresh, articles.record_key(fresh), "reprocessed")])
    store.close()
    hits, err = search(capsys, corpus, index_path, "Zzyzxqword")
    assert hits == ["a-az-border"] and "6 records, 1 newly indexed" in err
    other = build_corpus(str(tmp_path / "other"), data_dir)  # the same index file pointed at another store
    _, err = search(capsys, other, index_path, "Zzyzxqword")
    assert "(rebuilt)" in err and "6 records, 6 newly indexed" in err


def test_search_works_on_an_s3_store(s3_uri, index_path, capsys, data_dir):
    build_corpus(s3_uri, data_dir)
    hits, _ = search(capsys, s3_uri, index_path, "Азербайджан*")
    assert hits == ["a-ru-border"]


def test_export_parquet_csv_and_jsonl_hold_the_same_rows(corpus, tmp_path, capsys):
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    for fmt in ("parquet", "csv", "jsonl"):
        status, _, err = cli(capsys, "export", "--store", corpus, "--format", fmt, "--out", str(tmp_path / f"x.{fmt}"))
        assert status == 0 and f"exported 6 record(s) as {fmt}" in err
    parquet = pq.read_table(tmp_path / "x.parquet").to_pylist()
    csv = pacsv.read_csv(tmp_path / "x.csv").to_pylist()
    lines = [json.loads(line) for line in (tmp_path / "x.jsonl").read_text("utf-8").splitlines()]
    assert [r["id"] for r in parquet] == [r["id"] for r in csv] == [r["id"] for r in lines]
    by_id = {r["id"]: r for r in parquet}
    assert by_id["a-hy-border"]["outlet"] == "Armenpress (Armenian)" and by_id["a-hy-border"]["language"] == "hy"
    assert by_id["a-en-border"]["duplicate_of"] == "a-hy-border" and by_id["a-en-border"]["cluster"] == "a-hy-border"
    assert {r["text"] for r in parquet} == {r["text"] for r in lines}  # every script survives
    status, out, _ = cli(capsys, "export", "--store", corpus, "--format", "jsonl", "--out", "-", "--since", "2026-11-21")
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["a-hy-law"]
    status, out, _ = cli(capsys, "export", "--store", corpus, "--format", "jsonl", "--out", "-", "--date", "2026-11-21")
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["a-hy-law"]  # one day, as articles --date
    status, _, err = cli(capsys, "export", "--store", corpus, "--format", "parquet", "--out", "-")
    assert status == 2 and "Parquet is binary" in err


def test_export_takes_its_format_from_the_file_name_and_refuses_a_name_that_says_another(corpus, tmp_path, capsys):
    status, _, err = cli(capsys, "export", "--store", corpus, "--out", str(tmp_path / "table.csv"))
    assert status == 0 and "as csv" in err
    assert (tmp_path / "table.csv").read_text("utf-8").startswith('"id"')  # CSV, not Parquet bytes in a .csv
    status, _, err = cli(capsys, "export", "--store", corpus, "--out", str(tmp_path / "t.csv"), "--format", "parquet")
    assert status == 2 and "--format csv" in err and not (tmp_path / "t.csv").exists()
    # a name of a format export does not write is refused too, not filled with Parquet bytes
    status, _, err = cli(capsys, "export", "--store", corpus, "--out", str(tmp_path / "t.json"))
    assert status == 2 and ".jsonl" in err and not (tmp_path / "t.json").exists()


def test_export_writes_through_a_symlink_and_into_a_device_without_replacing_them(corpus, tmp_path, capsys):
    import os
    import stat

    real = tmp_path / "real.jsonl"
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    status, _, err = cli(capsys, "export", "--store", corpus, "--out", str(link))
    assert status == 0, err
    assert link.is_symlink() and len(real.read_text("utf-8").splitlines()) == 6
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    read = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)  # a reader, as `>(gzip > f)` is
    status, _, err = cli(capsys, "export", "--store", corpus, "--format", "jsonl", "--out", str(fifo))
    assert status == 0, err
    assert len(read.communicate(timeout=30)[0].splitlines()) == 6
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still the pipe: nothing renamed over it


def test_export_writes_parquet_to_s3(corpus, s3_uri, capsys):
    import io

    import pyarrow.parquet as pq

    target = s3_uri + "/exports/corpus.parquet"
    status, _, err = cli(capsys, "export", "--store", corpus, "--out", target, "--language", "hy")
    assert status == 0, err
    store = open_store(s3_uri + "/exports")
    table = pq.read_table(io.BytesIO(store.get("corpus.parquet")))
    store.close()
    assert table.column("id").to_pylist() == ["a-hy-border", "a-hy-law"]


def test_corpus_commands_do_not_import_prefect(corpus):
    for args in (["stories", "--since", "2026-11-01"], ["show", "a-ka-law"], ["export", "--format", "jsonl", "--out", "-"]):
        code = ("import sys; from flows.cli import main; rc = main(sys.argv[1:]); "
                "assert 'prefect' not in sys.modules; sys.exit(rc)")
        result = subprocess.run([sys.executable, "-c", code, *args, "--store", corpus], capture_output=True, cwd=REPO,
                                timeout=120)
        assert result.returncode == 0, result.stderr.decode()[-800:]


def test_records_judged_irrelevant_stay_out_of_stories_and_search_unless_asked(corpus, index_path, capsys):
    store = open_store(corpus)
    articles = ArticleStore(store)
    record = ArticleRecord(id="atlanta", url="https://e.org/atlanta", canonical_url="", source="oc-media-en",
                           title="Atlanta approves transit expansion as Georgia lawmakers weigh funding", author="",
                           published=None, first_seen=DAY.isoformat(), language="en",
                           text="The Atlanta city council approved the transit expansion.",
                           caucasus={"relevant": False, "score": 0.5}, content_hash="atlanta")
    key, _ = articles.put_article(record)
    articles.write_manifest("run-irrelevant", DAY, [ManifestLine.from_record(record, key, "irrelevant")])
    store.close()
    _, out, _ = cli(capsys, "stories", "--store", corpus, "--since", "2026-11-19", "--format", "json")
    assert "atlanta" not in {s["story"] for s in json.loads(out)}
    assert search(capsys, corpus, index_path, "Atlanta")[0] == []
    assert search(capsys, corpus, index_path, "Atlanta", "--irrelevant")[0] == ["atlanta"]
    status, out, err = cli(capsys, "export", "--store", corpus, "--format", "jsonl", "--out", "-")
    flags = {json.loads(line)["id"]: json.loads(line)["relevant"] for line in out.splitlines()}
    assert flags["atlanta"] is False and len(flags) == 7  # export keeps every record, flagged


def test_a_progress_bar_only_when_stderr_is_a_terminal(corpus, tmp_path):
    import os
    import pty

    def run(stderr_is_tty: bool, *extra):
        command = [sys.executable, "-m", "flows.cli", "export", "--store", corpus, "--format", "jsonl",
                   "--out", str(tmp_path / "x.jsonl"), *extra]
        if not stderr_is_tty:
            return subprocess.run(command, capture_output=True, cwd=REPO, timeout=120).stderr.decode()
        main_fd, child_fd = pty.openpty()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=child_fd, cwd=REPO, timeout=120)
        os.close(child_fd)
        chunks = []
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(main_fd)
        assert done.returncode == 0
        return b"".join(chunks).decode(errors="replace")

    at_terminal = run(True)
    assert "export:" in at_terminal and "record" in at_terminal and "\r" in at_terminal  # the tqdm bar
    assert "newswatch export: ok in" in at_terminal
    piped = run(False)
    assert "\r" not in piped and "exported 6 record(s)" in piped
    assert "\r" not in run(True, "-q") and run(True, "-q").strip() == ""


def test_a_damaged_record_is_skipped_with_a_warning_and_the_rest_of_the_corpus_is_still_read(corpus, tmp_path, capsys,
                                                                                              caplog):
    store = open_store(corpus)
    damaged = next(key for key in ArticleStore(store).all_article_keys() if key.endswith("/a-ka-law.json"))
    store.put(damaged, store.get(damaged)[:100])  # cut short, as a disk or a hand edit might leave it
    status, out, err = cli(capsys, "articles", "--all", "--store", corpus, "--format", "json")
    assert status == 0 and {r["id"] for r in json.loads(out)} == {a[0] for a in ARTICLES} - {"a-ka-law"}
    assert any("damaged record" in r.getMessage() and damaged in r.getMessage() for r in caplog.records)
    status, out, err = cli(capsys, "export", "--store", corpus, "--format", "jsonl", "--out", str(tmp_path / "x.jsonl"))
    assert status == 0 and len((tmp_path / "x.jsonl").read_text().splitlines()) == len(ARTICLES) - 1
    status, out, err = cli(capsys, "show", "a-ka-law", "--store", corpus)
    assert status != 0 and "damaged record" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    status, out, err = cli(capsys, "store", "check", "--store", corpus)
    assert status == 1 and "bad-record" in out + err


@pytest.mark.parametrize("field, value", [("caucasus", "yes"), ("title", 123), ("cluster", 5), ("first_seen", "not a date"),
                                          ("caucasus.score", "high")])
def test_a_record_with_a_field_of_the_wrong_type_is_a_damaged_record_for_every_reader(corpus, capsys, caplog, field, value):
    store = open_store(corpus)
    damaged = next(key for key in ArticleStore(store).all_article_keys() if key.endswith("/a-ka-law.json"))
    data = json.loads(store.get(damaged))
    if "." in field:
        outer, inner = field.split(".")
        data[outer][inner] = value
    else:
        data[field] = value
    store.put(damaged, json.dumps(data).encode())
    for command in (["articles", "--all"], ["stories", "--since", "2000-01-01"], ["search", "law"]):
        status, out, err = cli(capsys, *command, "--store", corpus)
        assert status == 0 and "unexpected" not in err, (command, err)
    status, out, err = cli(capsys, "store", "check", "--store", corpus)
    assert status == 1 and "bad-record" in out + err and "unexpected" not in err


def test_source_takes_the_outlet_of_a_feed_named_outlet_and_language():
    import dataclasses

    from flows.corpus import Filter, Outlet
    from tests.fixtures_s3 import sample_record

    record = dataclasses.replace(sample_record(0, "2026-11-22T08:00:00+00:00"), source="geonews-ka")
    outlet = Outlet("geonews-ka", "ჯეო ნიუსი (Georgian)")
    for asked in ("geonews-ka", "ჯეო ნიუსი (Georgian)", "ჯეო ნიუსი"):
        assert Filter(sources=[asked]).accepts(record, outlet), asked
    assert not Filter(sources=["ჯეო"]).accepts(record, outlet)
