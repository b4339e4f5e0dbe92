"""The one settings object. Every field has a ``NEWSWATCH_*`` environment twin.

Secrets (SMTP password, S3 keys) are never read from a file: they come from the
environment (the standard AWS chain for S3) or from Prefect Secret / AwsCredentials
blocks named here, and ``SecretStr`` keeps them out of reprs and logs.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

from config import FEEDS_FILE, TOPICS_FILE
from extractors.errors import ConfigError

# Operators should add a contact (NEWSWATCH_USER_AGENT="newswatch/0.1 (+mailto:desk@example.org)").
USER_AGENT = "newswatch/0.1 (Caucasus news monitor)"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSWATCH_", extra="ignore")

    # Store and configuration files
    store: str = "./data"
    feeds_file: Path = FEEDS_FILE
    topics_file: Path = TOPICS_FILE

    # Fetcher politeness and safety
    user_agent: str = USER_AGENT
    allow_private_hosts: bool = False  # tests and the demo serve on loopback
    timeout_seconds: float = Field(20.0, gt=0, le=600)  # one deadline per fetch, headers and body included
    max_page_bytes: int = Field(5_000_000, gt=0)
    max_feed_bytes: int = Field(10_000_000, gt=0)
    max_redirects: int = Field(5, ge=0, le=20)
    per_host_concurrency: int = Field(2, ge=1, le=64)
    fetch_concurrency: int = Field(8, ge=1, le=256)
    respect_robots: bool = True
    max_retry_after_seconds: float = Field(60.0, ge=0, le=3600)

    # Orchestration. In-run retry delays (s) of a feed task after a time-out or refused connection:
    # none by default — a failed feed waits for the next poll (back-off by polls, flows/pipeline.py),
    # so a dead host never holds the run. "10,30" or "[10, 30]"; at most 5 delays of at most 600 s.
    task_retry_delays: Annotated[list[float], NoDecode] = Field(default_factory=list)
    feed_workers: int = Field(4, ge=1, le=64)  # feeds polled at once
    # New pages of one feed fetched, extracted and committed together: a feed listing thousands of
    # items is stored batch by batch (bounded memory, kept progress), not held whole until its end.
    batch_pages: int = Field(100, ge=1, le=10_000)
    page_timeout_seconds: float = Field(120.0, ge=1, le=3600)  # one page's extraction in a worker, then it is stopped
    # Processes that extract and judge fetched pages (flows/workers.py); 0 or unset: one per CPU,
    # 1: in the poll's own process.
    workers: int = Field(default=0, validate_default=True)

    # Pipeline decisions
    keep_irrelevant: bool = False  # deprecated, no effect: every fetched article is stored (irrelevant flagged)
    store_raw: bool = True

    # S3 (credentials come from the AWS chain or a Prefect AwsCredentials block)
    s3_endpoint: str | None = None
    s3_path_style: bool = False
    s3_region: str | None = None
    aws_credentials_block: str | None = None
    upload_threads: int = Field(16, ge=1, le=256)
    # Local copies of an S3 store's state bases, so a run downloads a base once per compaction
    # (storage/base_cache.py, under NEWSWATCH_CACHE_DIR); 0: no copies, every run downloads them.
    state_cache_mb: int = Field(4096, ge=0)

    # Digest
    timezone: str = "UTC"
    smtp_host: str = "localhost"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_password_block: str | None = None  # name of a Prefect Secret block
    smtp_tls: str = "none"  # starttls | ssl | none
    smtp_timeout_seconds: float = Field(30.0, gt=0, le=600)
    digest_from: str = "newswatch@localhost"
    digest_to: Annotated[list[str], NoDecode] = Field(default_factory=list)
    digest_send_empty: bool = True
    digest_silent_days: int = Field(3, ge=0)

    @field_validator("feeds_file", "topics_file", mode="before")
    @classmethod
    def _named_file(cls, value):
        # an empty NEWSWATCH_FEEDS_FILE= would be "." and read as a directory; say what is wrong
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty: give a file path, or unset it for the default")
        return value

    @field_validator("digest_to", mode="before")
    @classmethod
    def _split_addresses(cls, value):
        # "a@x, b@y" in the environment; a list in code.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("digest_to")
    @classmethod
    def _check_recipients(cls, value):
        return mail_addresses(value)

    @field_validator("digest_from")
    @classmethod
    def _check_sender(cls, value):
        return mail_addresses([value])[0]

    @field_validator("task_retry_delays", mode="before")
    @classmethod
    def _parse_delays(cls, value):
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                try:
                    value = json.loads(text)
                except ValueError:
                    raise ValueError(f"{text!r} is not a list of seconds (e.g. 10,30 or [10, 30])") from None
            else:
                value = [part.strip() for part in text.split(",") if part.strip()]
        if not isinstance(value, (list, tuple)):
            raise ValueError("a list of seconds (e.g. 10,30)")
        try:
            delays = [float(v) for v in value]
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a list of seconds (e.g. 10,30)") from None
        if len(delays) > 5 or any(not 0 <= d <= 600 for d in delays):
            raise ValueError("at most 5 delays, each between 0 and 600 seconds")
        return delays

    @field_validator("workers")
    @classmethod
    def _check_workers(cls, value: int) -> int:
        if value < 0 or value > 256:
            raise ValueError("NEWSWATCH_WORKERS must be between 1 and 256 (0: one per CPU)")
        return value or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)

    @field_validator("user_agent")
    @classmethod
    def _check_user_agent(cls, value: str) -> str:
        # sent as an HTTP header: printable ASCII on one line (a newline made every feed "unreachable",
        # an accented letter a UnicodeEncodeError per request)
        value = (value or "").strip()
        if not value or not all(" " <= c <= "~" for c in value):
            raise ValueError("NEWSWATCH_USER_AGENT must be one line of printable ASCII "
                             "(e.g. newswatch/0.1 (+mailto:desk@example.org))")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        value = (value or "").strip() or "UTC"  # an empty variable means the default
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"NEWSWATCH_TIMEZONE={value!r} is not an IANA time zone (e.g. Asia/Tbilisi)") from None
        return value

    @field_validator("smtp_tls")
    @classmethod
    def _check_tls(cls, value: str) -> str:
        value = value.lower()
        if value not in {"starttls", "ssl", "none"}:
            raise ValueError("NEWSWATCH_SMTP_TLS must be starttls, ssl or none")
        return value


_MAILBOX = re.compile(r"[^@\s<>,;]+@[^@\s<>,;.][^@\s<>,;]*")


def mail_addresses(values: list[str]) -> list[str]:
    """The addresses as given, each checked to be one mailbox ("desk@example.org" or
    "Desk <desk@example.org>"): a typo must stop the digest before it is sent to "not" and the
    day marked as sent."""
    from email.utils import parseaddr

    for value in values:
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):  # a line break would end the mail header
            raise ValueError(f"{value!r} is not an e-mail address (it holds a line break or control character)")
        _name, address = parseaddr(value)
        if not _MAILBOX.fullmatch(address or "") or address.endswith("."):
            raise ValueError(f"{value!r} is not an e-mail address (name@example.org)")
    return list(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def settings_with(**overrides) -> Settings:
    """Settings from the environment with some fields replaced (CLI flags win)."""
    base = get_settings()
    values = {k: v for k, v in overrides.items() if v is not None}
    if not values:
        return base
    try:
        return Settings.model_validate({**base.model_dump(), **values})
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    problems = [f"{_variable(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
    return "invalid settings: " + "; ".join(problems)


def _variable(loc: tuple) -> str:
    """The environment variable a validation error is about (what the operator set)."""
    if not loc:
        return "settings"
    name = "NEWSWATCH_" + str(loc[0]).upper()
    return name + ("".join(f"[{part}]" for part in loc[1:]) if len(loc) > 1 else "")
