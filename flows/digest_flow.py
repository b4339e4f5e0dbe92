"""The ``daily-digest`` Prefect flow: a thin shell around ``flows.digest.run_digest``.

Retrying is safe because of the claim, not because of Prefect: ``run_digest`` claims the
day with a create-only ``digests/<day>/claim.json`` before it sends, and drops the claim
only when the failure certainly delivered nothing (the server refused, or the connection
broke before the message body went out). So a retried attempt either finds the day
unclaimed and nothing sent, or finds the claim and sends nothing. Three cases are not
retried at all, since a retry could not help or could send twice:

* the link broke while the body was in flight (``MailError.maybe_delivered``);
* the message went out but archiving it failed (``ArchiveError``): with ``--resend`` the
  claim does not stop a second attempt, so the retry itself must not happen;
* permanent refusals (5xx) and configuration errors.

Transactions would not help here: Prefect does not undo side effects, and a rerun after a
failure sent the mail again in our measurements (shared/PREFECT.md).
"""

from __future__ import annotations


from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from config.settings import settings_with
from extractors.errors import StoreError
from flows.cli_options import parse_day
from flows.digest import ArchiveError, DigestResult, run_digest, summary_markdown
from flows.mailer import MailError
from flows.run_logs import send_newswatch_logs_to_runs


def worth_retrying(error: BaseException) -> bool:
    """Retry only failures that left nothing delivered and may pass on their own."""
    if isinstance(error, MailError):
        return not error.maybe_delivered and (error.code is None or 400 <= error.code < 500)
    if isinstance(error, ArchiveError):
        return False
    return isinstance(error, StoreError)  # a store hiccup before anything was sent


def _retry_condition(task, task_run, state) -> bool:
    error = state.data if isinstance(state.data, BaseException) else None
    if error is None:
        try:
            state.result()
        except BaseException as exc:  # the failure the state carries
            error = exc
    return error is not None and worth_retrying(error)


@task(name="send-digest", retries=3, retry_delay_seconds=[10, 30, 90], retry_jitter_factor=0.5,
      retry_condition_fn=_retry_condition, cache_policy=NO_CACHE, persist_result=False)
def send_digest_task(store_uri: str, day: str | None, to: list[str] | None, resend: bool) -> DigestResult:
    settings = settings_with(store=store_uri)
    return run_digest(store_uri, parse_day(day), to=to, resend=resend, settings=settings)


@flow(name="daily-digest")
def daily_digest(date: str | None = None, to: list[str] | None = None, resend: bool = False,
                 store: str | None = None) -> DigestResult:
    """Send the digest of one day once (a rerun reports "already sent" unless resend).

    Args:
        date: the local day to send, YYYY-MM-DD in NEWSWATCH_TIMEZONE; empty means yesterday.
        to: recipients' addresses, e.g. ["desk@example.org"]; empty means NEWSWATCH_DIGEST_TO.
        resend: send again even though the day was already sent.
        store: where the records are: a path, file://… or s3://bucket[/prefix]; empty means NEWSWATCH_STORE.
    """
    send_newswatch_logs_to_runs()
    logger = get_run_logger()
    settings = settings_with(store=store)
    parse_day(date)  # a bad date fails the run before any task starts
    send = send_digest_task.with_options(retry_delay_seconds=list(settings.task_retry_delays))
    result = send(settings.store, date, to, resend)
    logger.info("digest %s: %s, %d stories%s", result.day, result.status, result.stories,
                f" ({result.note})" if result.note else "")
    create_markdown_artifact(key="digest-summary", markdown=summary_markdown(result, settings.store),
                             description="newswatch daily digest")
    return result
