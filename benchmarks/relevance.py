"""Caucasus relevance: precision, recall, the misclassified files, and speed.

Usage: python benchmarks/relevance.py [DIR ...] [--repeat N] [--explain]
Each DIR holds positive/ and negative/ sub-folders of .txt articles (title line, blank line, body);
the default is tests/data/relevance and its round2/ (written after the rules froze). Speed is measured on the same articles, gazetteer pre-loaded,
plus the seed corpus (long real articles) so the figure is not flattered by short fixtures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractors.gazetteer import load_gazetteer  # noqa: E402
from extractors.relevance import score_relevance  # noqa: E402


def read_article(path: Path) -> tuple[str, str]:
    """A fixture's title (first line) and body (the rest)."""
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return title.strip(), body.strip()


def labelled(dirs: list[Path]) -> list[tuple[Path, bool]]:
    out = []
    for d in dirs:
        out += [(p, True) for p in sorted((d / "positive").glob("*.txt"))]
        out += [(p, False) for p in sorted((d / "negative").glob("*.txt"))]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    fixtures = ROOT / "tests" / "data" / "relevance"
    ap.add_argument("dirs", nargs="*", type=Path, default=[fixtures, fixtures / "round2"])
    ap.add_argument("--repeat", type=int, default=5, help="passes over the articles for the speed figure")
    ap.add_argument("--explain", action="store_true", help="print every decision, not only the errors")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    gaz = load_gazetteer()
    load_ms = (time.perf_counter() - t0) * 1000
    items = labelled(args.dirs)
    tp = fp = fn = tn = 0
    for path, expected in items:
        title, body = read_article(path)
        rel = score_relevance(title, body, gazetteer=gaz)
        tp += rel.relevant and expected
        fp += rel.relevant and not expected
        fn += expected and not rel.relevant
        tn += not expected and not rel.relevant
        wrong = rel.relevant != expected
        if wrong or args.explain:
            tag = "ERROR" if wrong else "ok   "
            print(f"{tag} {'pos' if expected else 'neg'} {path.relative_to(path.parent.parent.parent)}  "
                  f"score={rel.score:.2f}  {rel.reason}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"articles={len(items)}  tp={tp} fp={fp} fn={fn} tn={tn}  "
          f"precision={precision:.3f}  recall={recall:.3f}  errors={fp + fn}")

    seeds = [read_article(p) for p in sorted((ROOT / "config" / "seeds").glob("*.txt"))]
    corpus = [read_article(p) for p, _ in items] + seeds
    words = sum(len(t.split()) + len(b.split()) for t, b in corpus)
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        for title, body in corpus:
            score_relevance(title, body, gazetteer=gaz)
    elapsed = time.perf_counter() - t0
    n = len(corpus) * args.repeat
    print(f"speed: {n / elapsed:.0f} articles/s, {elapsed / n * 1000:.2f} ms/article "
          f"(mean {words / len(corpus):.0f} words; gazetteer load {load_ms:.0f} ms)")
    return 0 if fp + fn == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
