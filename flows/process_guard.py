"""Process hygiene: a poll that is stopped leaves nothing running behind it.

Without a configured Prefect server, each flow command starts a temporary one (Prefect's
``SubprocessASGIServer``: ``python -m uvicorn ...`` in a child process, stopped by an ``atexit``
hook). A SIGTERM killed the command without running ``atexit``, and ``kill -9`` runs nothing at
all, so the server (~210 MB, still listening) was orphaned 22 times in 23 kills.

Two guards:

* SIGTERM (and SIGHUP) become an exception in the main thread (``Terminated``), so the command
  unwinds, its run context closes (the run lease is released) and ``atexit`` stops the server;
* the server is started through ``flows.orphan_guard``, which runs uvicorn in the same process
  and watches its parent: when the parent dies (even by ``kill -9``) the server stops itself. It
  runs in a session of its own, so Ctrl-C at the terminal reaches the command, not the server
  the command still needs to report the stop to.
  (``PR_SET_PDEATHSIG`` was not used: it fires when the *thread* that started the child ends,
  and Prefect may start the server from a worker thread.)

And a short command does not pay for garbage collection that frees nothing (the last section).
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from types import SimpleNamespace

EXIT_TERMINATED = 143  # 128 + SIGTERM, what a shell reports for a process ended by SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C so every ``finally`` and ``atexit`` runs."""


def _raise_terminated(signum, _frame) -> None:
    raise Terminated(f"stopped by signal {signal.Signals(signum).name}")


def install_signal_handlers() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _raise_terminated)


defaults_applied: set[str] = set()  # which of these the user had not set (flows/local_server.py asks)


def quiet_offline_prefect() -> None:
    """Prefect defaults that keep a command offline and its output readable; the user's own win."""
    defaults = {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    }
    if not os.environ.get("PREFECT_API_URL"):
        # The temporary per-process server logs tracebacks while it shuts down (events still
        # in flight); they are noise for a command-line run, never about our data.
        defaults["PREFECT_SERVER_LOGGING_LEVEL"] = "CRITICAL"
    for name, value in defaults.items():
        if name not in os.environ:
            os.environ[name] = value
            defaults_applied.add(name)


SERVER_MODULE = "prefect.server.api.server"


def guard_prefect_server() -> None:
    """Make Prefect's temporary server die with this process.

    Importing Prefect's server module costs seconds, so nothing is imported here: the patch is
    applied when Prefect itself imports the module (an import hook), or at once if it already has.
    """
    module = sys.modules.get(SERVER_MODULE)
    if module is not None:
        _patch(module)
    elif not any(isinstance(finder, _PatchOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())


class _PatchOnImport:
    """A meta path finder (duck-typed: importlib.abc costs ~15 ms of every command's start)."""

    def find_spec(self, fullname, path, target=None):
        if fullname != SERVER_MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                run = spec.loader.exec_module

                def exec_then_patch(module, run=run):
                    run(module)
                    _patch(module)

                spec.loader.exec_module = exec_then_patch
                return spec
        return None


def _patch(server_module) -> None:
    import subprocess  # only a flow command gets here: the others never pay for the import

    server_class = getattr(server_module, "SubprocessASGIServer", None)
    if server_class is None or getattr(server_class, "_newswatch_guarded", False):
        return
    original = server_class._run_uvicorn_command
    parent = os.getpid()

    def popen_guarded(args, **kwargs):
        # [python, -m, uvicorn, ...] → [python, -m, flows.orphan_guard, <parent pid>, uvicorn, ...]
        args = list(args)
        if args[1:3] == ["-m", "uvicorn"]:
            args = [args[0], "-m", "flows.orphan_guard", str(parent), *args[2:]]
        # Its own session: Ctrl-C in a terminal signals the whole foreground process group, and the
        # server, stopped first, left the command retrying its reports to a dead API for ~150 s.
        # The command stops it on the way out (atexit), and the orphan guard if the command dies.
        kwargs.setdefault("start_new_session", True)
        return subprocess.Popen(args, **kwargs)

    def run_guarded(self):
        real = server_module.subprocess
        server_module.subprocess = SimpleNamespace(**{**vars(subprocess), "Popen": popen_guarded})
        try:
            return original(self)
        finally:
            server_module.subprocess = real

    server_class._run_uvicorn_command = run_guarded
    server_class._newswatch_guarded = True


# --- The cyclic garbage collector in a short command -------------------------------------------------
# Start-up allocates what lives until exit: ~400 modules, the gazetteer, langdetect's profiles. The
# collector walks all of it again and again while it grows (generation 2 passes over the loaded
# tables) and once more at exit, and frees nothing: ~0.2 s of a one-page `newswatch extract`
# (0.70 → 0.45 s CPU with it held off, measured with benchmarks/startup.py's command). So a command
# run as a program holds it off while it starts, then freezes what exists — those objects are never
# walked again — and collects normally from there on: a long poll or a thousand-page extract
# keeps a bounded heap.


_deferred = False


def defer_collection() -> None:
    """Hold the cyclic collector off while the process loads what it will keep."""
    global _deferred
    if gc.isenabled():
        gc.disable()
        _deferred = True


def resume_collection() -> None:
    """Start-up is over: what exists now is kept out of every later pass; collect what comes next.
    A no-op unless ``defer_collection`` held it off (a caller that never deferred keeps its own GC)."""
    global _deferred
    if _deferred:
        _deferred = False
        gc.freeze()
        gc.enable()


def freeze_for_exit() -> None:
    """The interpreter's last pass at exit skips frozen objects: ~0.1 s less for a process about to end."""
    gc.freeze()


EXIT_PIPE_CLOSED = 141  # 128 + SIGPIPE: what `cat`, `grep`… end with when `head` stops reading


def reader_gone() -> bool:
    """Whether stdout is a pipe whose reading end was closed (``| head``): polled, not written."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _fd, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll(), or stdout is no file
        return False


def quiet_after_closed_pipe() -> int:
    """The reader took what it wanted: stop without a word, and point stdout at /dev/null so that
    the interpreter's last flush at exit does not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_PIPE_CLOSED
