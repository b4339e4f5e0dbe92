"""Start time of the fast commands: wall time of a whole ``newswatch`` process, as a user sees it.

Each command runs once to warm the caches (the compiled gazetteer, langdetect's profile tables,
the command's regular expressions, Python's bytecode), then ``--runs`` times; the median and the
worst run are printed, with the median CPU time (user + system) of the process: on a shared, loaded
machine the wall time grows with the load while the CPU time moves much less (the 1-minute load
average before and after is printed too). The caches live in a private NEWSWATCH_CACHE_DIR, filled
by the warm-up run as by a user's first run: other programs sharing ~/.cache/newswatch (other
checkouts of the code, with their own keys) cannot evict an entry between two timed runs.
The goal (issue 15) is ≤ 0.5 s for ``extract`` and ``compare``.
Last line: one JSON object {command: {"median_s", "max_s", "cpu_s", "runs"}, "load_average": [before, after]}.

    python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def time_command(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``newswatch`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env, cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"newswatch {' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # As a user's machine runs it: Python writes and reuses its bytecode. A development shell that
    # sets PYTHONDONTWRITEBYTECODE recompiles every one of our modules in every process (~0.1 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    results = {}
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as tmp:
        env.setdefault("NEWSWATCH_STORE", tmp)
        env["NEWSWATCH_CACHE_DIR"] = os.path.join(tmp, "cache")
        for name, command in COMMANDS.items():
            time_command(command, env)  # warm-up: fills the caches as the first use after install does
            runs = [time_command(command, env) for _ in range(args.runs)]
            times, cpu = [wall for wall, _ in runs], [c for _, c in runs]
            results[name] = {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
                             "cpu_s": round(statistics.median(cpu), 3), "runs": args.runs}
            print(f"{name:<13} median {results[name]['median_s']:.3f} s   max {results[name]['max_s']:.3f} s   "
                  f"cpu {results[name]['cpu_s']:.3f} s", flush=True)
    results["load_average"] = [load_before, round(os.getloadavg()[0], 2)]
    print(f"load average {load_before} before, {results['load_average'][1]} after, on {os.cpu_count()} cores")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
