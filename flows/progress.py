"""Progress bars for long loops, shown only to a person at a terminal.

The command line turns them on (``enable()``) when stderr is a terminal and ``--quiet`` is not
given; everywhere else — Prefect workers, ``newswatch serve``, tests, pipes, cron mail — ``track``
returns the iterable untouched, so a log file never fills with carriage returns. The bar goes to
stderr (tqdm), so ``--format json`` output on stdout stays one clean value.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_enabled = False
_lock = threading.Lock()


def enable(on: bool = True) -> None:
    global _enabled
    _enabled = on


def enabled() -> bool:
    return _enabled


def wanted(quiet: bool = False, stream=None) -> bool:
    """A bar is wanted when the stream (stderr) is a terminal and the user did not ask for quiet."""
    stream = stream or sys.stderr
    try:
        return not quiet and stream.isatty()
    except (AttributeError, ValueError):
        return False


def track(items: Iterable[T], *, total: int | None = None, desc: str = "", unit: str = "item") -> Iterator[T]:
    """``items``, with a bar on stderr when enabled."""
    if not _enabled:
        yield from items
        return
    from tqdm import tqdm

    with tqdm(items, total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True) as bar:
        yield from bar


class Counter:
    """A bar advanced by hand (``step()``), for work that finishes out of order (feeds in threads)."""

    def __init__(self, total: int, desc: str = "", unit: str = "item"):
        self._bar = None
        if _enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True)

    def step(self, n: int = 1, note: str | None = None) -> None:
        if self._bar is None:
            return
        with _lock:
            self._bar.update(n)
            if note:
                self._bar.set_postfix_str(note, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> "Counter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
