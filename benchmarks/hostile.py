"""Hostile servers against a whole poll: how long each trick holds the poll, against its budget.

    python benchmarks/hostile.py [--timeout 2]

For each trick of tests/hostile_server.py, one feed lists four healthy pages and the trick; the
budget of the poll is the feed's fetch plus the pages' (in parallel): 2 × NEWSWATCH_TIMEOUT_SECONDS.
Each case is timed against the same poll without the trick, run just before (what the machine
itself costs at that moment): the trick's cost is the difference, in units of the time-out. Prints
each case and, as its last line, one JSON object (cases, polls over twice the budget beyond their
control, the worst trick cost, cases where a healthy page was lost).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import Settings  # noqa: E402
from extractors.records import Feed  # noqa: E402
from flows.pipeline import PollOptions  # noqa: E402
from flows.poll import run_poll  # noqa: E402
from storage.local import LocalStore  # noqa: E402
from tests.hostile_server import HostileServer  # noqa: E402

TRICKS = ["/drip-headers", "/drip-body", "/stall-headers", "/long-length", "/short-length", "/gzip-bomb", "/chunk-bomb",
          "/png-as-html", "/nul-title.html", "/lying-charset.html", "/loop", "/to-file", "/to-loopback-v6"]
GOOD = [f"/page-{n}.html" for n in range(1, 5)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    settings = Settings(allow_private_hosts=True, timeout_seconds=args.timeout, max_page_bytes=200_000, upload_threads=2)
    budget = 2 * args.timeout
    server = HostileServer(drip=0.2)
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            server.feed_paths = ["/page-9.html"]  # warm-up: imports and compiled kernels
            run_poll(LocalStore(Path(tmp) / "warm"), [Feed(id="warm", name="w", url=server.base + "/feed.xml")],
                     PollOptions(), settings)
            for n, trick in enumerate(TRICKS):
                feed = [Feed(id="h", name="h", url=server.base + "/feed.xml")]
                # The same poll without the trick, just before: what the machine itself costs now.
                server.feed_paths = GOOD
                started = time.monotonic()
                run_poll(LocalStore(Path(tmp) / f"control-{n}"), feed, PollOptions(), settings)
                control = time.monotonic() - started
                server.feed_paths = GOOD + [trick]
                started = time.monotonic()
                summary = run_poll(LocalStore(Path(tmp) / f"case-{n}"), feed, PollOptions(), settings)
                elapsed = time.monotonic() - started
                extra = max(0.0, elapsed - control)
                kept = summary.totals["stored"] + summary.totals["duplicates"]  # a trick page adds at most one
                results.append({"trick": trick, "seconds": round(elapsed, 2), "control_seconds": round(control, 2),
                                "extra_over_timeout": round(extra / args.timeout, 2),
                                "healthy_stored": kept >= len(GOOD), "page_failures": summary.totals["page_failures"],
                                "problem": (summary.feeds[0].problems or [""])[0].split(": ", 1)[-1][:60]})
                print(f"{trick:20s} poll {elapsed:5.2f} s (same poll without it {control:5.2f} s): the trick cost "
                      f"{extra / args.timeout:4.2f} × the time-out; healthy pages stored: {results[-1]['healthy_stored']}; "
                      f"{results[-1]['problem']}")
    finally:
        server.close()
    print(json.dumps({"cases": len(results), "timeout_s": args.timeout, "budget_s": budget,
                      "over_twice_the_budget": sum(r["seconds"] > 2 * budget + r["control_seconds"] for r in results),
                      "worst_trick_cost_over_timeout": max(r["extra_over_timeout"] for r in results),
                      "cases_losing_healthy_pages": sum(not r["healthy_stored"] for r in results)}))


if __name__ == "__main__":
    main()
