"""argon2id hashes: production parameters are memory-hard; cheaper hashes are upgraded on login."""

from __future__ import annotations

import logging

import pytest
from argon2 import PasswordHasher, Type
from argon2.low_level import ARGON2_VERSION

from paidpdf.accounts import passwords, users
from paidpdf.errors import ConfigError
from paidpdf.store import Store
from tests.accounts.readers import PASSWORD

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL


def test_production_profile_is_memory_hard_argon2id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(passwords.PROFILE_ENV, raising=False)
    assert passwords.profile_name() == "production"
    params = passwords.PRODUCTION
    assert params.type is Type.ID
    assert params.memory_cost >= 64 * 1024  # KiB: 64 MiB
    assert params.time_cost >= 3
    assert params.parallelism >= 1
    hashed = passwords.hash_password(PASSWORD)
    assert hashed.startswith(f"$argon2id$v={ARGON2_VERSION}$m=65536,t=3,p=4$")
    assert passwords.verify_password(hashed, PASSWORD)
    assert not passwords.verify_password(hashed, PASSWORD + "!")
    assert not passwords.needs_rehash(hashed)


def test_test_profile_is_still_argon2id() -> None:
    assert passwords.profile_name() == "test"
    hashed = passwords.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, PASSWORD)


def test_unknown_profile_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(passwords.PROFILE_ENV, "fast")
    with pytest.raises(ConfigError, match=passwords.PROFILE_ENV):
        passwords.hash_password(PASSWORD)


def test_broken_or_foreign_hashes_never_verify() -> None:
    for stored in (None, "", "x", "$argon2id$garbage", "$2b$12$abcdefghijklmnopqrstuv"):
        assert not passwords.verify_password(stored, PASSWORD)


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


def test_only_weaker_parameters_ask_for_a_rehash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(passwords.PROFILE_ENV, "production")
    weak = passwords.hasher_for("test").hash(PASSWORD)
    stronger = PasswordHasher(time_cost=4, memory_cost=128 * 1024, parallelism=4).hash(PASSWORD)
    assert passwords.needs_rehash(weak)
    assert not passwords.needs_rehash(stronger)
    assert passwords.needs_rehash("$argon2id$garbage")


def test_the_test_profile_is_announced_as_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(passwords.PROFILE_ENV, "test")
    passwords.hasher_for.cache_clear()
    with caplog.at_level(logging.WARNING, logger="paidpdf.passwords"):
        passwords.hash_password(PASSWORD)
    warnings = [r for r in caplog.records if r.name == "paidpdf.passwords" and r.levelno == logging.WARNING]
    assert warnings
    assert passwords.PROFILE_ENV in warnings[0].getMessage()
