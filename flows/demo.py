"""``newswatch demo``: the whole pipeline offline, on a bundled sample site served on loopback.

It starts the sample site, imports the seed corpus and polls the site's feeds into a
fresh store (through the same Prefect flows a deployment runs), polls once more to
show the conditional GETs answered with 304, and prints where the records are.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from config import CONFIG_DIR

DEMO_SITE = CONFIG_DIR / "demo_site"


def run_demo(store: str | None = None, fmt: str = "text") -> int:
    from config.settings import get_settings
    from flows.sample_site import SampleSite

    store = store or tempfile.mkdtemp(prefix="newswatch-demo-")
    # The sample site lives on 127.0.0.1, which the fetcher refuses unless allowed.
    os.environ["NEWSWATCH_ALLOW_PRIVATE_HOSTS"] = "true"
    get_settings.cache_clear()
    with SampleSite(DEMO_SITE) as site, tempfile.TemporaryDirectory(prefix="newswatch-demo-feeds-") as feeds_dir:
        feeds_file = Path(feeds_dir) / "feeds.yaml"  # its URLs hold this run's port: gone with the run
        feeds_file.write_text((DEMO_SITE / "feeds.yaml").read_text(encoding="utf-8").replace("{base}", site.base),
                              encoding="utf-8")
        print(f"demo: sample site on {site.base}, store {store}", file=sys.stderr)

        from flows.maintenance_flows import import_seeds_flow
        from flows.poll import PollSummary
        from flows.pipeline import FeedResult
        from flows.poll_flow import run_poll_flow
        from flows.seeds import ImportSummary

        seeds = import_seeds_flow(store=store)
        first = run_poll_flow(store=store, feeds_file=str(feeds_file))
        second = run_poll_flow(store=store, feeds_file=str(feeds_file))

    if fmt == "json":
        json.dump({"store": store, "import_seeds": seeds, "first_poll": first, "second_poll": second},
                  sys.stdout, ensure_ascii=False, indent=1, default=str)
        print()
        return 0

    def text(result):
        return PollSummary(run_id=result["run_id"], store=result["store"],
                           feeds=[FeedResult(**f) for f in result["feeds"]]).to_text()

    print(ImportSummary(**seeds).to_text())
    print("\nfirst poll\n" + text(first))
    print("\nsecond poll (nothing new: the site answers 304 Not Modified)\n" + text(second))
    print(f"\nrecords are in {store}:\n  seeds/  articles/  raw/  manifests/  state/\n"
          f"list them with: newswatch articles --store {store} --all")
    return 0
