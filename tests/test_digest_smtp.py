"""Sending the digest when SMTP misbehaves: refusals, dropped connections, resends, retries.

The rule under test: a day is claimed before sending; a failure that certainly delivered
nothing releases the claim (the next run sends), a connection lost while the body was in
flight keeps it (a person decides, with --resend), and a success is never repeated.
"""

from __future__ import annotations

import logging
import pytest

from extractors.errors import StoreError
from flows.digest import ArchiveError, run_digest
from flows.mailer import MailError, SmtpConfig
from tests.test_digest import DAY, NOW, digest_settings, load_fixture_store, parse

CLAIM = "digests/2026-11-21/claim.json"

# aiosmtpd warns that AUTH without TLS is unsafe: true, and fine on loopback in a test.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def store(tmp_path):
    return load_fixture_store(tmp_path / "store")


def test_refusing_server_leaves_the_day_unclaimed_and_the_next_run_sends(store, smtp_refusing, smtp_server):
    with pytest.raises(MailError) as failure:
        run_digest(store.uri, DAY, settings=digest_settings(smtp_refusing), now=NOW)

    assert failure.value.code == 554 and not failure.value.maybe_delivered
    assert not store.exists(CLAIM) and not store.exists("digests/2026-11-21/digest.json")

    result = run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW)
    assert result.status == "sent" and len(smtp_server.messages) == 1


def test_connection_closed_before_the_greeting_releases_the_claim(store, smtp_dropping, smtp_server):
    with smtp_dropping("greeting") as dropping:
        with pytest.raises(MailError) as failure:
            run_digest(store.uri, DAY, settings=digest_settings(dropping), now=NOW)

    assert not failure.value.maybe_delivered and failure.value.code is None
    assert not store.exists(CLAIM)
    assert run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW).status == "sent"


def test_connection_lost_after_the_body_keeps_the_claim_until_resend(store, smtp_dropping, smtp_server):
    with smtp_dropping("after-data") as dropping:
        with pytest.raises(MailError) as failure:
            run_digest(store.uri, DAY, settings=digest_settings(dropping), now=NOW)

    # The server had the whole message: it may have queued it, so nothing is sent again by itself.
    assert failure.value.maybe_delivered
    assert store.get_json(CLAIM)["state"] == "uncertain"
    rerun = run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW)
    assert rerun.status == "already-sent" and "--resend" in rerun.note
    assert smtp_server.messages == []

    resent = run_digest(store.uri, DAY, resend=True, settings=digest_settings(smtp_server), now=NOW)
    assert resent.status == "sent" and len(smtp_server.messages) == 1


def test_resend_sends_again_with_a_new_message_id_and_keeps_the_history(store, smtp_server):
    settings = digest_settings(smtp_server)
    first = run_digest(store.uri, DAY, settings=settings, now=NOW)
    again = run_digest(store.uri, DAY, resend=True, settings=settings, now=NOW)

    assert again.status == "sent" and again.note == "resent"
    assert len(smtp_server.messages) == 2
    assert parse(smtp_server.messages[1].data)["Message-ID"] == again.message_id != first.message_id
    sends = store.get_json("digests/2026-11-21/digest.json")["sends"]
    assert [s["message_id"] for s in sends] == [first.message_id, again.message_id]
    assert run_digest(store.uri, DAY, settings=settings, now=NOW).status == "already-sent"


def test_failed_resend_keeps_the_day_claimed(store, smtp_server, smtp_refusing):
    run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW)
    with pytest.raises(MailError):
        run_digest(store.uri, DAY, resend=True, settings=digest_settings(smtp_refusing), now=NOW)

    assert store.exists(CLAIM)
    assert run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW).status == "already-sent"
    assert len(smtp_server.messages) == 1


def test_archive_failure_after_sending_is_not_a_reason_to_send_again(store, smtp_server, monkeypatch):
    real_put = type(store).put

    def failing_put(self, key, data, **kwargs):
        if key.endswith("digest.eml"):
            raise StoreError("disk full")
        return real_put(self, key, data, **kwargs)

    monkeypatch.setattr(type(store), "put", failing_put)
    with pytest.raises(ArchiveError):
        run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW)
    monkeypatch.undo()

    assert len(smtp_server.messages) == 1 and store.exists(CLAIM)
    assert run_digest(store.uri, DAY, settings=digest_settings(smtp_server), now=NOW).status == "already-sent"
    assert len(smtp_server.messages) == 1


def test_login_with_the_configured_password_sends(store, smtp_auth_server):
    settings = digest_settings(smtp_auth_server, smtp_user="digest", smtp_password="right-password")

    assert run_digest(store.uri, DAY, settings=settings, now=NOW).status == "sent"
    assert len(smtp_auth_server.messages) == 1


def test_refused_login_never_shows_the_password(store, smtp_auth_server, caplog):
    settings = digest_settings(smtp_auth_server, smtp_user="digest", smtp_password="wrong-hunter2")

    with caplog.at_level(logging.DEBUG):
        with pytest.raises(MailError) as failure:
            run_digest(store.uri, DAY, settings=settings, now=NOW)

    assert failure.value.code == 535 and "login refused" in str(failure.value)
    for text in (str(failure.value), repr(failure.value), caplog.text, repr(SmtpConfig.from_settings(settings))):
        assert "wrong-hunter2" not in text
    assert not store.exists(CLAIM) and smtp_auth_server.messages == []


