"""Run by tests/test_workers.py in a fresh interpreter: a pool whose worker processes may use only
a few seconds of CPU each (RLIMIT_CPU, inherited from here by the fork server and its children),
fed small pages and one page that needs far more. The kernel kills (SIGXCPU) whichever process
builds that page, as the OOM killer would kill one on a page that exhausts memory.

Prints one JSON object: each page's link, whether it has a record, and its error.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx  # noqa: F401  imported at start by every process that runs this file, as prefect.engine does

from config.settings import TOPICS_FILE
from extractors.gazetteer import load_gazetteer
from flows.rebuild import PageMeta
from flows.workers import ExtractionPool, job_for

DATA = Path(__file__).resolve().parent / "data"
NOW = "2026-11-22T08:00:00+00:00"
CPU_SECONDS_PER_PROCESS = 3


def job(body: bytes, link: str):
    meta = PageMeta(feed_id="f", link=link, polled_at=NOW, final_url=link, content_type="text/html; charset=utf-8")
    return job_for(body, meta, frozenset(), datetime.fromisoformat(NOW))


def shadowed() -> None:
    """Worker processes that cannot start: a directory on the path holds an ``http.py`` (as a served
    deployment's flows/ directory did), so the workers' imports fail before they take any job."""
    import tempfile

    small = [path.read_bytes() for path in sorted((DATA / "pages").rglob("*.html"))[:6]]
    shadow = Path(tempfile.mkdtemp(prefix="newswatch-shadow-"))
    (shadow / "http.py").write_text("# not the standard library's http package\n")
    sys.path.insert(0, str(shadow))  # this process imported http already; new processes meet this one
    pool = ExtractionPool(2, TOPICS_FILE, lambda: load_gazetteer(TOPICS_FILE))
    links = [f"https://example.org/news/{n}.html" for n in range(len(small))]
    done = [p.result() for p in [pool.submit(job(body, link)) for body, link in zip(small, links)]]
    pool.close()
    print(json.dumps({"pages": [{"link": link, "record": built.record is not None, "error": built.error}
                                for link, built in zip(links, done)]}))


def main() -> None:
    if sys.argv[1:] == ["shadowed"]:
        return shadowed()
    small = [path.read_bytes() for path in sorted((DATA / "pages").rglob("*.html"))[:6]]
    # about 25 s of extraction here: far over the limit, on a machine several times faster too
    poison = b"<html><body>" + b"<p>Yerevan, a short line of news.</p>" * 200_000 + b"</body></html>"
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (spent + CPU_SECONDS_PER_PROCESS, hard))
    pool = ExtractionPool(2, TOPICS_FILE, lambda: load_gazetteer(TOPICS_FILE))
    links = [f"https://example.org/news/{n}.html" for n in range(len(small))] + ["https://example.org/news/poison.html"]
    bodies = small + [poison]
    started = time.monotonic()
    if sys.argv[1:] == ["alone"]:  # the poison is its batch's only page, before any pool exists
        built = pool.submit(job(poison, links[-1]), alone=True).result()
        pool.close()
        print(json.dumps({"seconds": round(time.monotonic() - started, 1),
                          "pages": [{"link": links[-1], "record": built.record is not None, "error": built.error}]}))
        return
    pending = [pool.submit(job(body, link)) for body, link in zip(bodies, links)]
    pending += [pool.submit(job(body, link + "?again")) for body, link in zip(small, links)]
    done = [p.result() for p in pending]
    pool.close()
    print(json.dumps({"seconds": round(time.monotonic() - started, 1), "pages": [
        {"link": link, "record": built.record is not None, "error": built.error}
        for link, built in zip(links + [link + "?again" for link in links[:len(small)]], done)]}))


if __name__ == "__main__":
    sys.exit(main())
