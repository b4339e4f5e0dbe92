"""The daily digest as plain functions: select a local day, group stories, render, send once.

No Prefect here (``flows/digest_flow.py`` wraps ``run_digest`` in a flow). The steps:

1. the window is one calendar day in the configured time zone, chosen by ``first_seen``
   (when newswatch found the article), whatever the publication date says. Manifests are
   stored by UTC day, so a local day reads at most two UTC days' manifests — never the corpus;
2. relevant non-duplicate records become stories (their ``cluster``; none → their own id),
   ranked by how many distinct sources carried the story (duplicates and other cluster members
   count), grouped in sections by the country of the headline's feed;
3. jinja2 renders HTML (inline CSS, tables: what mail clients render) and plain text, both
   escaping every article field;
4. sending is claimed first with a create-only ``digests/<day>/claim.json``: a second run finds
   the claim and sends nothing; a failed send that certainly delivered nothing drops the claim so
   the next run sends it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from config.settings import Settings
from extractors.errors import ConfigError, NewswatchError, NotFound, StoreError
from extractors.records import Feed
from flows.digest_content import (
    FeedHealth,
    Story,
    build_stories,
    load_feeds,
    local_window,
    records_in_window,
    sections_of,
)
from flows.digest_health import FeedReport, feed_report, held_back_list, hold_back_backlog, subject_for
from flows.mailer import MailError, SmtpConfig, send_message
from storage import layout, open_store
from storage.articles import ArticleStore
from storage.base import ObjectStore
from storage.state import load_all_feed_states

log = logging.getLogger("newswatch.digest")

TEMPLATES = Path(__file__).resolve().parent / "templates"


class ArchiveError(StoreError):
    """The digest went out but its archived copy could not be written (never retried: no resend)."""


@dataclass
class DigestResult:
    status: str  # sent | already-sent | dry-run | empty-skipped
    day: str
    stories: int
    recipients: list[str] = field(default_factory=list)
    message_id: str | None = None
    subject: str = ""
    keys: list[str] = field(default_factory=list)  # archived store keys, or files written by --dry-run
    refused: list[str] = field(default_factory=list)  # recipients the server refused (others got it)
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Digest:
    """One rendered digest, ready to archive and send."""

    day: date
    stories: list[Story]
    health: list[FeedHealth]
    subject: str
    text: str
    html: str
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def story_ids(self) -> list[str]:
        return [story.id for story in self.stories]

    def article_ids(self) -> list[str]:
        return [story.article_id for story in self.stories]


# Rendering ------------------------------------------------------------------------------------


def _environment():
    import jinja2

    # Autoescape the HTML template only; the text template is not markup.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render(day: date, stories: list[Story], health: list[FeedHealth], settings: Settings, now: datetime,
           report: FeedReport | None = None, held_back: list[dict] | None = None) -> tuple[str, str]:
    report = report or FeedReport()
    context = {
        "feeds_summary": report.summary,  # one line instead of the list (every feed failed, none polled)
        "all_failed": report.all_failed,
        "last_success": report.last_success,
        "held_back": held_back or [],
        "day": day.isoformat(),
        "timezone": settings.timezone,
        "count": len(stories),
        "sections": sections_of(stories),
        "health": health,
        "silent_days": settings.digest_silent_days,
        "generated": now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    env = _environment()
    html = env.get_template("digest.html.j2").render(**context)
    text = env.get_template("digest.txt.j2").render(**context)
    return html, text


def build_message(
    *, subject: str, text: str, html: str, sender: str, recipients: list[str], now: datetime
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now.astimezone(timezone.utc))
    # An explicit domain: make_msgid's default asks DNS for this host's FQDN.
    domain = sender.rpartition("@")[2].strip("> ") or "newswatch.invalid"
    message["Message-ID"] = make_msgid(idstring="digest", domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def prepare_digest(
    store: ObjectStore, day: date, *, recipients: list[str], settings: Settings, now: datetime
) -> Digest:
    """Read the day's manifests, build the stories and render the message (no side effects)."""
    tz = _zone(settings.timezone)
    start, end = local_window(day, tz)
    feeds = load_feeds(settings.feeds_file)
    states = load_all_feed_states(store)
    for state in states:  # a feed since dropped from the list keeps the name and country it was polled with
        if state.feed_id not in feeds and state.name:
            feeds[state.feed_id] = Feed(id=state.feed_id, name=state.name, url=state.url or "",
                                        country=state.country, language=state.language)
    records, held = hold_back_backlog(records_in_window(ArticleStore(store), start, end), states)
    stories = build_stories(records, feeds)
    # The footer reads the feeds' state in the store; the feed list only lends names to old states.
    report = feed_report(states, {fid: feed.name for fid, feed in feeds.items() if feed.name}, now=now,
                         silent_days=settings.digest_silent_days)
    health = list(report.problems)
    held_back = held_back_list(held, states, {fid: feed.name for fid, feed in feeds.items() if feed.name})
    subject = subject_for(day, len(stories), stories[0].title if stories else None, report.all_failed)
    html, text = render(day, stories, health, settings, now, report, held_back)
    message = build_message(
        subject=subject, text=text, html=html, sender=settings.digest_from, recipients=recipients, now=now
    )
    return Digest(day=day, stories=stories, health=health, subject=subject, text=text, html=html, message=message)


