"""Start time of the fast commands: wall time of a whole ``newswatch`` process, as a user sees it.

Each command runs once to warm the caches (the compiled gazetteer and langdetect profiles under
~/.cache/newswatch, Python's bytecode), then ``--runs`` times; the median and the worst run are
printed. The goal (issue 15) is ≤ 0.5 s for ``extract`` and ``compare``.
Last line: one JSON object {command: {"median_s", "max_s", "runs"}}.

    python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"

COMMANDS = {
    "version": ["--version"],
    # An English page (langdetect decides) and a Russian one (letters decide).
    "extract": ["extract", str(DATA / "pages" / "admin_author.html")],
    "extract-text": ["extract", "--format", "text", str(DATA / "dedup" / "event_ru_a.txt")],
    "compare": ["compare", str(DATA / "dedup" / "event_ru_a.txt"), str(DATA / "dedup" / "event_ru_b.txt")],
}


def time_command(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env, cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"newswatch {' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        env.setdefault("NEWSWATCH_STORE", tmp)
        for name, command in COMMANDS.items():
            time_command(command, env)  # warm-up: fills the caches as the first use after install does
            times = [time_command(command, env) for _ in range(args.runs)]
            results[name] = {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
                             "runs": args.runs}
            print(f"{name:<13} median {results[name]['median_s']:.3f} s   max {results[name]['max_s']:.3f} s",
                  flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
