"""Account rules that need no shop: argon2id profiles and hashes, e-mail normalisation (so they run once,
outside the BOTH_BACKENDS modules that hold the shop tests)."""

from __future__ import annotations

import logging

import pytest
from argon2 import PasswordHasher, Type
from argon2.low_level import ARGON2_VERSION
from hypothesis import given
from hypothesis import strategies as st

from paidpdf.accounts import passwords, users
from paidpdf.errors import ConfigError, InvalidInput
from tests.accounts.readers import PASSWORD


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


@given(st.text(max_size=80))
def test_normalize_email_either_refuses_or_gives_a_canonical_address(text: str) -> None:
    try:
        address = users.normalize_email(text)
    except InvalidInput:
        return
    assert address == text.strip().lower()
    assert users.normalize_email(address) == address
    assert address.count("@") == 1
    assert not any(c.isspace() for c in address)
    assert "." in address.split("@")[1]


@given(st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,20}(\.[a-z]{2,6}){1,2}", fullmatch=True))
def test_normalize_email_accepts_ordinary_addresses(text: str) -> None:
    assert users.normalize_email(text.upper()) == text
