"""Password reset end to end through a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import logging
import re
import socket
from datetime import timedelta
from pathlib import Path

import pytest

from paidpdf import clock
from paidpdf.accounts import password_resets, sessions, users
from paidpdf.config import Settings
from paidpdf.errors import InvalidInput
from paidpdf.mail import make_mailer
from paidpdf.store import Doc, Store
from tests.accounts.readers import PASSWORD
from tests.data_files import documents
from tests.smtp import SmtpServer

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL

BASE = "https://shop.example.com"
LINK = re.compile(r"https://shop\.example\.com/reset/([A-Za-z0-9_-]+)")


def _smtp_settings(data_dir: Path, port: int) -> Settings:
    env = {
        "PAIDPDF_SMTP_URL": f"smtp://127.0.0.1:{port}?timeout=5",
        "PAIDPDF_MAIL_FROM": "Shop <shop@example.com>",
    }
    return Settings.from_env(env, data_dir=data_dir)


def _token_from(server: SmtpServer, index: int = -1) -> str:
    message = server.messages[index]
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, body.get_content()
    return found.group(1)


def test_reset_link_works_once_and_ends_every_session(
    store: Store, data_dir: Path, reader: Doc, smtp_server: SmtpServer
) -> None:
    tokens = [sessions.open_session(store, reader["id"]) for _ in range(2)]
    mailer = make_mailer(_smtp_settings(data_dir, smtp_server.port))
    password_resets.request_password_reset(store, mailer, "READER@example.com", BASE)

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "reader@example.com"
    assert message["From"] == "Shop <shop@example.com>"
    assert "reset" in message["Subject"].lower()
    assert smtp_server.inbox.envelopes[0] == ("shop@example.com", ["reader@example.com"])
    token = _token_from(smtp_server)
    assert token.encode() not in (store.export("accounts") or b"")  # only the hash is kept
    assert password_resets.reset_token_valid(store, token)

    user = password_resets.reset_password(store, token, "my new secret words")
    assert user["id"] == reader["id"]
    assert all(sessions.session_user(store, t) is None for t in tokens)
    assert users.authenticate(store, "reader@example.com", "my new secret words", "127.0.0.1")
    with pytest.raises(InvalidInput):
        users.authenticate(store, "reader@example.com", PASSWORD, "127.0.0.1")

    assert not password_resets.reset_token_valid(store, token)
    with pytest.raises(InvalidInput, match="this reset link is invalid or has expired"):
        password_resets.reset_password(store, token, "yet another password")
    assert users.authenticate(store, "reader@example.com", "my new secret words", "127.0.0.1")


def test_an_expired_link_fails_and_changes_nothing(
    store: Store, data_dir: Path, reader: Doc, smtp_server: SmtpServer
) -> None:
    mailer = make_mailer(_smtp_settings(data_dir, smtp_server.port))
    asked = clock.now() - timedelta(minutes=61)
    password_resets.request_password_reset(store, mailer, "reader@example.com", BASE, now=asked)
    token = _token_from(smtp_server)
    assert password_resets.reset_token_valid(store, token, now=asked + timedelta(minutes=59))
    assert not password_resets.reset_token_valid(store, token)
    session = sessions.open_session(store, reader["id"])
    before = users.get_user(store, reader["id"])
    with pytest.raises(InvalidInput, match="invalid or has expired"):
        password_resets.reset_password(store, token, "my new secret words")
    assert users.get_user(store, reader["id"]) == before
    assert sessions.session_user(store, session) is not None


def test_a_newer_reset_burns_the_older_links_when_used(
    store: Store, data_dir: Path, reader: Doc, smtp_server: SmtpServer
) -> None:
    mailer = make_mailer(_smtp_settings(data_dir, smtp_server.port))
    password_resets.request_password_reset(store, mailer, "reader@example.com", BASE)
    password_resets.request_password_reset(store, mailer, "reader@example.com", BASE)
    first, second = _token_from(smtp_server, 0), _token_from(smtp_server, 1)
    assert first != second
    password_resets.reset_password(store, second, "my new secret words")
    assert not password_resets.reset_token_valid(store, first)
    assert not documents(store, "accounts").get("resets")  # no link left (PostgreSQL keeps no empty tables)


def test_unknown_or_disabled_addresses_get_no_mail(
    store: Store, data_dir: Path, reader: Doc, smtp_server: SmtpServer
) -> None:
    mailer = make_mailer(_smtp_settings(data_dir, smtp_server.port))
    password_resets.request_password_reset(store, mailer, "ghost@example.com", BASE)
    password_resets.request_password_reset(store, mailer, "not an address", BASE)
    users.set_disabled(store, "reader@example.com", True)
    password_resets.request_password_reset(store, mailer, "reader@example.com", BASE)
    assert smtp_server.messages == []


def test_reset_mails_are_capped_per_hour(
    store: Store, data_dir: Path, reader: Doc, smtp_server: SmtpServer
) -> None:
    mailer = make_mailer(_smtp_settings(data_dir, smtp_server.port))
    for _ in range(password_resets.MAX_OPEN_RESETS + 2):
        password_resets.request_password_reset(store, mailer, "reader@example.com", BASE)
    assert len(smtp_server.messages) == password_resets.MAX_OPEN_RESETS


def test_a_short_new_password_keeps_the_link_usable(
    store: Store, data_dir: Path, reader: Doc, smtp_server: SmtpServer
) -> None:
    mailer = make_mailer(_smtp_settings(data_dir, smtp_server.port))
    password_resets.request_password_reset(store, mailer, "reader@example.com", BASE)
    token = _token_from(smtp_server)
    with pytest.raises(InvalidInput, match="too short"):
        password_resets.reset_password(store, token, "short")
    assert password_resets.reset_token_valid(store, token)
    password_resets.reset_password(store, token, "long enough now")


def test_a_dead_mail_server_is_logged_not_shown(
    store: Store, data_dir: Path, reader: Doc, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailer = make_mailer(_smtp_settings(data_dir, port))
    password_resets.request_password_reset(store, mailer, "reader@example.com", BASE)  # no exception
    failures = [r for r in caplog.records if r.name == "paidpdf.accounts" and r.levelno == logging.ERROR]
    assert failures and "reader@example.com" in failures[0].getMessage()


def test_reset_through_the_outbox_when_no_smtp_is_set(store: Store, settings: Settings, reader: Doc) -> None:
    mailer = make_mailer(settings)
    password_resets.request_password_reset(store, mailer, "reader@example.com", BASE)
    (mail,) = (settings.data_dir / "outbox").glob("*.eml")
    token = LINK.search(mail.read_text())
    assert token is not None
    password_resets.reset_password(store, token.group(1), "outbox works too")
    assert users.authenticate(store, "reader@example.com", "outbox works too", "127.0.0.1")
