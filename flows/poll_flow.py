"""The ``poll-feeds`` Prefect flow: one task per feed.

The flow is thin: it opens the run (journal recovery), maps ``poll_feed`` over the
feeds, and leaves a markdown summary and a table of new articles as artifacts. A feed that
fails is reported with its reason and waits for the next poll (back-off by polls); in-run
retries happen only when NEWSWATCH_TASK_RETRY_DELAYS asks for them, and count as one failure.

A feed that fails (404, DNS, blocked, bad XML, a time-out) ends its task run **Failed** — red in
the UI, a ``prefect.task-run.Failed`` event named ``poll-<feed id>`` for automations
(deploy/automations.yaml) — after its state was recorded in the store, so the digest and the
next poll know. The run goes on; it ends Completed, its state message naming the feeds that
failed ("2 of 44 feeds failed: apa (blocked by the site (403)), …") or saying "no feed could be
reached: …".
"""

from __future__ import annotations

from collections import OrderedDict

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from config.settings import Settings, settings_with
from extractors.errors import FetchError, NewswatchError, RunStopping, StoreError
from extractors.records import Feed
from flows.context import close_context, open_context
from flows.pipeline import TRANSIENT_FEED_FAILURES, FeedResult, PollOptions, load_feeds, poll_feed
from flows.poll import STORE_FAILURE, PollSummary, parse_since, start_run
from flows.progress import Counter
from flows.run_logs import send_newswatch_logs_to_runs


class FeedFailed(NewswatchError):
    """A feed could not be polled; its state is recorded. Fails the feed's task run (not retried)."""

    def __init__(self, result: FeedResult):
        super().__init__(f"feed {result.feed_id} {result.outcome}: {result.error}")
        self.result = result

    def __reduce__(self):  # results may cross a process boundary (Dask)
        return FeedFailed, (self.result,)


def _retry_transient(task, task_run, state) -> bool:
    """Retry a feed only for time-outs and dropped connections, not for 404s or bad XML."""
    try:
        state.result()
    except FetchError as exc:
        return exc.reason in TRANSIENT_FEED_FAILURES
    except Exception:
        return False
    return False


@task(name="poll-feed", task_run_name="poll-{feed.id}", tags=["newswatch-feed"], retries=0, retry_jitter_factor=0.5,
      retry_condition_fn=_retry_transient, cache_policy=NO_CACHE)
def poll_feed_task(run_id: str, store_uri: str, feed: Feed, options: PollOptions, settings: Settings) -> FeedResult:
    from prefect.runtime import task_run

    ctx = open_context(run_id, store_uri, settings)
    try:
        # In-run retries only when NEWSWATCH_TASK_RETRY_DELAYS asks for them; a retry is not a new failure.
        result = poll_feed(ctx, feed, options, raise_transient=bool(settings.task_retry_delays),
                           retrying=(task_run.run_count or 1) > 1)
    except StoreError as exc:  # the store, not the feed: reported, and the poll exits 2
        get_run_logger().error("feed %s: the store failed: %s", feed.id, exc)
        return FeedResult(feed_id=feed.id, outcome="failed", error=f"{STORE_FAILURE}{exc}")
    except RunStopping as exc:  # SIGTERM/Ctrl-C closed the pool mid-batch: nothing committed, no traceback
        get_run_logger().warning("feed %s: %s; its batch is left to the next run", feed.id, exc)
        return FeedResult(feed_id=feed.id, outcome="stopped", error=str(exc))
    if result.outcome in ("failed", "blocked"):
        raise FeedFailed(result)  # the task run shows Failed with this message
    return result


