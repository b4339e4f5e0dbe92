"""Real SMTP servers on loopback for the digest tests.

* ``smtp_server``: an aiosmtpd ``Controller`` on 127.0.0.1 and a free port that keeps every
  message it accepts (``.messages``: envelope sender, recipients, raw bytes);
* ``smtp_auth_server``: the same, requiring AUTH LOGIN/PLAIN as ``digest`` / ``right-password``
  (offered without TLS: loopback only);
* ``smtp_refusing``: aiosmtpd answering 554 to MAIL, RCPT and DATA;
* ``smtp_dropping``: a scripted server that closes the connection right after the greeting
  (``mode="greeting"``) or after reading the whole message body without answering it
  (``mode="after-data"``: the client cannot know whether the message was taken).
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    connections: int = 0

    def env(self) -> dict[str, str]:
        """The NEWSWATCH_* variables that point the digest at this server."""
        return {"NEWSWATCH_SMTP_HOST": self.host, "NEWSWATCH_SMTP_PORT": str(self.port), "NEWSWATCH_SMTP_TLS": "none"}


class _Collector:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, server, session, envelope):
        self.server.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 2.0.0 Message accepted"


class _Refuser:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.server.connections += 1
        return "554 5.7.1 Service unavailable; sender refused"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "554 5.7.1 Relay access denied"

    async def handle_DATA(self, server, session, envelope):
        return "554 5.6.0 Message refused"


AUTH_USER, AUTH_PASSWORD = "digest", "right-password"


def _authenticate(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and auth_data.login == AUTH_USER.encode() \
        and auth_data.password == AUTH_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=True would mean "I already replied"


def _controller(handler_type, **smtp_options):
    from aiosmtpd.controller import Controller

    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(handler_type(server), hostname=server.host, port=server.port, ready_timeout=10,
                            **smtp_options)
    controller.start()
    return server, controller


@pytest.fixture
def smtp_server():
    server, controller = _controller(_Collector)
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_auth_server():
    server, controller = _controller(_Collector, authenticator=_authenticate, auth_required=True,
                                     auth_require_tls=False)
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_refusing():
    server, controller = _controller(_Refuser)
    try:
        yield server
    finally:
        controller.stop()


class _DroppingServer:
    """Just enough SMTP to get a client to a chosen point, then a closed connection."""

    def __init__(self, mode: str):
        self.mode = mode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.info = SmtpServer("127.0.0.1", self.listener.getsockname()[1])
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="smtp-dropping", daemon=True)

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _addr = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            self.info.connections += 1
            with conn:
                conn.settimeout(5)
                try:
                    self._talk(conn)
                except OSError:
                    pass

    def _talk(self, conn: socket.socket) -> None:
        if self.mode == "greeting":
            return  # close before even saying hello
        conn.sendall(b"220 dropping.test ESMTP\r\n")
        reader = conn.makefile("rb")
        while True:
            line = reader.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250 dropping.test\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                while reader.readline() not in (b".\r\n", b""):
                    pass
                return  # the body is here; the reply never comes
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")

    def __enter__(self) -> SmtpServer:
        self.thread.start()
        return self.info

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.listener.close()


@pytest.fixture
def smtp_dropping():
    """A factory: ``with smtp_dropping("greeting") as server: ...``."""
    return _DroppingServer
