"""Article-body extraction quality and speed: newswatch's extractor against bare trafilatura.

Data: ../shared/benchmarks/extraction/ (181 pages, ground-truth.json). The metric is the one its
README defines: ``\\w+`` tokens, 4-token shingles compared as multisets, precision averaged over
non-empty outputs, recall over all pages, F1 of the two averages.

Both extractors run on every page in the same loop, interleaved, so machine load hits both alike.
Besides the whole set, the odd- and even-indexed pages (sorted ids) are scored separately: rules
were developed on the odd ones, the even ones check they generalise.

    python benchmarks/extraction.py [--limit N] [--json] [--data DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "extraction"
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


def load_pages(data_dir: Path = DEFAULT_DATA) -> list[tuple[str, str, str]]:
    """(id, html, true text) for every page, sorted by id (so odd/even splits are stable)."""
    truth = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        html = gzip.decompress((data_dir / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
        pages.append((page_id, html, truth[page_id]["articleBody"]))
    return pages


def newswatch_text(html: str) -> str:
    from extractors.errors import ExtractionError
    from extractors.html import extract_html

    try:
        return extract_html(html).text
    except ExtractionError:
        return ""


def bare_trafilatura_text(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


@dataclass
class Run:
    name: str
    outputs: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run(pages: list[tuple[str, str, str]], extractors: dict[str, Callable[[str], str]]) -> dict[str, Run]:
    runs = {name: Run(name) for name in extractors}
    for _, html, _ in pages:
        for name, extract in extractors.items():
            start = time.perf_counter()
            runs[name].outputs.append(extract(html))
            runs[name].seconds += time.perf_counter() - start
    return runs


def report(pages: list[tuple[str, str, str]], runs: dict[str, Run]) -> dict:
    truths = [t for _, _, t in pages]
    result: dict = {"pages": len(pages), "extractors": {}}
    for name, r in runs.items():
        odd = [i for i in range(len(pages)) if i % 2 == 1]
        even = [i for i in range(len(pages)) if i % 2 == 0]
        splits = {"all": asdict(score(r.outputs, truths, r.seconds))}
        for split, members in (("odd", odd), ("even", even)):
            scored = asdict(score([r.outputs[i] for i in members], [truths[i] for i in members]))
            splits[split] = {k: v for k, v in scored.items() if k not in ("seconds", "docs_per_second")}
        result["extractors"][name] = splits
    if {"newswatch", "trafilatura"} <= set(runs) and runs["newswatch"].seconds:
        result["speed_ratio"] = round(runs["trafilatura"].seconds / runs["newswatch"].seconds, 3)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages (sorted ids)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.json").exists():
        print(f"no benchmark data at {args.data}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    import logging

    logging.disable(logging.WARNING)  # trafilatura logs every discarded page
    pages = load_pages(args.data)
    if args.limit:
        pages = pages[: args.limit]
    newswatch_text("<html><body><p>warm up imports</p></body></html>")
    bare_trafilatura_text("<html><body><p>warm up imports</p></body></html>")
    result = report(pages, run(pages, {"newswatch": newswatch_text, "trafilatura": bare_trafilatura_text}))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['pages']} pages")
    print(f"{'extractor':<12} {'split':<5} {'precision':>9} {'recall':>7} {'F1':>7} {'empty':>5} {'pageF1':>7} {'docs/s':>7}")
    for name, splits in result["extractors"].items():
        for split, s in splits.items():
            speed = f"{s['docs_per_second']:>7}" if split == "all" else ""
            print(f"{name:<12} {split:<5} {s['precision']:>9.4f} {s['recall']:>7.4f} {s['f1']:>7.4f} {s['empty']:>5}"
                  f" {s['mean_page_f1']:>7.4f} {speed}")
    if "speed_ratio" in result:
        print(f"speed ratio newswatch/trafilatura: {result['speed_ratio']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
