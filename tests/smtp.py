"""A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port that keeps what it receives.

Shared by the accounts tests (mail, resets) and the web tests (reset by mail through the pages), so
both check the same real delivery.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        #: The bytes of each message exactly as received (header checks that parsing would hide).
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.raw.append(bytes(raw))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class _EphemeralController(Controller):
    """aiosmtpd's Controller on port 0: learn the port the OS picked before the start-up probe."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServer:
    port: int
    inbox: _Inbox
    logins: list[tuple[str, str]] = field(default_factory=list)

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    @property
    def raw(self) -> list[bytes]:
        return self.inbox.raw


def start_smtp(
    *, credentials: tuple[str, str] | None = None, tls_context: ssl.SSLContext | None = None
) -> tuple[Controller, SmtpServer]:
    inbox = _Inbox()
    logins: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            pair = (auth_data.login.decode(), auth_data.password.decode())
            logins.append(pair)
            return AuthResult(success=pair == credentials, handled=False)
        return AuthResult(success=False, handled=False)

    kwargs: dict[str, Any] = {}
    if credentials is not None:
        kwargs.update(
            authenticator=authenticator, auth_require_tls=tls_context is not None, auth_required=True
        )
    if tls_context is not None:
        kwargs.update(tls_context=tls_context, require_starttls=True)
    controller = _EphemeralController(inbox, hostname="127.0.0.1", port=0, **kwargs)
    controller.start()
    return controller, SmtpServer(controller.port, inbox, logins)


@contextmanager
def smtp_catcher() -> Iterator[SmtpServer]:
    """A plain server (no auth, no TLS) for as long as the block runs."""
    controller, server = start_smtp()
    try:
        yield server
    finally:
        controller.stop()
