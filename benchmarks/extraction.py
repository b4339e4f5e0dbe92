"""Article-body extraction on every gold-text set: newswatch against single extractors.

Sets: every folder under ../shared/benchmarks/ whose ground-truth.json carries ``articleBody``
(extraction/ = ScrapingHub, 181 pages; extraction-dragnet/ = 600 Dragnet pages). The metric is
the one their READMEs define: ``\\w+`` tokens, 4-token shingles compared as multisets, precision
averaged over non-empty outputs, recall over all pages, F1 of the two averages; empty outputs
are counted. Dragnet gold starts with the headline (ScrapingHub's leaves it out): every
extractor here returns the body without its headline, so all lose the same few shingles there.

Extractors, run on every page in one interleaved loop (machine load hits all alike):
  newswatch        the whole ``extract`` path: extract_document + make_record (language, relevance)
  trafilatura      trafilatura.extract with its defaults
  traf-nocomments  trafilatura.extract(include_comments=False)
  readability      readability-lxml's summary, as text

Tuning set: ScrapingHub (extraction/). Every other set is split in two halves, fixed before any
rule looked at it: a page is in the *diagnosis* half when the first byte of sha256(its id) is even,
else in the *held-out* half (``half_of``). Failure classes may be diagnosed on the diagnosis half;
the held-out half is only ever reported. Both halves are printed. docs/s is measured after a
warm-up pass (a few pages of each set) that absorbs one-time per-process costs.

    python benchmarks/extraction.py [--sets extraction,extraction-dragnet] [--limit N] [--step K]
                                    [--half diagnosis|heldout]

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "benchmarks"
DEFAULT_DATA = SHARED / "extraction"
_TOKEN = re.compile(r"\w+")


def shingles(text: str, size: int = 4) -> Counter:
    """The multiset of ``size``-token windows; a short non-empty text is one shorter shingle."""
    tokens = _TOKEN.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i:i + size]) for i in range(len(tokens) - size + 1))


def page_counts(predicted: str, truth: str) -> tuple[int, int, int]:
    """(TP, FP, FN) of one page's shingle multisets."""
    pred, true = shingles(predicted), shingles(truth)
    tp = sum((pred & true).values())
    return tp, sum(pred.values()) - tp, sum(true.values()) - tp


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    pages: int
    empty: int
    mean_page_f1: float = 0.0  # the README's stricter view: per-page F1, an empty output counts 0
    seconds: float = 0.0
    docs_per_second: float = 0.0


def score(predictions: list[str], truths: list[str], seconds: float = 0.0) -> Score:
    precisions, recalls, page_f1s, empty = [], [], [], 0
    for predicted, truth in zip(predictions, truths):
        tp, fp, fn = page_counts(predicted, truth)
        if tp + fp:
            precisions.append(tp / (tp + fp))
        else:
            empty += 1
        recalls.append(tp / (tp + fn) if tp + fn else 0.0)
        page_f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    n = len(truths)
    mean_f1 = sum(page_f1s) / n if n else 0.0
    return Score(round(p, 4), round(r, 4), round(f1, 4), n, empty, round(mean_f1, 4), round(seconds, 3),
                 round(n / seconds, 1) if seconds else 0.0)


@dataclass(frozen=True)
class Page:
    id: str
    html: str
    truth: str
    url: str = ""


def gold_sets(root: Path = SHARED) -> list[str]:
    """Names of the folders under ``root`` whose ground truth holds article text."""
    names = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        truth = folder / "ground-truth.json"
        if truth.exists():
            sample = next(iter(json.loads(truth.read_text(encoding="utf-8")).values()), {})
            if isinstance(sample, dict) and "articleBody" in sample:
                names.append(folder.name)
    return names


_PAGE_CACHE: dict[Path, list[Page]] = {}


