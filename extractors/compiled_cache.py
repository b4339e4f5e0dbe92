"""An on-disk cache of compiled data (the gazetteer, langdetect profiles) across processes.

Parsing config/topics.yaml and compiling it costs ~0.3 s, and loading langdetect's JSON profiles
~0.1–0.2 s: most of the start time of a one-page ``newswatch extract``. Unpickling the compiled
objects costs a few milliseconds. Each entry is keyed by everything the compiled object depends
on — the size and modification time (ns) of its data files and of the modules that define its
classes — plus the Python version, so an edit of the data or of the code is never answered with
a stale object. The loaders (``load_gazetteer``, the language module's profile factory) keep their
signatures and results; only where the object comes from changes.

A stale or unreadable entry is rebuilt; a cache directory that cannot be written (a read-only
home) only costs the speed-up. The directory is ``NEWSWATCH_CACHE_DIR``, else
``$XDG_CACHE_HOME/newswatch``, else ``~/.cache/newswatch`` — the user's own directory: pickles
are only ever read from there.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO, Callable, NamedTuple, TypeVar

log = logging.getLogger("newswatch.cache")

T = TypeVar("T")
EXTRACTORS = Path(__file__).resolve().parent
KEEP_ENTRIES = 16  # per kind: each edit of a data file leaves one entry behind


def cache_dir() -> Path:
    explicit = os.environ.get("NEWSWATCH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "newswatch"


def _stamp(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def cache_key(name: str, depends_on: Iterable[Path]) -> str:
    """A digest of ``name`` and the state of every file the compiled object depends on."""
    parts = [name, sys.version, sys.byteorder, str(pickle.HIGHEST_PROTOCOL)] + [_stamp(Path(p)) for p in depends_on]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]


class Codec(NamedTuple):
    """How one kind of compiled object is written to a cache file and read back from it."""

    suffix: str  # the entries' file extension
    dump: Callable[[Any, BinaryIO], None]
    load: Callable[[BinaryIO], Any]  # raises on a truncated or foreign file (the entry is then rebuilt)
    source: str = __file__  # the module that defines the format: editing it invalidates the entries


PICKLE = Codec("pickle", lambda value, fh: pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL), pickle.load)


def cached(kind: str, name: str, depends_on: Iterable[Path], build: Callable[[], T], codec: Codec = PICKLE) -> T:
    """``build()``, or its stored result from an earlier process when none of ``depends_on`` changed."""
    entry = cache_dir() / f"{kind}-{cache_key(name, [*depends_on, Path(codec.source)])}.{codec.suffix}"
    try:
        with open(entry, "rb") as fh:
            return codec.load(fh)
    except FileNotFoundError:
        pass
    except Exception as exc:  # a truncated or foreign file: rebuild, and overwrite it below
        log.info("cache entry %s unreadable (%s); rebuilding", entry, exc)
    value = build()
    _write(entry, value, kind, codec)
    return value


def _write(entry: Path, value, kind: str, codec: Codec) -> None:
    tmp = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=f".{kind}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            codec.dump(value, fh)
        os.replace(tmp, entry)  # readers see the whole file or none (a reader's memory map keeps the old one)
        tmp = None
        _prune(entry, kind, codec.suffix)
    except (OSError, ValueError, pickle.PicklingError, TypeError, AttributeError) as exc:
        log.info("cache entry not written to %s: %s", entry.parent, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _prune(keep: Path, kind: str, suffix: str) -> None:
    """Keep the newest KEEP_ENTRIES entries of ``kind``; drop its entries in an older format (a
    7 MB langdetect pickle that a table replaced would otherwise stay on disk for good)."""
    entry_name = re.compile(rf"{re.escape(kind)}-[0-9a-f]{{32}}\.(\w+)")
    current, outdated = [], []
    for path in keep.parent.iterdir():
        match = entry_name.fullmatch(path.name)
        if match and path != keep:
            (current if match.group(1) == suffix else outdated).append(path)
    current.sort(key=_mtime, reverse=True)
    for old in outdated + current[KEEP_ENTRIES - 1:]:
        old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # pruned meanwhile by another process
        return 0.0


def gazetteer_inputs(path: str | Path) -> list[Path]:
    """What a compiled gazetteer depends on: its file, the YAML next to it, the gazetteer modules."""
    path = Path(path).resolve()
    return [path] + sorted(p for p in path.parent.glob("*.y*ml") if p != path) + sorted(EXTRACTORS.glob("gazetteer*.py"))
