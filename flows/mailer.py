"""The SMTP adapter: one message out through smtplib, errors converted to ``MailError``.

Only this module talks SMTP. Two things matter beyond "send it":

* the password never reaches a log, a repr or an exception message (``SecretStr``
  until the ``login`` call; smtplib's debug output, which would print the AUTH
  exchange, is never switched on);
* a failure says whether the server may already hold the message. Anything before
  the message body went out (connect, TLS, login, MAIL FROM, RCPT TO, a refused
  DATA) certainly delivered nothing, so the caller may release its claim and retry.
  A connection lost *during* DATA is ambiguous — the server may have queued the
  message before the link broke — and retrying then risks a double send.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

from pydantic import SecretStr

from config.settings import Settings
from extractors.errors import ConfigError, NewswatchError

log = logging.getLogger("newswatch.mailer")


class MailError(NewswatchError):
    """The digest could not be handed to the SMTP server."""

    def __init__(self, message: str, *, maybe_delivered: bool = False, code: int | None = None):
        super().__init__(message)
        # True only when the link broke while the body was in flight: the server may
        # have queued the message, so an automatic retry could send it twice.
        self.maybe_delivered = maybe_delivered
        self.code = code


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: str = "none"  # starttls | ssl | none
    user: str | None = None
    password: SecretStr | None = field(default=None, repr=False)
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmtpConfig":
        password = settings.smtp_password
        # The Prefect Secret block is consulted only when a user needs a password and the
        # environment gave none: plain SMTP relays never import Prefect.
        if settings.smtp_user and password is None and settings.smtp_password_block:
            password = SecretStr(_secret_from_block(settings.smtp_password_block))
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,
            user=settings.smtp_user,
            password=password,
            timeout=settings.smtp_timeout_seconds,
        )

    def describe(self) -> str:
        """Where mail goes, for messages (never the password)."""
        who = f"{self.user}@" if self.user else ""
        return f"smtp://{who}{self.host}:{self.port} (tls={self.tls})"


def _secret_from_block(name: str) -> str:
    try:
        from prefect.blocks.system import Secret  # imported only for this case

        block = Secret.load(name)
    except Exception as exc:  # Prefect raises ValueError, httpx errors, ... for a missing block
        raise ConfigError(f"cannot load the Prefect Secret block {name!r}: {type(exc).__name__}") from None
    # Secret.get() JSON-decodes strings ("12345" → int); the raw value keeps a password a string.
    value = block.value.get_secret_value()
    return value if isinstance(value, str) else str(value)


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if config.tls == "ssl":
        conn: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    else:
        conn = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        conn.ehlo()
        if config.tls == "starttls":
            conn.starttls(context=context)
            conn.ehlo()
        if config.user:
            if config.password is None:
                raise MailError(f"{config.describe()}: NEWSWATCH_SMTP_USER is set but no password was given")
            conn.login(config.user, config.password.get_secret_value())
    except BaseException:
        conn.close()
        raise
    return conn


def send_message(
    message: EmailMessage, config: SmtpConfig, *, sender: str, recipients: list[str]
) -> dict[str, tuple[int, str]]:
    """Send ``message`` to ``recipients``. Returns the recipients the server refused (others got it).

    Raises ``MailError`` when nobody got it; ``maybe_delivered`` tells whether that is certain.
    """
    if not recipients:
        raise ConfigError("no digest recipients: set NEWSWATCH_DIGEST_TO or pass --to")
    body = message.as_bytes(policy=SMTP_POLICY)
    phase = "connect"
    conn = None
    try:
        conn = _connect(config)
        phase = "envelope"
        refused = _envelope(conn, sender, recipients)
        phase = "data"
        code, reply = conn.data(body)
        if code != 250:
            phase = "rejected"  # a definite answer: the server did not take it
            raise smtplib.SMTPDataError(code, reply)
    except MailError:
        raise
    except smtplib.SMTPException as exc:
        raise _convert(exc, config, phase) from exc
    except OSError as exc:  # refused connection, DNS, time-out, TLS (ssl.SSLError is an OSError)
        raise _convert(exc, config, phase) from exc
    finally:
        if conn is not None:
            _quit_quietly(conn)
    log.info("digest sent via %s to %d recipient(s)", config.describe(), len(recipients) - len(refused))
    return refused


def _envelope(conn: smtplib.SMTP, sender: str, recipients: list[str]) -> dict[str, tuple[int, str]]:
    code, reply = conn.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused: dict[str, tuple[int, str]] = {}
    for address in recipients:
        code, reply = conn.rcpt(address)
        if code not in (250, 251):
            refused[address] = (code, reply.decode("utf-8", "replace"))
    if len(refused) == len(recipients):
        raise smtplib.SMTPRecipientsRefused({a: (c, r.encode()) for a, (c, r) in refused.items()})
    return refused


def _quit_quietly(conn: smtplib.SMTP) -> None:
    # Once DATA got its 250 the message is the server's: a failing QUIT changes nothing.
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()


def _convert(exc: BaseException, config: SmtpConfig, phase: str) -> MailError:
    where = config.describe()
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        text = f"{where}: login refused ({exc.smtp_code})"  # the reply, never the credentials
    elif isinstance(exc, smtplib.SMTPNotSupportedError):
        # a server that offers no login (AUTH) will not offer it on a retry: a setting to change
        text = f"{where}: the server offers no login (AUTH) on this port or without TLS: check NEWSWATCH_SMTP_PORT and NEWSWATCH_SMTP_TLS"
        code = 504
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = ", ".join(f"{addr} ({c})" for addr, (c, _r) in exc.recipients.items())
        text = f"{where}: every recipient refused: {parts}"
        # the exception carries one code per address: permanent (5xx) only when every refusal is,
        # so a 550 "no such user" is not retried three times
        codes = [c for c, _r in exc.recipients.values() if isinstance(c, int)]
        code = (max(codes) if all(c >= 500 for c in codes) else min(codes)) if codes else None
    elif isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        text = f"{where}: server answered {exc.smtp_code} {reply.strip()}"
    elif isinstance(exc, (socket.timeout, TimeoutError)):
        text = f"{where}: timed out during {phase}"
    else:
        text = f"{where}: {type(exc).__name__} during {phase}: {exc}"
    # Only a broken link while the body was in flight leaves the outcome unknown.
    maybe = phase == "data" and not isinstance(exc, smtplib.SMTPResponseException)
    if maybe:
        text += " (the server may have accepted the message)"
    return MailError(text, maybe_delivered=maybe, code=code)
