"""The command line's shared habits, applied to every parser after all commands are registered.

* ``-v/--verbose`` and ``-q/--quiet`` work before or after the sub-command (``newswatch poll -q``);
* every option has a ``NEWSWATCH_<OPTION>`` twin (``--feed`` → ``NEWSWATCH_FEED=a,b``,
  ``--format`` → ``NEWSWATCH_FORMAT``, ``--dry-run`` → ``NEWSWATCH_DRY_RUN=1``), applied to
  every command, including those other modules register. A flag on the command line wins over its
  twin, the twin over the built-in default. A twin whose value a command does not accept (for
  instance ``NEWSWATCH_FORMAT=table``, which only ``articles`` takes) is ignored by that command,
  and is an error only when no command accepts it;
* ``--version`` prints the installed version.

No Prefect and nothing heavy is imported here: this runs on every command.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from datetime import date

from extractors.errors import ConfigError

ENV_PREFIX = "NEWSWATCH_"
# Options whose twin is a settings variable of another name (one name per meaning).
ENV_NAMES = {"feeds": "FEEDS_FILE", "directory": "SEEDS_DIR"}
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")


def env_name(dest: str) -> str:
    return ENV_PREFIX + ENV_NAMES.get(dest, dest).upper().replace("-", "_")


class VersionAction(argparse.Action):
    """``--version``: looked up only when asked (importlib.metadata costs a few ms)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"newswatch {installed_version()}")  # stdout, as argparse's own version action
        parser.exit()


def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newswatch")
    except PackageNotFoundError:  # run from a checkout without installing
        return "0+unknown"


def add_top_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action=VersionAction, help="print the version and exit")
    _verbosity(parser, default=False)


def _verbosity(parser: argparse.ArgumentParser, default) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", action="store_true", default=default,
                       help="log progress and decisions to stderr (NEWSWATCH_VERBOSE)")
    group.add_argument("-q", "--quiet", action="store_true", default=default,
                       help="only errors on stderr: no progress bars, no summary line (NEWSWATCH_QUIET)")


def subparsers_of(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every parser below ``parser`` (commands and their own sub-commands)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):  # aliases map to the same parser
                yield sub
                yield from subparsers_of(sub)


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """-v/-q on every command and sub-command, `store -q check` as `store check -q` (SUPPRESS: given
    after the command they set, else the top level's stand)."""
    for sub in subparsers_of(parser):
        if not any("--quiet" in a.option_strings for a in sub._actions):
            _verbosity(sub, default=argparse.SUPPRESS)


def options_of(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    """The optional arguments (not positionals, help, version or sub-command actions) of one parser."""
    for action in parser._actions:
        if not action.option_strings or isinstance(action, (argparse._HelpAction, VersionAction)):
            continue
        yield action


def apply_env_twins(parser: argparse.ArgumentParser, environ: dict[str, str] | None = None) -> None:
    """Set each option's default from its ``NEWSWATCH_*`` twin, on every parser."""
    environ = os.environ if environ is None else environ
    parsers = [parser, *subparsers_of(parser)]
    accepted: dict[str, set[str]] = {}
    for p in parsers:
        for action in options_of(p):
            if action.choices:
                accepted.setdefault(action.dest, set()).update(map(str, action.choices))
    for p in parsers:
        for action in options_of(p):
            name = env_name(action.dest)
            if name not in environ:
                continue
            value = _env_value(action, environ[name], name, accepted.get(action.dest))
            if value is not None:
                action.default = value


# Read elsewhere, neither an option nor a setting: the caches of compiled tables, and the folder
# deploy/prefect.yaml starts each flow run in.
OTHER_ENV = frozenset({ENV_PREFIX + "CACHE_DIR", ENV_PREFIX + "HOME"})


def unknown_env_names(parser: argparse.ArgumentParser, environ: dict[str, str] | None = None) -> list[str]:
    """``NEWSWATCH_*`` names in the environment that are neither an option's twin nor a setting,
    each with the nearest known name when one is close: a typo (``NEWSWATCH_SMTP_HOSTT``) is
    otherwise ignored in silence and the digest goes to the default host."""
    import difflib

    environ = os.environ if environ is None else environ
    known = {env_name(action.dest) for p in [parser, *subparsers_of(parser)] for action in options_of(p)} | OTHER_ENV
    unknown = [name for name in environ if name.startswith(ENV_PREFIX) and name not in known]
    if not unknown:
        return []
    from config.settings import Settings  # only when needed: pydantic is no light import

    known |= {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    said = []
    for name in sorted(n for n in unknown if n not in known):
        # compared without the shared prefix, which would make any two names look alike
        near = difflib.get_close_matches(name.removeprefix(ENV_PREFIX), sorted(k.removeprefix(ENV_PREFIX) for k in known),
                                         n=1, cutoff=0.8)
        said.append(f"{name} is not a newswatch setting (ignored)" + (f"; did you mean {ENV_PREFIX}{near[0]}?" if near else ""))
    return said


def _env_value(action: argparse.Action, raw: str, name: str, accepted: set[str] | None):
    if action.nargs == 0:  # store_true and friends
        text = raw.strip().lower()
        if text not in TRUE + FALSE:
            raise ConfigError(f"{name}={raw!r}: expected 1/0, true/false, yes/no or on/off")
        if isinstance(action, argparse._StoreFalseAction):
            return text in FALSE
        return True if text in TRUE else (argparse.SUPPRESS if action.default is argparse.SUPPRESS else False)
    if isinstance(action, argparse._AppendAction) or action.nargs in ("+", "*"):
        return [part.strip() for part in raw.split(",") if part.strip()] or None
    if action.choices and raw not in action.choices:
        if accepted and raw in accepted:
            return None  # meant for another command
        raise ConfigError(f"{name}={raw!r}: expected one of {', '.join(sorted(accepted or action.choices))}")
    if not callable(action.type):
        return raw
    try:
        return action.type(raw)
    except argparse.ArgumentTypeError as exc:
        raise ConfigError(f"{name}={raw!r}: {exc}") from None
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={raw!r}: not a valid {getattr(action.type, '__name__', 'value')}") from None


def parse_day(value: str | None, option: str = "--date") -> date | None:
    """A YYYY-MM-DD option or flow parameter (None when not given), or a one-line ConfigError naming it."""
    if not value:
        return None
    if option.startswith("--") and os.environ.get(env_name(option[2:].replace("-", "_"))) == value:
        option = f"{option} (from {env_name(option[2:].replace('-', '_'))})"  # the user typed no --since
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} must be a date YYYY-MM-DD, not {value!r}") from None
    if not 1900 <= day.year <= 2999:  # 9999-12-31 overflowed the day after it, deep in the digest
        raise ConfigError(f"{option} {value}: not a day news could be from (years 1900-2999)")
    return day