def test_retry_policy_retries_only_what_cannot_have_been_delivered():
    from flows.digest_flow import worth_retrying

    assert worth_retrying(MailError("connection refused"))
    assert worth_retrying(MailError("try later", code=421))
    assert not worth_retrying(MailError("relay denied", code=554))
    assert not worth_retrying(MailError("lost during DATA", maybe_delivered=True))
    assert not worth_retrying(ArchiveError("sent, archive failed"))
    assert worth_retrying(StoreError("S3 503 before sending"))


def test_recipients_all_refused_for_good_are_not_retried_and_a_greylisted_one_is():
    import smtplib

    from flows.digest_flow import worth_retrying
    from flows.mailer import SmtpConfig, _convert

    config = SmtpConfig(host="mail.example.org", port=25)
    for_good = smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user"), "b@example.org": (553, b"no")})
    later = smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user"), "b@example.org": (451, b"greylisted")})
    assert not worth_retrying(_convert(for_good, config, "rcpt"))
    assert worth_retrying(_convert(later, config, "rcpt"))


# The Prefect flow --------------------------------------------------------------------------------


def _flow_env(monkeypatch, server, store_root):
    for name, value in {**server.env(), "NEWSWATCH_TIMEZONE": "Asia/Tbilisi",
                        "NEWSWATCH_FEEDS_FILE": str(digest_settings().feeds_file),
                        "NEWSWATCH_DIGEST_TO": "desk@example.org", "NEWSWATCH_DIGEST_FROM": "newswatch@example.org",
                        "NEWSWATCH_STORE": str(store_root), "NEWSWATCH_TASK_RETRY_DELAYS": "[0, 0, 0]"}.items():
        monkeypatch.setenv(name, value)
    from config.settings import get_settings

    get_settings.cache_clear()


@pytest.mark.slow
def test_daily_digest_flow_sends_once_and_leaves_a_summary(prefect_harness, store, smtp_server, monkeypatch):
    from prefect.artifacts import Artifact

    from flows.digest_flow import daily_digest

    _flow_env(monkeypatch, smtp_server, store.root)
    first = daily_digest(date="2026-11-21")
    second = daily_digest(date="2026-11-21")

    assert first.status == "sent" and first.stories == 5
    assert second.status == "already-sent"
    assert len(smtp_server.messages) == 1
    artifact = Artifact.get("digest-summary")
    assert artifact is not None and "already-sent" in artifact.data


@pytest.mark.slow
def test_flow_retries_a_dropped_connection_without_double_sending(prefect_harness, store, smtp_dropping,
                                                                 smtp_server, monkeypatch):
    from flows.digest_flow import daily_digest

    with smtp_dropping("greeting") as dropping:
        _flow_env(monkeypatch, dropping, store.root)
        with pytest.raises(MailError):
            daily_digest(date="2026-11-21")
    assert dropping.connections == 4  # the first attempt and three retries
    assert not store.exists(CLAIM)

    _flow_env(monkeypatch, smtp_server, store.root)
    assert daily_digest(date="2026-11-21").status == "sent"
    assert len(smtp_server.messages) == 1


@pytest.mark.slow
def test_password_can_come_from_a_prefect_secret_block(prefect_harness, store, smtp_auth_server):
    from prefect.blocks.system import Secret

    Secret(value="right-password").save("newswatch-smtp-test", overwrite=True)
    settings = digest_settings(smtp_auth_server, smtp_user="digest", smtp_password_block="newswatch-smtp-test")

    assert "right-password" not in repr(SmtpConfig.from_settings(settings))
    assert run_digest(store.uri, DAY, settings=settings, now=NOW).status == "sent"
    assert len(smtp_auth_server.messages) == 1


@pytest.mark.slow
def test_cli_sends_through_the_flow_and_reports_json(prefect_harness, store, smtp_server, monkeypatch, capsys):
    import json

    from flows.cli import main

    _flow_env(monkeypatch, smtp_server, store.root)
    code = main(["digest", "--date", "2026-11-21", "--to", "x@example.org", "y@example.org", "--format", "json"])
    result = json.loads(capsys.readouterr().out)

    assert code == 0 and result["status"] == "sent" and result["recipients"] == ["x@example.org", "y@example.org"]
    assert smtp_server.messages[0].rcpt_tos == ["x@example.org", "y@example.org"]
    assert main(["digest", "--date", "2026-11-21"]) == 0
    out, err = capsys.readouterr()
    assert "already-sent" in out and "--resend" in err and len(smtp_server.messages) == 1
    assert main(["-q", "digest", "--date", "2026-11-21"]) == 0
    assert "--resend" not in capsys.readouterr().err  # a note, not an error: -q leaves only errors


def test_a_server_offering_no_login_is_a_permanent_failure_with_its_setting_named():
    import smtplib

    from config.settings import Settings
    from flows.digest_flow import worth_retrying
    from flows.mailer import _convert

    config = SmtpConfig.from_settings(Settings(smtp_host="127.0.0.1", smtp_port=2525, smtp_user="u", smtp_password="p"))
    error = _convert(smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server."), config, "connect")
    assert "NEWSWATCH_SMTP_TLS" in str(error) and not worth_retrying(error)
