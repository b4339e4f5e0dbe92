"""The command line's habits: --version, -q/-v anywhere, help on every option, NEWSWATCH_* twins,
the report of `store check` on stdout, a closing line, progress bars only at a terminal."""

import argparse
import io
import json
import subprocess
import sys

import pytest

from config import SEEDS_DIR
from flows import progress
from flows.cli import build_parser
from flows.cli_options import env_name, options_of, subparsers_of
from tests.test_cli import REPO, run_cli


def all_options():
    parser = build_parser()
    for sub in [parser, *subparsers_of(parser)]:
        for action in options_of(sub):
            yield sub.prog, action


def test_version_prints_the_installed_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.decode().startswith("newswatch 0.")


def test_every_option_of_every_command_has_help_text():
    missing = [f"{prog} {action.option_strings[0]}" for prog, action in all_options() if not action.help]
    assert not missing, missing
    parser = build_parser()
    for sub in subparsers_of(parser):
        for action in sub._actions:
            if not action.option_strings and not isinstance(action, argparse._SubParsersAction):
                assert action.help, f"{sub.prog} {action.dest}"


def test_quiet_and_verbose_work_after_the_subcommand(tmp_path):
    args = build_parser().parse_args(["articles", "-q", "--store", str(tmp_path)])
    assert args.quiet is True and args.verbose is False
    args = build_parser().parse_args(["-v", "articles"])
    assert args.verbose is True  # given before the command, not undone by it
    args = build_parser().parse_args(["store", "check", "--verbose"])
    assert args.verbose is True
    quiet = run_cli("articles", "--store", str(tmp_path), "-q")
    loud = run_cli("articles", "--store", str(tmp_path))
    assert quiet.returncode == loud.returncode == 0
    assert quiet.stderr == b"" and b"0 record(s)" in loud.stderr


def _twin_value(action):
    """A value for the option's twin that differs from its default, and what the parser should make of it."""
    if action.nargs == 0:
        return "1", True
    if isinstance(action, argparse._AppendAction) or action.nargs in ("+", "*"):
        return "a, b", ["a", "b"]
    if action.choices:
        other = next(c for c in action.choices if c != action.default)
        return other, other
    if action.type in (int, float) or getattr(action.type, "__name__", "") in ("limit_count", "finite_number", "entries_count"):
        return "3", action.type("3")
    return "2026-11-20", "2026-11-20"


def test_every_option_has_a_newswatch_twin(monkeypatch):
    checked = 0
    for prog, action in list(all_options()):
        if action.dest in ("verbose", "quiet"):
            continue  # a mutually exclusive pair: checked below
        raw, expected = _twin_value(action)
        monkeypatch.setenv(env_name(action.dest), raw)
        parser = build_parser()
        twin = next(a for p in [parser, *subparsers_of(parser)] if p.prog == prog for a in options_of(p)
                    if a.dest == action.dest)
        value = twin.type(expected) if callable(twin.type) and isinstance(expected, str) else expected
        assert twin.default == value, (prog, action.dest, env_name(action.dest))
        monkeypatch.delenv(env_name(action.dest))
        checked += 1
    assert checked >= 40
    monkeypatch.setenv("NEWSWATCH_LIMIT", "many")
    with pytest.raises(Exception, match="NEWSWATCH_LIMIT='many': not a whole number"):
        build_parser()
    monkeypatch.delenv("NEWSWATCH_LIMIT")
    monkeypatch.setenv("NEWSWATCH_QUIET", "yes")
    assert build_parser().parse_args(["articles"]).quiet is True


def test_a_twin_meant_for_another_command_is_ignored_and_a_wrong_one_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWSWATCH_FORMAT", "table")  # only `articles` has table
    assert build_parser().parse_args(["compare", "a", "b"]).format == "text"
    assert build_parser().parse_args(["articles"]).format == "table"
    result = subprocess.run([sys.executable, "-m", "flows.cli", "articles", "--store", str(tmp_path)],
                            capture_output=True, cwd=REPO, env={**_env(), "NEWSWATCH_FORMAT": "jsn"}, timeout=60)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == "newswatch: NEWSWATCH_FORMAT='jsn': expected one of csv, json, jsonl, parquet, table, text"


