"""Where things live in the store (identical on a directory and in a bucket).

    seeds/<id>.json                           the seed corpus, cleaned, as article records
    articles/<yyyy>/<mm>/<dd>/<id>.json       by first_seen date (UTC)
    raw/<yyyy>/<mm>/<dd>/<id>.html.gz         the page as fetched
    raw-meta/<yyyy>/<mm>/<dd>/<id>.json       its feed entry and fetch facts (flows.rebuild.PageMeta)
    manifests/<yyyy>/<mm>/<dd>/<run-id>.jsonl one line per record a run stored
    state/feeds/<feed-id>.json                validators, body hash, last poll, failures
    state/seen/<yyyy-mm>/seg-…|base-….bin     URL keys handled (storage.seen_index, storage.segments)
    state/journal/<run-id>.json               work in flight: recovered by the next run after a crash
    state/dedup/...                           the near-duplicate index (storage.dedup_index)
    state/sites/<host>.json                   per-site boilerplate memory
    digests/<yyyy-mm-dd>/digest.html|.txt|.json|.eml
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timezone

_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")


def url_key(url: str) -> str:
    """A short stable key for a canonical URL (the article id and the seen-index entry)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]


def safe_id(text: str) -> str:
    """A key-safe form of a feed id, host name or file stem."""
    return _SAFE_ID.sub("-", text).strip("-") or "x"


def as_utc(moment: datetime | str) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is timezone.utc:  # the usual case (the pipeline's own times): nothing to convert
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def day_path(day: date | datetime | str) -> str:
    """``yyyy/mm/dd`` for a date, a UTC datetime or an ISO string."""
    if isinstance(day, str):
        day = as_utc(day) if "T" in day else date.fromisoformat(day)
    if isinstance(day, datetime):
        day = as_utc(day).date()
    return f"{day.year:04d}/{day.month:02d}/{day.day:02d}"


def article_key(article_id: str, first_seen: datetime | str) -> str:
    return f"articles/{day_path(first_seen)}/{article_id}.json"


def seed_key(article_id: str) -> str:
    return f"seeds/{article_id}.json"


def raw_key(article_id: str, first_seen: datetime | str) -> str:
    return f"raw/{day_path(first_seen)}/{article_id}.html.gz"


def raw_meta_key(raw_page_key: str) -> str:
    """The metadata object of a raw page: ``raw/<day>/<id>.html.gz`` → ``raw-meta/<day>/<id>.json``.

    A prefix of its own rather than a sidecar under ``raw/``: everything under ``raw/`` is a
    page (store check counts and rebuilds from them), and a page's metadata is found from
    its key alone.
    """
    inner = raw_page_key[len("raw/"):] if raw_page_key.startswith("raw/") else raw_page_key
    head, _, name = inner.rpartition("/")
    return f"raw-meta/{head}/{name.split('.', 1)[0]}.json" if head else f"raw-meta/{name.split('.', 1)[0]}.json"


def manifest_key(run_id: str, day: date | datetime | str) -> str:
    return f"manifests/{day_path(day)}/{safe_id(run_id)}.jsonl"


def manifest_prefix(day: date | datetime | str) -> str:
    return f"manifests/{day_path(day)}/"


def feed_state_key(feed_id: str) -> str:
    return f"state/feeds/{safe_id(feed_id)}.json"


def journal_key(run_id: str) -> str:
    return f"state/journal/{safe_id(run_id)}.json"


def site_memory_key(host: str) -> str:
    return f"state/sites/{safe_id(host.lower())}.json"


def digest_prefix(day: date | str) -> str:
    return f"digests/{day if isinstance(day, str) else day.isoformat()}/"


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: UTC time plus randomness."""
    import secrets

    now = as_utc(now or datetime.now(timezone.utc))
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
