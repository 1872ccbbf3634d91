"""Sessions: random tokens stored only as SHA-256, expiring, ended by logout, disable and password change.

Runs on the data folder and on PostgreSQL (`BOTH_BACKENDS`): sessions are what lets any server answer
any reader."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import orjson
import pytest

from paidpdf import clock
from paidpdf.accounts import records, sessions, users
from paidpdf.errors import InvalidInput, NotFound
from paidpdf.store import DataStore, Doc
from tests.accounts.readers import PASSWORD

BOTH_BACKENDS = True


def _file(store: DataStore) -> dict:
    return dict(orjson.loads(store.export("accounts") or b"{}"))


def test_a_session_finds_its_user_and_only_the_hash_is_stored(store: DataStore, reader: Doc) -> None:
    token = sessions.open_session(store, reader["id"])
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    user = sessions.session_user(store, token)
    assert user is not None and user["id"] == reader["id"]
    raw = (store.export("accounts") or b"").decode()
    assert token not in raw
    digest = hashlib.sha256(token.encode()).hexdigest()
    session = _file(store)["sessions"][digest]
    assert session["user_id"] == reader["id"]
    lifetime = clock.parse_iso(session["expires_at"]) - clock.parse_iso(session["created_at"])
    assert lifetime == sessions.SESSION_LIFETIME == timedelta(days=14)


def test_tokens_are_unique(store: DataStore, reader: Doc) -> None:
    tokens = {sessions.open_session(store, reader["id"]) for _ in range(20)}
    assert len(tokens) == 20
    assert sessions.active_sessions(store, reader["id"]) == 20


@pytest.mark.parametrize("token", [None, "", "nope", "x" * 5000, "\udcff"])
def test_missing_or_unknown_tokens_find_nobody(store: DataStore, reader: Doc, token: str | None) -> None:
    sessions.open_session(store, reader["id"])
    assert sessions.session_user(store, token) is None


def test_sessions_expire_after_fourteen_days(store: DataStore, reader: Doc) -> None:
    start = clock.now()
    token = sessions.open_session(store, reader["id"], now=start)
    assert sessions.session_user(store, token, now=start + timedelta(days=13, hours=23)) is not None
    assert sessions.session_user(store, token, now=start + timedelta(days=14)) is None


def test_expired_sessions_are_pruned_by_the_next_sweep(store: DataStore, reader: Doc) -> None:
    """Sweeps ride along with writes, at most every PRUNE_EVERY (a login must not read all sessions)."""
    old = clock.now() - timedelta(days=20)
    stale = sessions.open_session(store, reader["id"], now=old)
    digest = records.token_digest(stale)
    assert digest in _file(store)["sessions"]
    sessions.open_session(store, reader["id"])  # within the interval of the sign-up's sweep: kept
    assert digest in _file(store)["sessions"]
    fresh = sessions.open_session(store, reader["id"], now=clock.now() + records.PRUNE_EVERY)
    stored = _file(store)["sessions"]
    assert digest not in stored
    assert records.token_digest(fresh) in stored


def test_session_user_does_not_write(store: DataStore, reader: Doc) -> None:
    token = sessions.open_session(store, reader["id"])

    def written() -> tuple[object, ...]:
        files = [store.root / "accounts.json", store.root / "accounts.journal"]
        stats = [(p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.exists()]
        return (stats, store.export("accounts"), store.view("accounts").version)

    before = written()
    for _ in range(50):
        assert sessions.session_user(store, token) is not None
    assert written() == before


def test_logout_ends_only_that_session(store: DataStore, reader: Doc) -> None:
    first = sessions.open_session(store, reader["id"])
    second = sessions.open_session(store, reader["id"])
    sessions.close_session(store, first)
    assert sessions.session_user(store, first) is None
    assert sessions.session_user(store, second) is not None
    sessions.close_session(store, first)  # twice is harmless
    sessions.close_session(store, "unknown")


def test_disabling_ends_every_session_and_enabling_does_not_revive_them(
    store: DataStore, reader: Doc
) -> None:
    tokens = [sessions.open_session(store, reader["id"]) for _ in range(3)]
    disabled = users.set_disabled(store, "READER@example.com", True)
    assert disabled["disabled"] is True
    assert all(sessions.session_user(store, t) is None for t in tokens)
    assert sessions.active_sessions(store, reader["id"]) == 0
    users.set_disabled(store, "reader@example.com", False)
    assert all(sessions.session_user(store, t) is None for t in tokens)


def test_a_disabled_user_is_nobody_even_with_a_live_session_row(store: DataStore, reader: Doc) -> None:
    token = sessions.open_session(store, reader["id"])
    with store.unit("accounts") as unit:  # disabled by someone who forgot the sessions
        unit.put("users", {**unit.require("users", reader["id"], "user"), "disabled": True})
    assert sessions.session_user(store, token) is None


def test_open_session_for_unknown_user_is_refused(store: DataStore) -> None:
    with pytest.raises(NotFound):
        sessions.open_session(store, "usr_ghost")


def test_change_password_keeps_this_session_and_ends_the_others(store: DataStore, reader: Doc) -> None:
    here = sessions.open_session(store, reader["id"])
    elsewhere = sessions.open_session(store, reader["id"])
    users.change_password(store, reader["id"], PASSWORD, "a brand new password", keep_token=here)
    assert sessions.session_user(store, here) is not None
    assert sessions.session_user(store, elsewhere) is None
    assert users.authenticate(store, "reader@example.com", "a brand new password", "127.0.0.1")
    with pytest.raises(InvalidInput):
        users.authenticate(store, "reader@example.com", PASSWORD, "127.0.0.1")


def test_change_password_needs_the_current_one_and_changes_nothing_else(
    store: DataStore, reader: Doc
) -> None:
    token = sessions.open_session(store, reader["id"])
    with pytest.raises(InvalidInput, match="current password is wrong"):
        users.change_password(store, reader["id"], "wrong old password", "a brand new password")
    with pytest.raises(InvalidInput, match="too short"):
        users.change_password(store, reader["id"], PASSWORD, "short")
    assert sessions.session_user(store, token) is not None
    assert users.authenticate(store, "reader@example.com", PASSWORD, "127.0.0.1")["id"] == reader["id"]


def test_set_disabled_on_unknown_email_is_not_found(store: DataStore) -> None:
    with pytest.raises(NotFound, match=r"no user 'ghost@example\.com'"):
        users.set_disabled(store, "ghost@example.com", True)
