"""Compaction of the write-once state: each month's segments folded into one base object.

Run by ``newswatch store compact`` and the scheduled ``maintenance`` flow. Safe beside a
running poll and another compaction (``storage.segments``): a base is written create-only
before anything it covers is deleted, and a segment written meanwhile is left for next time.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from storage import dedup_shards, seen_index, segments, site_memory
from storage.base import ObjectStore
from storage.state import quarantine

log = logging.getLogger("newswatch.state")

KINDS = {"seen": seen_index.compact, "dedup": lambda store, month: dedup_shards.compact(store, month, quarantine),
         "sites": site_memory.compact}  # for sites, a "month" is a host


@dataclass
class CompactReport:
    months: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def segments(self) -> int:
        return sum(m["segments"] for m in self.months)

    def to_dict(self) -> dict:
        return {"months": self.months, "segments": self.segments, "seconds": round(self.seconds, 3)}

    def to_text(self) -> str:
        written = [m for m in self.months if m["base"]]
        lines = [f"compacted {self.segments} segment(s) into {len(written)} base object(s) in {self.seconds:.1f} s"]
        lines += [f"  {m['kind']} {m['month']}: {m['segments']} segment(s) → {m['base']}" for m in written]
        lines += [f"  {m['kind']} {m['month']}: another compaction got there first" for m in self.months if m["lost_race"]]
        return "\n".join(lines)


def compact_store(store: ObjectStore, kinds: list[str] | None = None) -> CompactReport:
    """Compact every month of every kind of segmented state (seen URLs, dedup index, site memory, retry queue)."""
    started = time.perf_counter()
    report = CompactReport()
    for kind in kinds or list(KINDS):
        for month in segments.months_of(store, kind):
            done = KINDS[kind](store, month)
            report.months.append({"kind": kind, "month": month, "segments": done.segments, "base": done.base,
                                  "deleted": done.deleted, "lost_race": done.lost_race})
    report.months += _retry_queue(store)
    report.seconds = time.perf_counter() - started
    log.info("%s", report.to_text())
    return report


def _retry_queue(store: ObjectStore) -> list[dict]:
    """The retry queue (``storage.retry_queue``) keeps its own write-once segments and base."""
    from storage import retry_queue

    done = retry_queue.compact(store)
    return [{"kind": "retry", "month": "", "segments": done["segments_folded"], "base": "state/retry/base-…" if done["segments_folded"] else None,
             "deleted": done["segments_folded"] + done["bases_removed"], "lost_race": False}]
