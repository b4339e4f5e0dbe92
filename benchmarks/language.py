"""Language detection benchmark: per-language and overall accuracy, and speed.

Runs ``detect_language`` over every paragraph of ``tests/data/language/<code>.txt`` (paragraphs
separated by blank lines; the file stem is the expected code) and, for speed, over whole
concatenated articles too. Goal: every paragraph right.

    python benchmarks/language.py [--data DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from extractors.language import detect_language  # noqa: E402


def load(data: Path) -> dict[str, list[str]]:
    corpus = {}
    for path in sorted(data.glob("*.txt")):
        paras = [p.strip() for p in path.read_text("utf-8").split("\n\n") if p.strip()]
        corpus[path.stem] = paras
    return corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "tests" / "data" / "language")
    parser.add_argument("--repeat", type=int, default=5, help="timing passes over the corpus")
    args = parser.parse_args(argv)

    corpus = load(args.data)
    if not corpus:
        print(f"no <code>.txt files in {args.data}", file=sys.stderr)
        return 2
    detect_language("warm-up: load the langdetect profiles before timing anything")

    right, total, methods, misses = Counter(), Counter(), Counter(), []
    for code, paras in corpus.items():
        for i, text in enumerate(paras):
            guess = detect_language(text)
            total[code] += 1
            methods[guess.method] += 1
            if guess.code == code:
                right[code] += 1
            else:
                misses.append(f"{code}#{i}: got {guess.code} ({guess.method}, {guess.confidence})")

    print(f"{'lang':<6}{'right':>7}{'total':>7}{'accuracy':>10}")
    for code in corpus:
        print(f"{code:<6}{right[code]:>7}{total[code]:>7}{right[code] / total[code]:>10.1%}")
    n, ok = sum(total.values()), sum(right.values())
    print(f"{'all':<6}{ok:>7}{n:>7}{ok / n:>10.1%}")
    print("methods: " + ", ".join(f"{m} {c}" for m, c in methods.most_common()))
    for line in misses:
        print("miss " + line)

    paras = [p for ps in corpus.values() for p in ps]
    started = time.perf_counter()
    for _ in range(args.repeat):
        for text in paras:
            detect_language(text)
    elapsed = time.perf_counter() - started
    print(f"paragraphs/s: {len(paras) * args.repeat / elapsed:,.0f}")

    articles = [" ".join(ps) * 4 for ps in corpus.values()]  # ~6-8k characters each
    started = time.perf_counter()
    for _ in range(args.repeat):
        for text in articles:
            detect_language(text)
    elapsed = time.perf_counter() - started
    size = sum(map(len, articles)) // len(articles)
    print(f"articles/s (~{size:,} chars): {len(articles) * args.repeat / elapsed:,.0f}")
    return 0 if ok == n else 1


if __name__ == "__main__":
    sys.exit(main())
