"""Our own loggers in Prefect's run logs, and failed feeds without a traceback.

Prefect sends to the API (the run's logs in the UI) only what its own loggers and
``get_run_logger()`` write. The page 404s, malformed feeds and skipped pages that the plain
functions log on ``newswatch.*`` loggers would stay on a worker's stderr. ``PREFECT_LOGGING_EXTRA_LOGGERS``
would route them, but it also adds Prefect's console handler, so every line shows twice on a
command line that already logs to stderr. Here only the API handler is added, at the start of each
flow, and a record logged where no run is known (a helper thread, a command without a flow) is
dropped instead of warned about.

A feed that fails ends its task run Failed with ``FeedFailed`` (flows/poll_flow.py); Prefect
logs every task failure with its traceback, which for a feed that answered 404 is three screens
of engine frames. The filter keeps the one-line message and drops the traceback for our own
errors (``NewswatchError``: FeedFailed, MailError, a store error), with -v too (-v shows progress
and decisions; a feed's failure is one of them, its engine frames are not); only a root logger set
to DEBUG by hand keeps them. Every other failure (a bug) keeps its traceback.
"""

from __future__ import annotations

import logging

NEWSWATCH_LOGGER = "newswatch"


def _handler_class():
    from prefect.exceptions import MissingContextError
    from prefect.logging.handlers import APILogHandler

    class RunLogHandler(APILogHandler):
        """Prefect's API log handler that silently skips records logged outside any run."""

        def emit(self, record: logging.LogRecord) -> None:
            if not getattr(record, "flow_run_id", None):
                from prefect.context import get_run_context

                try:
                    get_run_context()
                except MissingContextError:
                    return
            super().emit(record)

    return RunLogHandler


class _QuietFeedFailure(logging.Filter):
    """Our own errors (``NewswatchError``: a feed that failed, an SMTP server that refused, a
    store that is gone) are converted at the adapter and say what went wrong in their message;
    their tracebacks are engine frames. Kept only with the root logger at DEBUG (no option sets it:
    a developer's logging configuration)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from extractors.errors import NewswatchError

        if (record.exc_info and isinstance(record.exc_info[1], NewswatchError)
                and logging.getLogger().getEffectiveLevel() > logging.DEBUG):
            record.exc_info = None
            record.exc_text = None
        return True


def send_newswatch_logs_to_runs(level: int = logging.INFO) -> None:
    """Route ``newswatch.*`` records to the current run's logs (idempotent; once per process)."""
    logger = logging.getLogger(NEWSWATCH_LOGGER)
    handler_class = _handler_class()
    if not any(isinstance(h, handler_class.__mro__[1]) for h in logger.handlers):
        handler = handler_class()
        handler.setLevel(level)
        logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(min(logging.getLogger().getEffectiveLevel(), logging.WARNING))
    for name in ("prefect.task_runs", "prefect.flow_runs"):  # a task's failure, then its flow's
        run_logger = logging.getLogger(name)
        if not any(isinstance(f, _QuietFeedFailure) for f in run_logger.filters):
            run_logger.addFilter(_QuietFeedFailure())
