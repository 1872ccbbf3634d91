"""Sign-up: address normalisation, case-insensitive uniqueness, password rules, nothing half-written."""

from __future__ import annotations

import pytest

from paidpdf.accounts import passwords, users
from paidpdf.errors import Conflict, InvalidInput, NotFound
from paidpdf.store import Store
from tests.accounts.readers import PASSWORD
from tests.data_files import written

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL


def test_sign_up_normalises_and_stores_an_argon2id_hash(store: Store) -> None:
    user = users.sign_up(store, "  Ada.Lovelace@Example.COM ", PASSWORD)
    assert user["email"] == "ada.lovelace@example.com"
    assert user["id"].startswith("usr_")
    assert user["disabled"] is False
    stored = store.view("accounts").get("users", user["id"])
    assert stored is not None
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD.encode() not in (store.export("accounts") or b"")


def test_emails_are_unique_whatever_their_case(store: Store) -> None:
    users.sign_up(store, "reader@example.com", PASSWORD)
    before = written(store)
    with pytest.raises(Conflict, match="an account with this email already exists"):
        users.sign_up(store, "READER@example.com", "another password")
    with pytest.raises(Conflict):
        users.add_user(store, " Reader@Example.com", "another password")
    assert written(store) == before
    assert len(users.list_users(store)) == 1


def test_lookups_ignore_case_and_spaces(store: Store) -> None:
    user = users.sign_up(store, "reader@example.com", PASSWORD)
    found = users.find_user(store, "  READER@EXAMPLE.com")
    assert found is not None and found["id"] == user["id"]
    assert users.require_user(store, "Reader@example.com")["id"] == user["id"]
    assert users.get_user(store, user["id"]) == found
    assert users.find_user(store, "nobody@example.com") is None
    with pytest.raises(NotFound, match=r"no user 'nobody@example\.com'"):
        users.require_user(store, "nobody@example.com")


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "reader", "reader@", "@example.com", "reader@example", "a b@example.com",
     "reader@@example.com", "reader@example..com", "<x>@example.com", "x@example.com\nBcc: y@evil.com",
     "reader@.example.com", "x" * 65 + "@example.com"],
)
def test_implausible_addresses_are_refused_and_nothing_is_written(store: Store, bad: str) -> None:
    with pytest.raises(InvalidInput, match="not a valid email address"):
        users.sign_up(store, bad, PASSWORD)
    assert store.export("accounts") is None


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "too short"), ("1234567", "too short"), ("x" * 1025, "too long")],
)
def test_password_rules(store: Store, password: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        users.sign_up(store, "reader@example.com", password)
    assert users.find_user(store, "reader@example.com") is None
    passwords.check_rules("kx7-qpzv")  # exactly the minimum length
    passwords.check_rules("kx7-qpzv" * 128)  # exactly the maximum length


def test_list_users_is_oldest_first_and_public_drops_the_hash(store: Store) -> None:
    for name in ("c", "a", "b"):
        users.sign_up(store, f"{name}@example.com", PASSWORD)
    listed = users.list_users(store)
    keys = [(u["created_at"], u["email"]) for u in listed]
    assert keys == sorted(keys)
    assert {u["email"] for u in listed} == {"a@example.com", "b@example.com", "c@example.com"}
    assert all("password_hash" not in users.public(u) for u in listed)
    assert all("password_hash" in u for u in listed)


