"""Dedup index at corpus scale: speed, memory, recall and false positives on a synthetic corpus.

    python benchmarks/dedup.py [--docs 200000] [--seed 1] [--compare 20000] [--ahead 1] [--interleave] [--tracemalloc]

The corpus: Zipf-distributed pseudo-words in sentences and paragraphs of 300–600 words,
spread over 90 days, with a headline line. Planted among them:

* near-duplicates (6 %) of an earlier document, each with one edit: word substitutions
  (3 %), an inserted paragraph, truncation to 80 %, or another site's headline, byline
  and footer;
* same-event pairs (3 %): a second, independently written article that shares the
  event's names (in title and text) and one quoted sentence with an earlier one.

Timed: ``DedupIndex.decide_and_add_many`` on batches of ``BATCH`` (50) articles, as the
pipeline calls it for one feed's new articles: normalisation and tokenisation, content
hash, shingling, sketch, story terms, LSH look-up, clustering and insertion. Each batch is
generated before the timer starts, by default just before its call: generating a batch
(numpy and Python work on fresh objects) evicts much of the index from the CPU caches, as
fetching and extraction do between two feeds of a poll. ``--ahead K`` generates K batches at
a time and indexes them back to back, as an import or a reprocess does: ~15 % faster.
Not timed: generating the texts, ``flush`` (writing shards: the pipeline does it once per
feed batch), and the one-time table builds and kernel loading (or first compilation) done
before the first document (``warm_up``, reported as ``warm_up_seconds``). Both wall-clock and
CPU time are reported: on a shared machine the CPU time of this process is the steadier figure.
One core (the kernels are single-threaded).

Then a second index is fed the first ``--compare`` documents one at a time (``decide`` +
``add``, the path of a single article) and its decisions must be those of the batched
index (``one_by_one_decisions_differing``); its speed is compared with the batched
index's on the same documents (``batch_docs_per_s_on_those``). With ``--interleave`` the
second index takes each batch right after the first, as earlier versions of this
benchmark did: each path then evicts the other's data from the CPU caches, which costs
the batched path about 15 % (a colder figure, closer to a poll where fetching and
extraction run between batches).

Memory: ``DedupIndex.nbytes`` divided by the number of documents: the per-document
numpy columns and LSH slots with their allocated capacity, the packed story window
(numpy arrays only: merged days and the fixed-capacity buffer of recent documents) and
~100 bytes per overflow entry. Not counted: the story-window kernel's scratch counts
(allocated per call, a few bytes per document of the window), the buffer of documents waiting
for ``flush`` (bounded by one batch in the pipeline; here never flushed) and the
interpreter. ``--tracemalloc`` also measures the whole Python heap (slower, and that
includes the benchmark's own bookkeeping and the unflushed buffer).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import sys
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.dedup_index import DedupIndex  # noqa: E402
from storage.local import LocalStore  # noqa: E402

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
EDITS = ("substitute", "insert", "truncate", "boilerplate")


class Corpus:
    """Deterministic documents: document i is regenerated from seed i when a copy needs it."""

    def __init__(self, seed: int, vocabulary: int = 40_000):
        rng = np.random.default_rng(seed)
        lengths = rng.integers(3, 11, vocabulary)
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
        self.words = ["".join(rng.choice(letters, n)) for n in lengths]
        ranks = np.arange(1, vocabulary + 1)
        weights = 1.0 / ranks**1.05
        self.cdf = np.cumsum(weights / weights.sum())
        self.seed = seed

    def _words(self, rng: np.random.Generator, count: int) -> list[str]:
        return [self.words[i] for i in np.searchsorted(self.cdf, rng.random(count))]

    def paragraphs(self, doc: int, names: list[str] | None = None) -> list[list[str]]:
        rng = np.random.default_rng((self.seed, 0, doc))
        total = int(rng.integers(300, 601))
        words = self._words(rng, total)
        if names:  # an event's names recur through an article about it
            for pos in rng.choice(total, 3 * len(names), replace=False):
                words[pos] = names[pos % len(names)]
        out, i = [], 0
        while i < total:
            size = int(rng.integers(40, 90))
            out.append(words[i : i + size])
            i += size
        return out

    def names(self, event: int) -> list[str]:
        rng = np.random.default_rng((self.seed, 1, event))
        return [w.capitalize() + "yan" for w in self._words(rng, 6)]


def render(title: str, paragraphs: list[list[str]], header: list[str] = (), footer: list[str] = ()) -> str:
    lines = [title, *header]
    for para in paragraphs:
        sentences = [" ".join(para[i : i + 14]).capitalize() + "." for i in range(0, len(para), 14)]
        lines.append(" ".join(sentences))
    return "\n".join([*lines, *footer])


def edit(corpus: Corpus, paragraphs: list[list[str]], kind: str, rng: np.random.Generator) -> tuple[list[list[str]], list[str], list[str]]:
    paras = [list(p) for p in paragraphs]
    header: list[str] = []
    footer: list[str] = []
    if kind == "substitute":
        for para in paras:
            for pos in np.flatnonzero(rng.random(len(para)) < 0.03):
                para[pos] = corpus._words(rng, 1)[0]
    elif kind == "insert":
        paras.insert(int(rng.integers(0, len(paras) + 1)), corpus._words(rng, 50))
    elif kind == "truncate":
        flat = [w for p in paras for w in p]
        keep = int(len(flat) * 0.8)
        paras = [flat[i : i + 60] for i in range(0, keep, 60)]
    else:
        header = ["By " + " ".join(corpus._words(rng, 2)).title(), "Published " + " ".join(corpus._words(rng, 3))]
        footer = [" ".join(corpus._words(rng, 12)).capitalize() + ".", "Follow us for more news."]
    return paras, header, footer


BATCH = 50  # articles per decide_and_add_many call: a large feed poll; imports pass more


def documents(corpus: Corpus, docs: int, seed: int, planted: dict):
    """Yield ``(id, text, title, when)``, recording planted copies and same-event pairs."""
    rng = np.random.default_rng(seed + 1)
    recent_events: list[int] = []  # first articles of recent events
    planted_dup, planted_kind, planted_event = planted["dup"], planted["kind"], planted["event"]
    for i in range(docs):
        doc_id = f"{i:020x}"
        when = START + timedelta(seconds=int(i * 90 * 86400 / max(docs, 1)))
        roll = rng.random()
        if roll < 0.06 and i > 10:
            source = int(rng.integers(max(0, i - 20_000), i))
            while f"{source:020x}" in planted_dup or f"{source:020x}" in planted_event:
                source = int(rng.integers(max(0, i - 20_000), i))  # copy an article, not a copy
            kind = EDITS[int(rng.integers(len(EDITS)))]
            base = corpus.paragraphs(source, corpus.names(source) if is_event(source) else None)
            if is_event(source):
                base.insert(1, quote_of(corpus, source))
            paras, header, footer = edit(corpus, base, kind, rng)
            text = render(" ".join(corpus._words(rng, 8)).capitalize(), paras, header, footer)
            planted_dup[doc_id] = f"{source:020x}"
            planted_kind[doc_id] = kind
        elif roll < 0.09 and recent_events:
            first = recent_events[int(rng.integers(len(recent_events)))]  # within a few days
            text = event_article(corpus, i, first, rng)
            planted_event[doc_id] = f"{first:020x}"
        elif is_event(i):
            text = event_article(corpus, i, i, rng)
            recent_events.append(i)
            del recent_events[:-50]
        else:
            text = render(" ".join(corpus._words(rng, 9)).capitalize(), corpus.paragraphs(i))
        yield doc_id, text, text.split("\n", 1)[0], when


def run(docs: int, seed: int, measure_heap: bool, compare: int = 20_000, interleave: bool = False, ahead: int = 1) -> dict:
    """Index the corpus with ``decide_and_add_many`` in batches of BATCH, timed alone; then feed
    the first ``compare`` documents, one at a time (``decide`` + ``add``), to a second index
    whose decisions must be the same. ``interleave``: the second index takes every batch right
    after the first (the one-by-one path then evicts the batched index from the CPU caches)."""
    corpus = Corpus(seed)
    planted: dict[str, dict[str, str]] = {"dup": {}, "kind": {}, "event": {}}
    batched = DedupIndex(LocalStore(Path("/tmp") / f"newswatch-dedup-bench-{seed}"))
    single = DedupIndex(LocalStore(Path("/tmp") / f"newswatch-dedup-bench-{seed}-single"))
    found: dict[str, tuple[str | None, str]] = {}
    first_decisions: list = []  # the batched decisions on the first ``compare`` documents
    singles: list = []  # the one-by-one decisions on them
    timing = {"batch": [0.0, 0.0], "single": [0.0, 0.0], "batch_at_compare": [0.0, 0.0]}  # wall, CPU
    warm_up_seconds = warm_up()
    if measure_heap:
        tracemalloc.start()
    stream = documents(corpus, docs, seed, planted)
    done = 0
    chunk: list = []
    while True:
        if not chunk:  # ``ahead`` batches generated before any timing starts (1: each just before its call)
            chunk = [b for b in (list(itertools.islice(stream, BATCH)) for _ in range(ahead)) if b][::-1]
            if not chunk:
                break
        batch = chunk.pop()
        started, started_cpu = time.perf_counter(), time.process_time()
        decisions = batched.decide_and_add_many(batch)
        timing["batch"][0] += time.perf_counter() - started
        timing["batch"][1] += time.process_time() - started_cpu
        if done < compare:
            first_decisions += decisions[: compare - done]
            if interleave:
                singles += _one_by_one(single, batch[: compare - done], timing["single"])
        done += len(batch)
        if done <= compare:
            timing["batch_at_compare"] = list(timing["batch"])
        for (doc_id, *_), decision in zip(batch, decisions):
            found[doc_id] = (decision.duplicate_of, decision.cluster)
    heap = tracemalloc.get_traced_memory()[0] if measure_heap else None
    if measure_heap:
        tracemalloc.stop()
    wall, cpu = timing["batch"]
    result = score(docs, wall, batched, found, planted["dup"], planted["event"], heap)
    result["batch_size"] = BATCH
    result["warm_up_seconds"] = warm_up_seconds  # before any timing: the kernels' loading (or first compilation)
    result["batches_generated_ahead"] = ahead
    result["docs_per_cpu_s"] = docs / cpu
    result["us_per_doc_batch"] = wall / docs * 1e6
    result["cpu_us_per_doc_batch"] = cpu / docs * 1e6
    compared = len(first_decisions)
    if compared:
        if not interleave:  # the same first documents again (generation is deterministic), alone
            again = documents(corpus, docs, seed, {"dup": {}, "kind": {}, "event": {}})
            while len(singles) < compared and (batch := list(itertools.islice(again, min(BATCH, compared - len(singles))))):
                singles += _one_by_one(single, batch, timing["single"])
        result["one_by_one_compared_docs"] = compared
        result["one_by_one_docs_per_s"] = compared / timing["single"][0]
        result["one_by_one_docs_per_cpu_s"] = compared / timing["single"][1]
        result["batch_docs_per_s_on_those"] = compared / timing["batch_at_compare"][0]
        result["one_by_one_decisions_differing"] = sum(a != b for a, b in zip(first_decisions, singles))
    result.update(feature_cost(corpus, min(docs, 2000)))
    for kind in EDITS:
        copies = [c for c, k in planted["kind"].items() if k == kind]
        caught = [c for c in copies if found[c][0]]
        result[f"recall_{kind}"] = len(caught) / max(1, len(copies))
    return result


def _one_by_one(index: DedupIndex, batch: list, timing: list[float]) -> list:
    """``decide`` + ``add`` per document (the path of single articles), timed into ``timing``."""
    started, started_cpu = time.perf_counter(), time.process_time()
    decisions = []
    for doc_id, text, title, when in batch:
        decision = index.decide(doc_id, text, title=title, when=when)
        index.add(doc_id, decision, text=text, title=title, when=when)
        decisions.append(decision)
    timing[0] += time.perf_counter() - started
    timing[1] += time.process_time() - started_cpu
    return decisions


def decisions_of(docs: int, seed: int = 1) -> dict[str, np.ndarray]:
    """Decisions of ``decide_and_add_many`` on the first ``docs`` documents, as compact arrays
    (document ids are ``f"{i:020x}"``, so an id is stored as its number i).

    tests/test_dedup_index.py compares them with the decisions recorded from the code at git
    commit 11de047, before the numba kernels (``--record-decisions``): the compiled kernels must decide the same."""
    corpus, planted = Corpus(seed), {"dup": {}, "kind": {}, "event": {}}
    index = DedupIndex(LocalStore(Path("/tmp") / f"newswatch-dedup-decisions-{seed}"))
    out: dict[str, list] = {"duplicate_of": [], "cluster": [], "exact": [], "similarity_16ths": []}
    digest = hashlib.sha256()
    stream = documents(corpus, docs, seed, planted)
    while batch := list(itertools.islice(stream, BATCH)):
        for decision in index.decide_and_add_many(batch):
            out["duplicate_of"].append(int(decision.duplicate_of, 16) if decision.duplicate_of else -1)
            out["cluster"].append(int(decision.cluster, 16))
            out["exact"].append(decision.exact)
            out["similarity_16ths"].append(round(decision.similarity * 16))
            digest.update(bytes.fromhex(decision.content_hash))
    arrays = {k: np.array(v, np.int32 if k != "exact" else bool) for k, v in out.items()}
    arrays["content_hashes_sha256"] = np.frombuffer(digest.digest(), np.uint8)
    return arrays


def warm_up() -> float:
    """Build the once-per-process tables (character classes, hash powers, gazetteer names) and
    load every compiled kernel, compiling it on the first run after a change (~12 s; then ~1 s
    from the cache), by running a throwaway index through every path: look-ups, insertions, a
    rehash, story-window merges, and ``decide``/``add``. Returns the seconds it took."""
    import tempfile

    from extractors import fingerprint as fp
    from extractors.fingerprint_batch import warm_up as load_kernels
    from extractors.story_batch import warm_up as load_story_kernel

    started = time.perf_counter()
    fp.fingerprint("warm up the tables")
    load_kernels()
    load_story_kernel()
    fp.story_terms("Warm up", "the gazetteer names")
    corpus = Corpus(0, vocabulary=2_000)
    with tempfile.TemporaryDirectory() as scratch:
        index = DedupIndex(LocalStore(Path(scratch)))
        items = [
            (f"{i:020x}", render(f"Warm up {i}", corpus.paragraphs(i)[:1]), f"Warm up {i}", START + timedelta(hours=i // 20))
            for i in range(1_300)  # past the first rehash (~470 documents) and a window merge (1,024)
        ]
        for at in range(0, len(items), BATCH):
            index.decide_and_add_many(items[at : at + BATCH])
        doc_id, (_, text, title, when) = "f" * 20, items[0]  # one more document, through the single path
        index.add(doc_id, index.decide(doc_id, text, title=title, when=when), text=text, title=title, when=when)
    return time.perf_counter() - started


def feature_cost(corpus: Corpus, count: int) -> dict[str, float]:
    """CPU microseconds per document of the text work alone: the compiled batch paths the
    index uses (``*_many``) and the Python references they are bit-identical to."""
    from extractors import fingerprint as fp
    from extractors.fingerprint_batch import fingerprint_many
    from extractors.story_batch import story_term_arrays_many

    texts = [render("Title words here", corpus.paragraphs(i)) for i in range(count)]
    costs: dict[str, float] = {}
    started = time.process_time()
    for at in range(0, count, BATCH):
        fingerprint_many(texts[at : at + BATCH])
    costs["cpu_us_per_doc_fingerprint_many_only"] = (time.process_time() - started) / count * 1e6
    started = time.process_time()
    for at in range(0, count, BATCH):
        chunk = texts[at : at + BATCH]
        story_term_arrays_many([text[: text.index("\n")] for text in chunk], chunk)
    costs["cpu_us_per_doc_story_terms_many_only"] = (time.process_time() - started) / count * 1e6
    for name, work in (  # the Python references, one text at a time
        ("fingerprint", fp.fingerprint),  # normalise, hash tokens, shingles, sketch, sha256
        ("story_terms", lambda text: fp.term_ids(fp.story_terms(text[: text.index("\n")], text))),
    ):
        started = time.process_time()
        for text in texts:
            work(text)
        costs[f"cpu_us_per_doc_{name}_only"] = (time.process_time() - started) / count * 1e6
    return costs


def is_event(doc: int) -> bool:
    """3 % of documents report an event that a later, different article covers too."""
    return doc * 2654435761 % 1000 < 30


def quote_of(corpus: Corpus, event: int) -> list[str]:
    return corpus._words(np.random.default_rng((corpus.seed, 2, event)), 12)


def event_article(corpus: Corpus, doc: int, event: int, rng: np.random.Generator) -> str:
    """An article on ``event``: its names in title and text, its quoted sentence, own wording."""
    names = corpus.names(event)
    paras = corpus.paragraphs(doc, names)
    paras.insert(1, quote_of(corpus, event))
    return render(" ".join(names[:3] + corpus._words(rng, 5)), paras)


def score(docs, elapsed, index, found, planted_dup, planted_event, heap) -> dict:
    def original(doc_id: str) -> str:
        while doc_id in planted_dup:
            doc_id = planted_dup[doc_id]
        return doc_id

    hits = sum(1 for c, o in planted_dup.items() if found[c][0] and original(found[c][0]) == original(o))
    flagged = [d for d, (dup, _) in found.items() if dup]
    false = [d for d in flagged if d not in planted_dup]
    event_false = [d for d in planted_event if found[d][0]]
    event_clustered = sum(1 for d, first in planted_event.items() if found[d][1] == found[first][1])
    return {
        "docs": docs,
        "docs_per_s": docs / elapsed,
        "bytes_per_doc": sum(index.nbytes().values()) / docs,
        "bytes_per_doc_rows+lsh": (index.nbytes()["rows"] + index.nbytes()["bands"]) / docs,
        "bytes_per_doc_story_window": index.nbytes()["window"] / docs,
        "heap_bytes_per_doc": heap / docs if heap else None,
        "planted_duplicates": len(planted_dup),
        "recall": hits / max(1, len(planted_dup)),
        "false_positives": len(false),
        "false_positive_rate": len(false) / max(1, docs - len(planted_dup)),
        "same_event_pairs": len(planted_event),
        "same_event_false_positives": len(event_false),
        "same_event_clustered": event_clustered / max(1, len(planted_event)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap (slower)")
    parser.add_argument("--compare", type=int, default=20_000, metavar="N",
                        help="documents also fed one by one to a second index, whose decisions must be the same (0: none)")
    parser.add_argument("--ahead", type=int, default=1, metavar="K",
                        help="batches generated at a time, then indexed back to back (1: generation between every two calls)")
    parser.add_argument("--interleave", action="store_true",
                        help="feed the second index batch by batch between the timed calls (colder caches for both)")
    parser.add_argument("--record-decisions", metavar="NPZ", help="only save the decisions on --docs documents (see decisions_of)")
    args = parser.parse_args()
    if args.record_decisions:
        np.savez_compressed(args.record_decisions, **decisions_of(args.docs, args.seed))
        return
    result = run(args.docs, args.seed, args.tracemalloc, args.compare, args.interleave, max(1, args.ahead))
    for key, value in result.items():
        print(f"{key:32s} {value:.4g}" if isinstance(value, float) else f"{key:32s} {value}")


if __name__ == "__main__":
    main()