def _zone(name: str):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {name!r} (NEWSWATCH_TIMEZONE)") from None


def default_day(settings: Settings, now: datetime | None = None) -> date:
    """Yesterday in the configured time zone."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(_zone(settings.timezone)).date() - timedelta(days=1)


# Archive and claim ----------------------------------------------------------------------------


def claim_key(day: date) -> str:
    return layout.digest_prefix(day) + "claim.json"


def archive_key(day: date, name: str) -> str:
    return layout.digest_prefix(day) + name


def _archive_content(store: ObjectStore, digest: Digest) -> list[str]:
    keys = []
    for name, data, kind in (
        ("digest.html", digest.html.encode("utf-8"), "text/html; charset=utf-8"),
        ("digest.txt", digest.text.encode("utf-8"), "text/plain; charset=utf-8"),
        ("digest.eml", bytes(digest.message), "message/rfc822"),
    ):
        key = archive_key(digest.day, name)
        store.put(key, data, content_type=kind)
        keys.append(key)
    return keys


def _record_send(store: ObjectStore, digest: Digest, recipients: list[str], refused: list[str], now: datetime) -> str:
    """digest.json: what was sent, to whom, its message id; earlier sends kept under ``sends``."""
    key = archive_key(digest.day, "digest.json")
    try:
        previous = store.get_json(key).get("sends", [])
    except (NotFound, ValueError, AttributeError):
        previous = []
    send = {
        "sent_at": now.astimezone(timezone.utc).isoformat(),
        "message_id": digest.message_id,
        "to": recipients,
        "refused": refused,
    }
    store.put_json(
        key,
        {
            "day": digest.day.isoformat(),
            "subject": digest.subject,
            "from": str(digest.message["From"]),
            "story_ids": digest.story_ids(),
            "article_ids": digest.article_ids(),
            "stories": len(digest.stories),
            **send,
            "sends": previous + [send],
        },
    )
    return key


def _already_sent(store: ObjectStore, day: date, recipients: list[str], count: int) -> DigestResult:
    try:
        sent = store.get_json(archive_key(day, "digest.json"))
    except (NotFound, ValueError):
        sent = None
    if sent:
        return DigestResult(
            status="already-sent", day=day.isoformat(), stories=sent.get("stories", count),
            recipients=sent.get("to", []), message_id=sent.get("message_id"), subject=sent.get("subject", ""),
            note=f"sent {sent.get('sent_at')}; pass --resend to send it again",
        )
    try:
        claim = store.get_json(claim_key(day))
    except (NotFound, ValueError):
        claim = {}
    # A claim without a record of the send: a run died mid-send, or the link broke while the
    # server was taking the message. Sending again could double-send, so a person decides.
    return DigestResult(
        status="already-sent", day=day.isoformat(), stories=count, recipients=recipients,
        note=f"claimed {claim.get('claimed_at', '?')} ({claim.get('state', 'sending')}) but no send recorded; "
        "if it did not arrive, rerun with --resend",
    )


# The whole run --------------------------------------------------------------------------------


def run_digest(
    store_uri: str,
    day: date | None,
    *,
    to: list[str] | None = None,
    dry_run: bool = False,
    out_dir: Path | None = None,
    resend: bool = False,
    settings: Settings,
    now: datetime | None = None,
) -> DigestResult:
    """Build the digest of ``day`` (default: yesterday in settings.timezone) and send it once."""
    now = now or datetime.now(timezone.utc)
    day = day or default_day(settings, now)
    recipients = list(to or settings.digest_to)
    store = open_store(store_uri, settings, must_exist=True)
    try:
        if dry_run:
            digest = prepare_digest(store, day, recipients=recipients, settings=settings, now=now)
            return _write_preview(digest, recipients, out_dir)
        if not recipients:
            raise ConfigError("no digest recipients: set NEWSWATCH_DIGEST_TO or pass --to")
        if not resend and store.exists(claim_key(day)):
            return _already_sent(store, day, recipients, 0)
        digest = prepare_digest(store, day, recipients=recipients, settings=settings, now=now)
        if not digest.stories and not settings.digest_send_empty:
            return DigestResult(status="empty-skipped", day=day.isoformat(), stories=0, subject=digest.subject,
                                note="nothing new; NEWSWATCH_DIGEST_SEND_EMPTY is false")
        return _claim_and_send(store, digest, recipients, resend=resend, settings=settings, now=now)
    finally:
        store.close()


def _claim_and_send(
    store: ObjectStore, digest: Digest, recipients: list[str], *, resend: bool, settings: Settings, now: datetime
) -> DigestResult:
    day = digest.day
    claim = {"claimed_at": now.astimezone(timezone.utc).isoformat(), "message_id": digest.message_id,
             "to": recipients, "state": "sending", "resend": resend}
    created = store.put_json(claim_key(day), claim, create_only=True)
    if not created and not resend:
        return _already_sent(store, day, recipients, len(digest.stories))  # another run won the race
    if not created:
        store.put_json(claim_key(day), claim)  # --resend: the day stays claimed, this send is recorded
    try:
        refused = send_message(digest.message, SmtpConfig.from_settings(settings),
                               sender=settings.digest_from, recipients=recipients)
    except MailError as exc:
        try:
            if exc.maybe_delivered:
                # Keep the claim: a retry could deliver a second copy.
                store.put_json(claim_key(day), {**claim, "state": "uncertain", "error": str(exc)})
            elif created:
                store.delete(claim_key(day))  # nothing went out: the next run sends it
        except StoreError as store_exc:
            # The mail error is the one to report (a StoreError would look retryable).
            log.warning("digest %s: could not update the claim after a failed send: %s", day, store_exc)
        raise
    except BaseException:
        if created:
            store.delete(claim_key(day))
        raise
    sent_to = [address for address in recipients if address not in refused]
    # Archived after the send: the archive is what went out. Should these writes fail, the
    # claim stays and a rerun reports "already sent" rather than sending a second copy.
    try:
        store.put_json(claim_key(day), {**claim, "state": "sent"})
        keys = _archive_content(store, digest)
        keys.append(_record_send(store, digest, sent_to, sorted(refused), now))
    except StoreError as exc:
        raise ArchiveError(f"the digest of {day} was sent ({digest.message_id}) but archiving it failed: {exc}") from exc
    keys.append(claim_key(day))
    return DigestResult(
        status="sent", day=day.isoformat(), stories=len(digest.stories), recipients=sent_to,
        message_id=digest.message_id, subject=digest.subject, keys=keys, refused=sorted(refused),
        note="resent" if resend and not created else "",
    )


def _write_preview(digest: Digest, recipients: list[str], out_dir: Path | None) -> DigestResult:
    files: list[str] = []
    if out_dir is not None:
        out_dir = Path(out_dir)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            stem = out_dir / f"digest-{digest.day.isoformat()}"
            for suffix, data in ((".html", digest.html.encode("utf-8")), (".txt", digest.text.encode("utf-8")),
                                 (".eml", bytes(digest.message))):
                path = stem.with_suffix(suffix)
                path.write_bytes(data)
                files.append(str(path))
        except OSError as exc:
            raise NewswatchError(f"cannot write the preview into {out_dir}: {exc}") from exc
    return DigestResult(status="dry-run", day=digest.day.isoformat(), stories=len(digest.stories),
                        recipients=recipients, message_id=digest.message_id, subject=digest.subject, keys=files)


def summary_markdown(result: DigestResult, store_uri: str) -> str:
    """A short run summary (the flow's artifact, the CLI's text output)."""
    lines = [f"## newswatch digest {result.day}", "", f"- status: **{result.status}**",
             f"- stories: {result.stories}", f"- store: `{store_uri}`"]
    if result.recipients:
        lines.append(f"- to: {', '.join(result.recipients)}")
    if result.message_id:
        lines.append(f"- message id: `{result.message_id}`")
    if result.refused:
        lines.append(f"- refused: {', '.join(result.refused)}")
    if result.note:
        lines.append(f"- note: {result.note}")
    return "\n".join(lines) + "\n"


def result_json(result: DigestResult) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True)


__all__ = [
    "ArchiveError", "Digest", "DigestResult", "default_day", "prepare_digest", "render", "result_json",
    "run_digest", "subject_for", "summary_markdown",
]
