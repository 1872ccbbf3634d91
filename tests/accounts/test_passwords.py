"""argon2id hashes: production parameters are memory-hard; cheaper hashes are upgraded on login."""

from __future__ import annotations

import pytest

from paidpdf.accounts import passwords, users
from paidpdf.store import Store
from tests.accounts.readers import PASSWORD

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL


def test_unicode_passwords_match_in_any_normal_form(store: Store) -> None:
    composed, decomposed = "caf\u00e9 au lait", "cafe\u0301 au lait"
    users.sign_up(store, "reader@example.com", composed)
    assert users.authenticate(store, "reader@example.com", decomposed, "127.0.0.1")["email"]


def test_login_upgrades_a_hash_made_with_weaker_parameters(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = users.sign_up(store, "reader@example.com", PASSWORD)  # test profile: m=64
    assert "$m=64," in user["password_hash"]
    monkeypatch.setenv(passwords.PROFILE_ENV, "production")
    users.authenticate(store, "reader@example.com", PASSWORD, "127.0.0.1")
    upgraded = users.get_user(store, user["id"])
    assert upgraded is not None
    assert upgraded["password_hash"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert users.authenticate(store, "reader@example.com", PASSWORD, "127.0.0.1")["id"] == user["id"]


def test_login_under_the_test_profile_never_downgrades_a_strong_hash(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(passwords.PROFILE_ENV, "production")
    user = users.sign_up(store, "reader@example.com", PASSWORD)
    strong = user["password_hash"]
    assert strong.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    monkeypatch.setenv(passwords.PROFILE_ENV, "test")  # a production shop misconfigured
    assert not passwords.needs_rehash(strong)
    assert users.authenticate(store, "reader@example.com", PASSWORD, "127.0.0.1")["id"] == user["id"]
    kept = users.get_user(store, user["id"])
    assert kept is not None
    assert kept["password_hash"] == strong


