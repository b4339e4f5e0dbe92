"""Site memory in the store: write-once observations per batch, folded into a base by compaction.

    state/sites/<host>/seg-<time>-<batch>-<n>.bin   one batch's pages of the host: what ``SiteMemory`` observes
    state/sites/<host>/base-<gen>.bin               the host's ``SiteMemory`` after every segment it covers
    state/sites/<host>.json                         the earlier layout: the memory, rewritten whole (read, folded in)

Before, every feed batch read the host's memory, observed its pages and wrote the whole object
back under compare-and-swap: up to ~240 KB at the memory's caps (4,000 fingerprints, 1,500
paths, 200 document ids), retried when two runs met. Now a batch writes only what it observed —
each page's id, its distinct paragraph fingerprints and its block paths (``site_blocks``),
zlib-compressed JSON, a few KB — create-only, with no read. A reader replays the segments in
write order over the newest base (``SiteMemory.observe_fingerprints``; a page observed twice,
by two overlapping runs, counts once), and ``newswatch store compact`` folds them into a new
base as the other state (``storage.segments``). The memory a reader gets is bounded by the
``SiteMemory`` caps as before; what a batch writes is bounded by its pages.
"""

from __future__ import annotations

import json
import zlib
from typing import NamedTuple

from extractors.boilerplate import SiteMemory, paragraph_fingerprint
from storage import layout, segments
from storage.base import ObjectStore

KIND = "sites"


def host_name(host: str) -> str:
    return layout.safe_id(host.lower())


class Observations(NamedTuple):
    """One batch's pages of a host as a segment (``header``, ``body``) and as the ``pages`` a
    reader replays from it (``replay``): the run's own memory learns from the same fingerprints,
    so it is the memory a reader of the store gets, and no paragraph is fingerprinted twice."""

    header: dict
    body: bytes
    pages: list


def encode_observations(documents: list[tuple]) -> Observations:
    """A segment of one batch's pages of a host: ``documents`` are (doc id, paragraphs) or
    (doc id, paragraphs, site_blocks). Pure CPU (fingerprints, compression): a batch does it
    before its state writes start, as it computes its dedup decisions."""
    pages = []
    for doc_id, paragraphs, *blocks in documents:
        fingerprints = sorted({paragraph_fingerprint(p) for p in paragraphs} - {""})
        pages.append([doc_id, "".join(fingerprints), [list(b) for b in (blocks[0] if blocks else ())]])
    body = zlib.compress(json.dumps(pages, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)
    return Observations({"v": 1, "pages": len(pages)}, body, pages)


def write_observations(store: ObjectStore, host: str, label: str, documents: list[tuple],
                       encoded: Observations | None = None) -> str | None:
    """One batch's pages of ``host`` as a new write-once segment (``encoded``: what
    ``encode_observations`` made of them, if done already). Returns the key written."""
    if not documents:
        return None
    encoded = encoded or encode_observations(documents)
    return segments.write_segment(store, KIND, host_name(host), label, encoded.header, encoded.body)


def replay(memory: SiteMemory, encoded: Observations) -> None:
    """What a reader of the segment learns (``load``), learnt by an open memory."""
    _replay(memory, encoded.pages)


def _observations(header: dict, body) -> list:
    if header.get("v") != 1:
        raise ValueError(f"site memory segment: unknown version {header.get('v')}")
    return json.loads(zlib.decompress(bytes(body)))


def _replay(memory: SiteMemory, pages: list) -> None:
    for doc_id, fingerprints, blocks in pages:
        memory.observe_fingerprints(str(doc_id), [fingerprints[i:i + 16] for i in range(0, len(fingerprints), 16)],
                                    [tuple(b) for b in blocks])


def _memory_of(state: segments.MonthState) -> SiteMemory:
    memory = SiteMemory()
    if state.legacy is not None:
        memory = SiteMemory.from_dict(json.loads(state.legacy[1]))
    if state.base is not None:
        memory = SiteMemory.from_dict(json.loads(bytes(state.base[2])))
    for _key, header, body in state.segments:
        _replay(memory, _observations(header, body))
    return memory


def load(store: ObjectStore, host: str) -> SiteMemory:
    """The host's memory: newest base (or the earlier whole object), then every newer segment."""
    from storage.state import quarantine

    for _attempt in range(3):
        state = segments.read_month(store, KIND, host_name(host), lambda key, exc: quarantine(store, key, exc))
        try:
            return _memory_of(state)
        except (ValueError, KeyError, TypeError, zlib.error) as exc:  # a damaged object: aside, not in every poll's way
            damaged = _damaged(state)
            if not damaged:
                break
            quarantine(store, damaged, exc)
    return SiteMemory()


def _damaged(state: segments.MonthState) -> str:
    """The first object of ``state`` that does not decode."""
    if state.legacy is not None:
        try:
            SiteMemory.from_dict(json.loads(state.legacy[1]))
        except (ValueError, KeyError, TypeError):
            return state.legacy[0]
    if state.base is not None:
        try:
            SiteMemory.from_dict(json.loads(bytes(state.base[2])))
        except (ValueError, KeyError, TypeError):
            return state.base[0]
    for key, header, body in state.segments:
        try:
            _replay(SiteMemory(), _observations(header, body))
        except (ValueError, KeyError, TypeError, zlib.error):
            return key
    return ""


def compact(store: ObjectStore, host: str) -> segments.Compaction:
    """Fold a host's segments (and its earlier whole object) into a new base."""
    from storage.state import quarantine

    def merge(state: segments.MonthState) -> tuple[dict, bytes]:
        memory = _memory_of(state)
        return {"v": 1}, json.dumps(memory.to_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    return segments.compact_month(store, KIND, host, merge, lambda key, exc: quarantine(store, key, exc))
