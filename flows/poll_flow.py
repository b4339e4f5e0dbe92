"""The ``poll-feeds`` Prefect flow: one task per feed.

The flow is thin: it opens the run (journal recovery), maps ``poll_feed`` over the
feeds, and leaves a markdown summary and a table of new articles as artifacts. A feed that
fails is reported with its reason and waits for the next poll (back-off by polls); in-run
retries happen only when NEWSWATCH_TASK_RETRY_DELAYS asks for them, and count as one failure.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task, unmapped
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from config.settings import Settings, settings_with
from extractors.errors import FetchError, StoreError
from extractors.records import Feed
from flows.context import close_context, open_context
from flows.pipeline import TRANSIENT_FEED_FAILURES, FeedResult, PollOptions, load_feeds, poll_feed
from flows.poll import STORE_FAILURE, PollSummary, parse_since, start_run
from flows.progress import Counter


def _retry_transient(task, task_run, state) -> bool:
    """Retry a feed only for time-outs and dropped connections, not for 404s or bad XML."""
    try:
        state.result()
    except FetchError as exc:
        return exc.reason in TRANSIENT_FEED_FAILURES
    except Exception:
        return False
    return False


@task(name="poll-feed", task_run_name="poll-{feed.id}", retries=0, retry_jitter_factor=0.5,
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
    if result.outcome in ("failed", "blocked"):
        get_run_logger().warning("feed %s %s: %s", feed.id, result.outcome, result.error)
    return result


@flow(name="poll-feeds", task_runner=ThreadPoolTaskRunner(max_workers=4))
def poll_feeds(
    feeds: list[str] | None = None,
    since: str | None = None,
    force: bool = False,
    store: str | None = None,
    feeds_file: str | None = None,
    keep_irrelevant: bool | None = None,
) -> dict:
    """Poll the configured feeds (or ``feeds``, by id) into the store."""
    logger = get_run_logger()
    settings = settings_with(store=store, feeds_file=feeds_file, keep_irrelevant=keep_irrelevant)
    feed_list = load_feeds(settings.feeds_file, feeds)
    options = PollOptions(since=parse_since(since), force=force, keep_irrelevant=settings.keep_irrelevant)
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
            else:  # the task failed after its retries: the UI shows why; the run goes on
                summary.feeds.append(FeedResult(feed_id=feed.id, outcome="failed", error=f"{type(outcome).__name__}: {outcome}"))
    finally:
        bar.close()
        close_context(ctx.run_id)
    logger.info("%s", summary.to_text())
    create_markdown_artifact(key="poll-summary", markdown=summary.to_markdown(), description="newswatch poll summary")
    new_rows = [dict(feed=f.feed_id, **a) for f in summary.feeds for a in f.new_articles]
    if new_rows:
        create_table_artifact(key="poll-new-articles", table=new_rows, description="articles stored by this poll")
    return summary.to_dict()