def load_pages(data_dir: Path = DEFAULT_DATA) -> list[Page]:
    """Every page of one set, sorted by id (so subsets are stable); decompressed once per process."""
    data_dir = Path(data_dir)
    if data_dir not in _PAGE_CACHE:
        truth = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
        _PAGE_CACHE[data_dir] = [
            Page(page_id, gzip.decompress((data_dir / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace"),
                 truth[page_id]["articleBody"], truth[page_id].get("url") or "")
            for page_id in sorted(truth)]
    return _PAGE_CACHE[data_dir]


_NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def newswatch_text(html: str, url: str = "") -> str:
    """The text newswatch stores for a page: the whole extract path, language and relevance included."""
    from extractors.article import extract_document, make_record
    from extractors.errors import ExtractionError

    try:
        extracted = extract_document(html, url=url or None, now=_NOW)
    except ExtractionError:
        return ""
    record = make_record(extracted, article_id="bench", url=url or "https://bench.invalid/page", canonical_url=url,
                         source="bench", first_seen=_NOW)
    return record.text


def bare_trafilatura_text(html: str, url: str = "") -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def trafilatura_no_comments_text(html: str, url: str = "") -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False) or ""


def readability_text(html: str, url: str = "") -> str:
    from extractors.ensemble import readability_paragraphs

    return "\n".join(readability_paragraphs(html, captions=True))  # stock readability: its captions too


EXTRACTORS: dict[str, Callable[[str, str], str]] = {
    "newswatch": newswatch_text,
    "trafilatura": bare_trafilatura_text,
    "traf-nocomments": trafilatura_no_comments_text,
    "readability": readability_text,
}


@dataclass
class Run:
    name: str
    outputs: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run(pages: list[Page], extractors: dict[str, Callable[[str, str], str]]) -> dict[str, Run]:
    runs = {name: Run(name) for name in extractors}
    for page in pages:
        for name, extract in extractors.items():
            start = time.perf_counter()
            try:
                output = extract(page.html, page.url)
            except Exception as err:  # a crash is an empty output, and worth a line
                print(f"  {name} failed on {page.id[:12]}: {type(err).__name__}: {err}", file=sys.stderr)
                output = ""
            runs[name].seconds += time.perf_counter() - start
            runs[name].outputs.append(output)
    return runs


def report(pages: list[Page], runs: dict[str, Run]) -> dict:
    truths = [p.truth for p in pages]
    result: dict = {"pages": len(pages), "extractors": {}}
    for name, r in runs.items():
        result["extractors"][name] = asdict(score(r.outputs, truths, r.seconds))
    singles = {n: s["f1"] for n, s in result["extractors"].items() if n != "newswatch"}
    if "newswatch" in runs and singles:
        best = max(singles, key=singles.get)
        nw = result["extractors"]["newswatch"]
        result["best_single"] = best
        result["margin_over_best"] = round(nw["f1"] - singles[best], 4)
        if "trafilatura" in runs and runs["newswatch"].seconds:
            result["speed_ratio"] = round(runs["trafilatura"].seconds / runs["newswatch"].seconds, 3)
            result["empty_vs_trafilatura"] = nw["empty"] - result["extractors"]["trafilatura"]["empty"]
    return result


TUNING_SET = "extraction"
HALVES = ("diagnosis", "heldout")


def half_of(page_id: str) -> str:
    """The half of a non-tuning set a page belongs to: even first byte of sha256(id) = diagnosis."""
    return HALVES[hashlib.sha256(page_id.encode("utf-8")).digest()[0] % 2]


def _half_runs(pages: list[Page], runs: dict[str, Run], half: str) -> tuple[list[Page], dict[str, Run]]:
    """The pages of one half and each extractor's outputs on them (times split pro rata)."""
    keep = [i for i, page in enumerate(pages) if half_of(page.id) == half]
    share = len(keep) / len(pages) if pages else 0.0
    return ([pages[i] for i in keep],
            {name: Run(name, [r.outputs[i] for i in keep], r.seconds * share) for name, r in runs.items()})


def subset(pages: list[Page], limit: int = 0, step: int = 1, half: str = "") -> list[Page]:
    chosen = [p for p in pages if half_of(p.id) == half] if half else pages
    chosen = chosen[::step] if step > 1 else chosen
    return chosen[:limit] if limit else chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="", help="comma-separated folder names (default: every gold-text set)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages of each set (sorted ids)")
    parser.add_argument("--step", type=int, default=1, help="only every K-th page of each set")
    parser.add_argument("--half", choices=HALVES, default="",
                        help="only one half of the non-tuning sets (the tuning set is always whole)")
    parser.add_argument("--extractors", default=",".join(EXTRACTORS), help="comma-separated subset of extractors")
    parser.add_argument("--root", type=Path, default=SHARED)
    args = parser.parse_args(argv)
    names = [s for s in args.sets.split(",") if s] or gold_sets(args.root)
    if not names:
        print(f"no benchmark sets with gold text under {args.root}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    import logging

    logging.disable(logging.WARNING)  # trafilatura and readability log every discarded page
    extractors = {n: EXTRACTORS[n] for n in args.extractors.split(",") if n}
    # One-time costs per process (imports, langdetect profiles, the gazetteer, dateparser's regex
    # compilation on the first page that reaches it: ~10 s) are paid before timing, on a few pages
    # of each set, and reported apart: a poll process pays them once, not per page.
    warm_pages = [page for name in names for page in load_pages(args.root / name)[::25][:8]]
    warm_up = {}
    for ext_name, extract in extractors.items():
        start = time.perf_counter()
        for page in warm_pages:
            extract(page.html, page.url)
        warm_up[ext_name] = round(time.perf_counter() - start, 2)
    print(f"warm-up on {len(warm_pages)} pages, seconds (untimed below): "
          + ", ".join(f"{n} {s}" for n, s in warm_up.items()))
    results = {}
    for name in names:
        pages = subset(load_pages(args.root / name), args.limit, args.step, "" if name == TUNING_SET else args.half)
        runs = run(pages, extractors)
        result = report(pages, runs)
        if name != TUNING_SET and not args.half:
            result["halves"] = {half: report(*_half_runs(pages, runs, half)) for half in HALVES}
        results[name] = result
        print(f"\n{name}: {result['pages']} pages" + ("  (tuning set)" if name == TUNING_SET else ""))
        print(f"{'extractor':<16} {'P':>7} {'R':>7} {'F1':>7} {'empty':>5} {'pageF1':>7} {'docs/s':>7}")
        for ext, s in result["extractors"].items():
            print(f"{ext:<16} {s['precision']:>7.4f} {s['recall']:>7.4f} {s['f1']:>7.4f} {s['empty']:>5}"
                  f" {s['mean_page_f1']:>7.4f} {s['docs_per_second']:>7}")
        if "margin_over_best" in result:
            print(f"newswatch − best single ({result['best_single']}): {result['margin_over_best']:+.4f}"
                  + (f"; speed newswatch/trafilatura {result['speed_ratio']:.2f}" if "speed_ratio" in result else ""))
        for half, part in result.get("halves", {}).items():
            print(f"  {half} half ({part['pages']} pages) F1: "
                  + ", ".join(f"{ext} {s['f1']:.4f} ({s['empty']} empty)" for ext, s in part["extractors"].items()))
    print(json.dumps({"sets": results, "tuning_set": TUNING_SET, "warm_up_seconds": warm_up}, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