def _env():
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("NEWSWATCH_")}


def test_newswatch_feed_and_format_twins_reach_the_commands(tmp_path):
    env = {**_env(), "NEWSWATCH_FEED": "no-such-feed,other", "NEWSWATCH_STORE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "flows.cli", "poll"], capture_output=True, cwd=REPO, env=env,
                            timeout=60)
    assert result.returncode == 2
    assert "unknown feed id(s): no-such-feed, other" in result.stderr.decode()
    seed = str(SEEDS_DIR / "002_da9cfaa2d703c577.txt")
    env = {**_env(), "NEWSWATCH_FORMAT": "json"}
    result = subprocess.run([sys.executable, "-m", "flows.cli", "compare", seed, seed], capture_output=True, cwd=REPO,
                            env=env, timeout=60)
    assert json.loads(result.stdout)["duplicate"] is True


def test_extract_prints_a_list_for_one_path_and_for_many():
    seeds = sorted(SEEDS_DIR.glob("*.txt"))
    one = json.loads(run_cli("extract", str(seeds[0]), "--format", "json").stdout)
    two = json.loads(run_cli("extract", str(seeds[0]), str(seeds[1]), "--format", "json").stdout)
    assert isinstance(one, list) and len(one) == 1 and len(two) == 2 and one[0]["text"] == two[0]["text"]


def test_store_check_reports_on_stdout_and_ends_with_a_closing_line(tmp_path):
    result = run_cli("store", "check", "--store", str(tmp_path))
    assert result.returncode == 0
    assert "0 records" in result.stdout.decode()
    last = result.stderr.decode().strip().splitlines()[-1]
    assert last.startswith("newswatch store: ok in ") and last.endswith(" s")
    quiet = run_cli("store", "check", "--store", str(tmp_path), "-q")
    assert quiet.stderr == b""


def test_progress_bars_only_at_a_terminal_and_not_when_quiet(capsys):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert progress.wanted(False, Tty()) is True
    assert progress.wanted(True, Tty()) is False
    assert progress.wanted(False, io.StringIO()) is False
    assert list(progress.track([1, 2, 3], desc="import")) == [1, 2, 3]
    assert capsys.readouterr().err == ""  # disabled: nothing written
    progress.enable()
    try:
        assert list(progress.track([1, 2, 3], total=3, desc="import")) == [1, 2, 3]
        with progress.Counter(2, desc="poll") as bar:
            bar.step(note="feed-a")
            bar.step(note="feed-b")
    finally:
        progress.enable(False)
    err = capsys.readouterr().err
    assert "import:" in err and "/3" in err and "poll:" in err and "/2" in err


@pytest.mark.parametrize("agent", ["café-monitor/1.0", "newswatch/0.1\r\nX-Injected: 1", "  "])
def test_a_user_agent_that_cannot_be_an_http_header_is_refused_before_any_run(tmp_path, agent):
    import os

    env = {**os.environ, "NEWSWATCH_USER_AGENT": agent, "NEWSWATCH_STORE": str(tmp_path / "store")}
    result = subprocess.run([sys.executable, "-m", "flows.cli", "feeds", "check"], capture_output=True, cwd=REPO,
                            env=env, timeout=120)
    err = result.stderr.decode()
    assert result.returncode == 2 and "NEWSWATCH_USER_AGENT" in err and "Traceback" not in err


@pytest.mark.parametrize("command", [["feeds"], ["store", "compact"]])
def test_reading_commands_on_a_mistyped_store_say_so_and_create_nothing(tmp_path, command):
    missing = tmp_path / "no-such-store"
    result = run_cli(*command, "--store", str(missing))
    assert result.returncode == 2 and "no store at" in result.stderr.decode()
    assert not missing.exists()


