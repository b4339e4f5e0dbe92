"""Crash safety under kill -9: N kills of a real poll process at random moments, each followed by ONE rerun.

    python benchmarks/kill_loop.py [--kills 20] [--pages 8] [--seed 13]

Each round adds ``--pages`` new pages to each of 3 feeds on a loopback site, starts a poll in a
child process, SIGKILLs it at a random moment of its run (uniform over 90 % of a clean poll's
duration, measured after the run took its lease), reruns the poll once and checks: pages listed
but not stored (lost), URLs stored twice (duplicated), `store check` clean, journals left.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.kill_loop import KillLoop  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="newswatch-kill-") as workdir:
        loop = KillLoop(Path(workdir), pages_per_round=args.pages, seed=args.seed)
        try:
            figures = loop.run(args.kills)
        finally:
            loop.close()
    for r in figures.rounds:
        print(f"round {r['round']:2d}: kill after {r['kill_after_s']:5.2f} s (running: {r['killed_while_running']}), "
              f"rerun exit {r['rerun_exit']}, lost {r['lost']}, duplicated {r['duplicated']}, check ok {r['check_ok']}")
    summary = {k: v for k, v in asdict(figures).items() if k != "rounds"}
    summary["seconds"] = round(time.monotonic() - started, 1)
    print(f"{figures.kills} kills ({figures.killed_while_running} while polling), {figures.pages} pages: "
          f"{figures.lost} lost, {figures.duplicated} duplicated, {figures.unclean_checks} unclean checks, "
          f"{figures.hangs} hangs")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
