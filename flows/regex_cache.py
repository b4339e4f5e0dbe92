"""Compiled regular expressions kept across processes: ~0.09 s of a one-page ``newswatch extract``.

Before it reads its first page a ``newswatch extract`` compiles ~420 regular expressions: the
module-level ``re.compile`` calls of our modules and of the libraries they import (urllib3,
courlan, htmldate, trafilatura, yaml, email ...), ~0.09 s of CPU, a quarter of the command.
Python compiles a pattern in two steps: parsing and code generation, in Python
(``re._compiler.compile``), then ``_sre.compile(pattern, flags, code, groups, groupindex,
indexgroup)``, in C, which is cheap. This module keeps the output of the first step in the cache
directory, keyed by the pattern and its flags, and replays it in later processes.

Why a replayed pattern is the pattern re would have compiled:

* the table file is keyed by the interpreter's version and ``_sre.MAGIC`` (the code format): no
  other Python ever reads it;
* an entry is stored only after the replayed object compared equal to the one re compiled itself
  (``Pattern.__eq__`` compares the pattern, flags and code);
* ``_sre.compile`` validates the code it is given: a damaged file raises and the process
  compiles from scratch (the file is then rewritten).

Only the program installs it (``flows.cli.main`` run as ``newswatch``), never an import of our
modules as a library; the table keeps what recent runs used (``MAX_ENTRIES``), so patterns built
from data (a search query, a site's boilerplate) cannot make it grow without bound.
"""

from __future__ import annotations

import atexit
import logging
import marshal
import os
import sys
import threading
import zlib
from pathlib import Path

log = logging.getLogger("newswatch.cache")

_DEBUG = 128  # re.DEBUG
MAX_ENTRIES = 4000  # per command (~420 for extract); above it only the last run's patterns are kept
_lock = threading.Lock()
_state: dict = {}  # "original", "path", "table", "used", "new" once installed


def install(command: str = "") -> bool:
    """Serve ``re``'s compilations from ``command``'s table from now on; written back at exit if it grew.

    One table per command: a poll compiles Prefect's thousands of patterns, which an extract would
    otherwise read at every start."""
    with _lock:
        if _state:
            return True
        try:
            import _sre
            from re import _compiler, _parser  # noqa: F401 - the two steps this module splits
        except ImportError:
            return False
        if not callable(getattr(_compiler, "compile", None)) or not hasattr(_sre, "MAGIC"):
            return False
        from extractors.compiled_cache import cache_dir

        key = zlib.crc32(f"{sys.version}|{_sre.MAGIC}|{sys.byteorder}".encode())
        name = "".join(c for c in command if c.isalnum() or c == "-")[:40] or "any"
        path = cache_dir() / f"regex-{name}-{key:08x}.marshal"
        _state.update(original=_compiler.compile, path=path, table=_read(path), used=set(), new={}, sre=_sre)
        _compiler.compile = _compile
        atexit.register(save)
        return True


def _read(path: Path) -> dict:
    try:
        table = marshal.loads(path.read_bytes())
        return table if isinstance(table, dict) else {}
    except FileNotFoundError:
        return {}
    except Exception as exc:  # a truncated or foreign file: start empty, rewritten at exit
        log.info("regex table %s unreadable (%s); starting empty", path, exc)
        return {}


def _compile(p, flags=0):
    """``re._compiler.compile``: replayed from the table, or compiled and recorded."""
    key = (p, flags)
    # What marshal writes back as it was; DEBUG compilations print, so they are never replayed.
    storable = type(p) in (str, bytes) and type(flags) is int and not flags & _DEBUG
    entry = _state["table"].get(key) if storable else None
    if entry is not None:
        try:
            pattern = _state["sre"].compile(p, *entry)
            _state["used"].add(key)
            return pattern
        except Exception:  # invalid code from a damaged table: forget it and compile as re would
            _state["table"].pop(key, None)
    compiled = _state["original"](p, flags)
    if storable and len(_state["new"]) < MAX_ENTRIES:
        _record(key, compiled)
    return compiled


def _record(key: tuple, compiled) -> None:
    from re import _compiler, _parser

    p, flags = key
    try:
        parsed = _parser.parse(p, flags)
        code = [int(op) for op in _compiler._code(parsed, flags)]  # opcodes are int subclasses marshal refuses
        groupindex = dict(parsed.state.groupdict)
        indexgroup = [None] * parsed.state.groups
        for name, i in groupindex.items():
            indexgroup[i] = name
        entry = (flags | parsed.state.flags, code, parsed.state.groups - 1, groupindex, tuple(indexgroup))
        if _state["sre"].compile(p, *entry) == compiled:  # the replay is what re itself made
            with _lock:  # a poll compiles from several threads; save() copies under the same lock
                _state["new"][key] = entry
    except Exception as exc:  # an internal re changed shape: this pattern is simply not kept
        log.debug("regex %r not kept: %s", p, exc)


def save() -> None:
    """Write the table back if this process compiled patterns it did not hold (atomic replace)."""
    if not _state or not _state["new"]:
        return
    with _lock:
        table, used, new = _state["table"], set(_state["used"]), dict(_state["new"])
    if len(table) + len(new) <= MAX_ENTRIES:
        merged = {**table, **new}
    else:  # what this run used or compiled, up to the bound: patterns of past data age out
        merged = dict(list({**{k: table[k] for k in used if k in table}, **new}.items())[:MAX_ENTRIES])
    path: Path = _state["path"]
    tmp = None
    try:
        import tempfile

        data = marshal.dumps(merged)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".regex-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
        _state["table"], _state["new"] = merged, {}
        prefix = path.name.rsplit("-", 1)[0]
        for older in path.parent.glob(prefix + "-*.marshal"):  # this command's table for another Python
            if older != path and len(older.name) == len(path.name):
                older.unlink(missing_ok=True)
    except (OSError, ValueError) as exc:  # a read-only cache only costs the speed-up
        log.info("regex table not written to %s: %s", path.parent, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def uninstall() -> None:
    """Back to re's own compiler (tests)."""
    with _lock:
        if _state:
            from re import _compiler

            _compiler.compile = _state["original"]
            atexit.unregister(save)
            _state.clear()
