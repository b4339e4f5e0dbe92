"""``store check`` over the state: every JSON state object must read (feed states, retry-queue
changes, story and template memories); a damaged one is reported, and set aside by ``--repair``.

State is rebuilt from the store when it is missing (a fresh feed state re-fetches its feed, a
fresh retry queue forgets a few passing failures), but a damaged object read silently as missing
changes what commands show: ``feeds`` dropped the feed, the digest lost its outlet's name and
held-back items came back as new. Binary segments are checked by their own readers, which set a
damaged one aside when a run loads it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from extractors.errors import NotFound
from storage.base import ObjectStore

if TYPE_CHECKING:  # pragma: no cover
    from storage.check import CheckReport

STATE_PREFIX = "state/"
SKIPPED_PREFIXES = ("state/journal/", "state/quarantine/")  # journals have their own check; quarantine is set aside


def check_state_objects(store: ObjectStore, report: "CheckReport", *, repair: bool = False) -> None:
    """Add a ``damaged-state`` problem for each JSON state object that does not parse."""
    from storage.state import quarantine

    for key in sorted(store.list(STATE_PREFIX)):
        if not key.endswith(".json") or key.startswith(SKIPPED_PREFIXES):
            continue
        try:
            _check_shape(key, json.loads(store.get(key)))
        except NotFound:
            continue  # removed since listing (a compaction)
        except (ValueError, UnicodeDecodeError, TypeError) as exc:
            problem = report.add("damaged-state", key, f"unreadable ({str(exc)[:60]}); a run would read it as missing")
            if repair:
                quarantine(store, key, exc)
                problem.repaired = True
                problem.detail += "; repaired: set aside under state/quarantine/, rebuilt by the next run"
                report.repaired += 1


def _check_shape(key: str, value) -> None:
    """Every JSON state object is an object; a feed state has the fields and types a run reads
    (``[]`` or ``"x"`` in a feed state stopped the digest and ``feeds`` with an AttributeError)."""
    from storage.state import FeedState

    if not isinstance(value, dict):
        raise ValueError(f"a JSON {type(value).__name__}, not an object")
    if key.startswith("state/feeds/"):
        FeedState.from_dict(value)
