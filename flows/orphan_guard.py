"""``python -m flows.orphan_guard <parent-pid> uvicorn ARGS...``: run uvicorn, and stop when the parent dies.

Started by flows/process_guard.py in place of Prefect's ``python -m uvicorn ...`` for the
temporary server. A daemon thread polls the parent pid; once the parent is gone (re-parented
to init or a subreaper), the server gets SIGTERM (uvicorn's clean shutdown), then a hard exit.
"""

from __future__ import annotations

import os
import runpy
import signal
import sys
import threading
import time

POLL_SECONDS = 0.5
GRACE_SECONDS = 5.0


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE_SECONDS)
    os._exit(0)


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit("usage: python -m flows.orphan_guard PARENT_PID MODULE [ARGS...]")
    parent, module, rest = int(argv[0]), argv[1], argv[2:]
    if os.getppid() != parent:  # the parent died before we even started
        sys.exit(0)
    threading.Thread(target=_watch, args=(parent,), name="orphan-guard", daemon=True).start()
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