def test_a_reader_that_stops_early_ends_the_command_quietly_not_with_an_error():
    # `newswatch … | head -1`: the pipe closes while the command still writes
    seed = str(SEEDS_DIR / "004_6d5d41b893ce7abd.txt")
    code = "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "extract", *[seed] * 60, "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    proc.stdout.read(100)
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, stderr  # as `cat`, `grep`… end under `| head`
    assert "BrokenPipe" not in stderr and "Traceback" not in stderr and "unexpected" not in stderr


@pytest.mark.parametrize("to, env, message", [
    (["--to", "not an email"], {}, "'not an email' is not an e-mail address"),
    ([], {"NEWSWATCH_DIGEST_TO": ""}, "no digest recipients"),
    ([], {"NEWSWATCH_DIGEST_TO": "desk@example.org, desk"}, "'desk' is not an e-mail address"),
])
def test_a_digest_without_a_usable_recipient_is_refused_in_one_line_before_prefect_starts(tmp_path, to, env, message):
    import os

    store = tmp_path / "store"
    store.mkdir()
    code = ("import sys; from flows.cli import main; rc = main(sys.argv[1:]); "
            "assert 'prefect' not in sys.modules, 'prefect was started'; sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, "digest", "--store", str(store), "--date", "2026-12-01", *to],
                            capture_output=True, cwd=REPO, timeout=120, env={**os.environ, **env})
    err = result.stderr.decode()
    assert result.returncode == 2 and message in err, err
    assert len(err.strip().splitlines()) == 1


def test_quiet_works_between_a_command_and_its_sub_command(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    for args in (["store", "-q", "check"], ["store", "check", "-q"], ["-q", "store", "check"]):
        result = run_cli(*args, "--store", str(store))
        assert result.returncode == 0, (args, result.stderr.decode())
        assert "ok in" not in result.stderr.decode()  # -q: no closing line


def test_a_bad_date_from_the_environment_is_named_as_such(tmp_path):
    import os

    store = tmp_path / "store"
    store.mkdir()
    code = "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run([sys.executable, "-c", code, "articles", "--store", str(store)], capture_output=True,
                            cwd=REPO, timeout=120, env={**os.environ, "NEWSWATCH_SINCE": "tomorrow"})
    assert result.returncode == 2 and "NEWSWATCH_SINCE" in result.stderr.decode()


def test_the_demo_never_takes_its_store_from_newswatch_store(monkeypatch):
    # the demo's made-up articles would join a real store's stories for good (records are write-once)
    from flows.cli import build_parser

    monkeypatch.setenv("NEWSWATCH_STORE", "/srv/newswatch/real-store")
    assert build_parser().parse_args(["demo"]).demo_store is None
    assert build_parser().parse_args(["demo", "--store", "/tmp/try"]).demo_store == "/tmp/try"
    assert build_parser().parse_args(["articles"]).store == "/srv/newswatch/real-store"  # other commands: the twin


def test_a_newswatch_name_that_is_no_setting_is_said_with_the_nearest_one_and_every_known_name_is_quiet():
    from config.settings import Settings
    from flows.cli_options import OTHER_ENV, unknown_env_names

    parser = build_parser()
    said = unknown_env_names(parser, {"NEWSWATCH_SMTP_HOSTT": "mail", "NEWSWATCH_FOO": "1", "PATH": "/bin"})
    assert said == ["NEWSWATCH_FOO is not a newswatch setting (ignored)",
                    "NEWSWATCH_SMTP_HOSTT is not a newswatch setting (ignored); did you mean NEWSWATCH_SMTP_HOST?"]
    known = {env_name(a.dest) for p in [parser, *subparsers_of(parser)] for a in options_of(p)} | set(OTHER_ENV)
    known |= {"NEWSWATCH_" + name.upper() for name in Settings.model_fields}
    assert unknown_env_names(parser, dict.fromkeys(known, "x")) == []


def test_a_count_beyond_what_a_database_takes_means_all_and_a_line_break_is_no_mail_address():
    from config.settings import mail_addresses
    from flows.cli_corpus import MAX_COUNT, limit_count

    assert limit_count("9" * 30) == MAX_COUNT
    for value in ("desk@example.org\r\nBcc: all@example.org", "desk@example.org\n"):
        with pytest.raises(ValueError, match="line break"):
            mail_addresses([value])
