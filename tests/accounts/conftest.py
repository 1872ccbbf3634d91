"""Fixtures for the accounts area: cheap argon2 parameters and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paidpdf.accounts import users
from paidpdf.store import Doc, Store
from tests.accounts.readers import PASSWORD
from tests.smtp import SmtpServer, smtp_catcher


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with tiny parameters (documented `PAIDPDF_ARGON2_PROFILE=test`); production is
    asserted separately in test_passwords.py."""
    monkeypatch.setenv("PAIDPDF_ARGON2_PROFILE", "test")


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a random port, collecting what it receives."""
    with smtp_catcher() as server:
        yield server


@pytest.fixture
def reader(store: Store) -> Doc:
    return users.sign_up(store, "Reader@Example.com", PASSWORD)
