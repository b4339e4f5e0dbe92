"""The bad-input table: every command, fed what an operator mistypes. No traceback, one line, a documented exit code.

Exit codes (README): 2 a usage or configuration error (nothing was done); 1 the command ran
but some inputs failed (``extract`` of an unreadable file). Flow commands must refuse before
Prefect starts, so the table runs in-process: a refusal that reached Prefect would start a server.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.cli import main

pytestmark = pytest.mark.slow

BAD = Path(__file__).resolve().parent / "data" / "bad_inputs"

# (arguments, environment, exit code)
TABLE = [
    (["poll", "--since", "yesterday"], {}, 2),
    (["poll", "--since", "2026-13-45"], {}, 2),
    (["poll", "--since", "11/01/2026"], {}, 2),
    (["poll", "--since", "0001-01-01"], {}, 2),  # a year no news is from, as every other command says
    (["stories", "--country", "xx"], {}, 2),  # no such country: not "0 stories"
    (["articles", "--all", "--country", "armenai"], {}, 2),
    (["feeds", "try", "https://news.example.am/feed", "--limit", "-3"], {}, 2),
    (["poll", "--feeds", "list-shaped.yaml"], {}, 2),
    (["poll", "--feeds", "feeds-mapping.yaml"], {}, 2),
    (["poll", "--feeds", "no-url.yaml"], {}, 2),
    (["poll", "--feeds", "broken.yaml"], {}, 2),
    (["poll", "--feeds", "ftp-url.yaml"], {}, 2),
    (["poll", "--feeds", "duplicate-id.yaml"], {}, 2),
    (["poll", "--feeds", "binary.yaml"], {}, 2),
    (["poll", "--feeds", "missing.yaml"], {}, 2),
    (["poll", "--feeds", "store"], {}, 2),
    (["poll", "--feed", "no-such-feed"], {}, 2),
    (["poll"], {"NEWSWATCH_TASK_RETRY_DELAYS": "abc"}, 2),
    (["poll"], {"NEWSWATCH_TASK_RETRY_DELAYS": "[1, 2"}, 2),
    (["poll"], {"NEWSWATCH_TASK_RETRY_DELAYS": "5000"}, 2),
    (["poll"], {"NEWSWATCH_TIMEOUT_SECONDS": "-5"}, 2),
    (["poll"], {"NEWSWATCH_TIMEOUT_SECONDS": "soon"}, 2),
    (["poll"], {"NEWSWATCH_PER_HOST_CONCURRENCY": "0"}, 2),
    (["poll"], {"NEWSWATCH_MAX_PAGE_BYTES": "-1"}, 2),
    (["poll"], {"NEWSWATCH_MAX_REDIRECTS": "many"}, 2),
    (["poll"], {"NEWSWATCH_ALLOW_PRIVATE_HOSTS": "maybe"}, 2),
    (["poll"], {"NEWSWATCH_TIMEZONE": "Mars/Olympus"}, 2),
    (["poll"], {"NEWSWATCH_UPLOAD_THREADS": "0"}, 2),
    (["poll", "--store", "/proc/newswatch-store"], {}, 2),
    (["poll", "--store", "s3://"], {}, 2),
    (["poll", "--store", ""], {}, 2),
    (["poll", "--bogus"], {}, 2),
    (["articles", "--store", "./typo"], {}, 2),
    (["articles", "--store", "short.txt"], {}, 2),
    (["articles", "--store", "store", "--date", "2026-02-30"], {}, 2),
    (["articles", "--store", "store", "--date", "tomorrow"], {}, 2),
    (["articles", "--store", "store", "--since", "someday"], {}, 2),
    (["articles", "--store", "store", "--format", "xml"], {}, 2),
    (["compare", "missing-a.txt", "missing-b.txt"], {}, 2),
    (["compare", "short.txt", "store"], {}, 2),
    (["search", "border", "--store", "store", "--limit", "-1"], {}, 2),  # 0 means all; a negative count nothing
    (["stories", "--store", "store"], {"NEWSWATCH_LIMIT": "-3"}, 2),
    (["articles", "--store", "store", "--min-score", "nan"], {}, 2),  # NaN compares false: every record passed
    (["compare", "empty.txt", "empty.txt"], {}, 2),  # two empty files are no duplicates of one article
    (["compare", "report.pdf", "report.pdf"], {}, 2),
    (["compare", "-", "-"], {}, 2),
    (["extract", "missing.html"], {}, 1),
    (["extract", "store"], {}, 1),
    (["extract", "binary.yaml"], {}, 1),
    (["extract", "report.pdf"], {}, 1),  # a PDF is no article, whatever text it carries
    (["feeds", "--store", "./typo"], {}, 2),
    (["store", "compact", "--store", "./typo"], {}, 2),
    (["poll", "--store", "gs://bucket/news"], {}, 2),
    (["poll"], {"NEWSWATCH_USER_AGENT": "café-monitor/1.0"}, 2),
    (["digest", "--date", "2026-99-01", "--store", "store", "--dry-run", "--out", "out"], {}, 2),
    (["digest", "--date", "bad", "--store", "store"], {}, 2),
    (["digest", "--date", "2999-01-01", "--store", "store", "--dry-run"], {}, 2),  # a day still to come
    (["digest", "--date", "2999-01-01", "--store", "store", "--to", "desk@example.org"], {}, 2),
    (["digest", "--store", "./typo", "--dry-run", "--out", "out"], {}, 2),
    (["digest", "--store", "./typo"], {}, 2),
    (["digest", "--store", "store"], {"NEWSWATCH_SMTP_TLS": "maybe"}, 2),
    (["digest", "--store", "store"], {"NEWSWATCH_SMTP_PORT": "99999"}, 2),
    (["digest", "--out", "out", "--store", "store"], {}, 2),
    (["reprocess", "--store", "store", "--date", "2026/11/01"], {}, 2),
    (["reprocess", "--store", "./typo"], {}, 2),
    (["store", "check", "--store", "./typo"], {}, 2),
    (["store", "copy", "./typo", "out-copy"], {}, 2),
    (["store", "copy", "store", "s3://"], {}, 2),
    (["store", "frobnicate"], {}, 2),
    (["import-seeds", "missing-dir", "--store", "store"], {}, 2),
    (["import-seeds", "--store", "/proc/newswatch-store"], {}, 2),
    (["show", "zzzz", "--store", "store"], {}, 2),
    (["stories", "--store", "./typo"], {}, 2),
    (["export", "--store", "store", "--format", "nope"], {}, 2),
    (["nonsense"], {}, 2),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    for path in BAD.iterdir():
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "store").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_table_is_at_least_45_bad_inputs_across_the_commands():
    assert len(TABLE) >= 45
    assert len({args[0] for args, _env, _code in TABLE}) >= 10


@pytest.mark.parametrize("args, env, code", TABLE, ids=[" ".join(a) + (f" {e}" if e else "") for a, e, _c in TABLE])
def test_a_bad_input_is_one_line_on_stderr_with_its_exit_code(workdir, monkeypatch, capfd, args, env, code):
    from config.settings import get_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        status = main(["-q", *args] if args[0] != "nonsense" else args)
    except SystemExit as exc:  # argparse's usage errors exit from inside parse_args
        status = exc.code
    out, err = capfd.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == code, (status, err)
    assert "Traceback" not in err and "Traceback" not in out
    assert len(lines) == 1, lines
    assert "prefect" not in err.lower(), err  # refused before Prefect started