@flow(name="poll-feeds", task_runner=ThreadPoolTaskRunner(max_workers=4))
def poll_feeds(
    feeds: list[str] | None = None,
    since: str | None = None,
    force: bool = False,
    store: str | None = None,
    feeds_file: str | None = None,
    keep_irrelevant: bool | None = None,
):
    """Poll the configured feeds (or some of them) into the store; new Caucasus articles are stored once.

    Args:
        feeds: feed ids to poll, e.g. ["oc-media-en", "civil-ge-en"]; empty polls every feed of the feed list.
        since: only entries published on or after this day, YYYY-MM-DD (or an ISO date-time, UTC when no offset); entries without a date are taken.
        force: ignore ETag/Last-Modified, the seen-URL index and back-off; articles already stored are re-extracted in place (never a second copy).
        store: where records go: a path, file://… or s3://bucket[/prefix]; empty means NEWSWATCH_STORE.
        feeds_file: the feed list (YAML) to read instead of NEWSWATCH_FEEDS_FILE (config/feeds.yaml).
        keep_irrelevant: store articles judged not about the region too, flagged; empty means NEWSWATCH_KEEP_IRRELEVANT.
    """
    send_newswatch_logs_to_runs()
    logger = get_run_logger()
    settings = settings_with(store=store, feeds_file=feeds_file, keep_irrelevant=keep_irrelevant)
    feed_list = load_feeds(settings.feeds_file, feeds)
    options = PollOptions(since=parse_since(since, settings.timezone), force=force, keep_irrelevant=settings.keep_irrelevant)
    ctx, recovered = start_run(settings.store, settings)
    summary = PollSummary(run_id=ctx.run_id, store=ctx.store.describe(), recovered=recovered)
    bar = Counter(len(feed_list), desc="poll", unit="feed")  # a bar only at a terminal (flows/progress.py)
    try:
        delays = list(settings.task_retry_delays)
        task_fn = poll_feed_task.with_options(retries=len(delays), retry_delay_seconds=delays or 0)
        futures = task_fn.map(unmapped(ctx.run_id), unmapped(settings.store), feed_list, unmapped(options),
                              unmapped(settings))
        for feed, future in zip(feed_list, futures):
            outcome = future.result(raise_on_failure=False)
            bar.step(note=feed.id)
            if isinstance(outcome, FeedResult):
                summary.feeds.append(outcome)
            elif isinstance(outcome, FeedFailed):  # failed, state recorded: its counters still count
                summary.feeds.append(outcome.result)
            elif isinstance(outcome, FetchError):  # a time-out or dropped connection, after its retries
                summary.feeds.append(FeedResult(feed_id=feed.id, outcome="failed", error=f"{outcome.reason}: {outcome}"))
            else:  # a bug or a store failure on one feed: the UI shows the traceback; the run goes on
                summary.feeds.append(FeedResult(feed_id=feed.id, outcome="failed", error=f"{type(outcome).__name__}: {outcome}"))
    finally:
        bar.close()
        close_context(ctx.run_id)
    logger.info("%s", summary.to_text())
    names = {feed.id: feed.name or feed.id for feed in feed_list}
    create_markdown_artifact(key="poll-summary", markdown=summary.to_markdown(names), description="newswatch poll summary")
    new_rows = [{"outlet": names.get(f.feed_id, f.feed_id), "title": a.get("title"), "language": a.get("language"),
                 "score": a.get("score"), "cluster": a.get("cluster"), "status": a.get("status"), "url": a.get("url"),
                 "id": a.get("id")} for f in summary.feeds for a in f.new_articles]
    if new_rows:
        create_table_artifact(key="poll-new-articles", table=new_rows, description="articles stored by this poll")
    _keep_returned(summary.to_dict())
    return final_state(summary)


# The summaries this process's poll runs returned, by flow run id (the last few only). Why: see run_poll_flow.
_RETURNED: OrderedDict[str, dict] = OrderedDict()
_RETURNED_KEPT = 16


def _keep_returned(summary: dict) -> None:
    from prefect.runtime import flow_run

    _RETURNED[str(flow_run.id)] = summary
    while len(_RETURNED) > _RETURNED_KEPT:
        _RETURNED.popitem(last=False)


def run_poll_flow(**params) -> dict:
    """Run ``poll_feeds`` in this process and return its summary (a dict), as calling the flow does.

    The flow returns a Completed state (so its message can name the failed feeds), and Prefect reads
    a returned state's data from the state the API acknowledged. When the client re-sends that
    report (its first answer was slow or dropped) the server rejects the duplicate and answers with
    the stored state, which carries no data: results are not persisted, so calling the flow would
    raise MissingResult after a run that did its work (seen under load in CI). The summary the run
    returned in this process is taken instead; a failed or crashed run still raises as before.
    """
    return poll_summary(poll_feeds(**params, return_state=True))


def poll_summary(state) -> dict:
    """The summary of a ``poll_feeds`` run made in this process from its final state (see run_poll_flow)."""
    if state.is_completed():
        kept = _RETURNED.pop(str(state.state_details.flow_run_id), None)
        if kept is not None:
            return kept
    return state.result()


def final_state(summary: PollSummary):
    """Completed, its message naming the feeds that failed (or saying that none could be reached).

    Completed even then: the run did its work and recorded every failure (the feeds' task runs are
    Failed); a Failed run would make `newswatch poll` offline, and `make run`, end in an error.
    """
    from prefect.states import Completed

    from flows.digest_health import reason_in_words
    from storage.state import FeedState

    failed = [f for f in summary.feeds if f.outcome in ("failed", "blocked")]
    reached = [f for f in summary.feeds if f.outcome not in ("failed", "blocked", "backing-off")]
    words = "; ".join(f"{f.feed_id} ({reason_in_words(FeedState(f.feed_id, last_error=f.error))})" for f in failed[:10])
    more = f"; and {len(failed) - 10} more" if len(failed) > 10 else ""
    if failed and not reached:
        return Completed(message=f"no feed could be reached: {words}{more}", data=summary.to_dict())
    if failed:
        return Completed(message=f"{len(failed)} of {len(summary.feeds)} feeds failed: {words}{more}",
                         data=summary.to_dict())
    return Completed(message=f"{len(summary.feeds)} feeds polled, {summary.totals['stored']} articles stored",
                     data=summary.to_dict())
