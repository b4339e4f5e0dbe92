"""Dedup decisions through the store vs one index kept in memory, on benchmarks/dedup.py's corpus.

    python benchmarks/dedup_roundtrip.py [--docs 30000]

Both indexes get the same batches. The persisted one writes a segment per batch, is dropped and
loaded again from the store every 40 batches (a new run), and the store is compacted every 120:
any difference in a decision is a fault of the segments, the loading or the compaction. It loads
12 months (the corpus spans 90 days), so that no document is out of reach of either index.
The LAST line is one JSON object: docs, differ (must be 0), reloads, seconds.
"""
import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.dedup import BATCH, Corpus, documents  # noqa: E402
from storage.compact import compact_store  # noqa: E402
from storage.dedup_index import DedupIndex  # noqa: E402
from storage.local import LocalStore  # noqa: E402



def run(docs: int, root: Path) -> dict:
    store = LocalStore(root / "persisted")
    memory = DedupIndex(LocalStore(root / "memory"))  # never flushed: everything stays in memory
    persisted = DedupIndex(store, months=12)
    stream = documents(Corpus(1), docs, 1, {"dup": {}, "kind": {}, "event": {}})
    differ = total = reloads = batches = 0
    started = time.perf_counter()
    while batch := list(itertools.islice(stream, BATCH)):
        expected, got = memory.decide_and_add_many(batch), persisted.decide_and_add_many(batch)
        differ += sum(a != b for a, b in zip(expected, got))
        total += len(batch)
        persisted.flush(f"batch-{batches}")
        batches += 1
        if batches % 40 == 0:  # a new run: everything from the store
            if batches % 120 == 0:
                compact_store(store)
            persisted = DedupIndex(store, months=12)
            persisted.load_recent(batch[-1][3])
            reloads += 1
    return {"docs": total, "differ": differ, "reloads": reloads, "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=30_000)
    with tempfile.TemporaryDirectory(prefix="nw-dedup-roundtrip-") as tmp:
        result = run(parser.parse_args().docs, Path(tmp))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
