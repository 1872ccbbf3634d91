"""Server-side sessions: a random token in the browser's cookie, only its SHA-256 in `accounts.json`.

`session_user` runs on every request, so it is one lock-free view and two lookups by id. Sessions last
`SESSION_LIFETIME` and are never written on ordinary requests; ending them is part of the units that
disable an account or change its password.

A session remembers how it was opened (`via`): `password`, or `link` for one opened by a link mailed
to the account's address (a sign-in link, a sign-up confirmation). Only a `link` session proves the
address, so only such a session may set an account's first password (`users.change_password`).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from paidpdf import clock
from paidpdf.accounts.records import ACCOUNTS, SESSIONS, USERS, moment_or_now, prune, token_digest
from paidpdf.clock import iso
from paidpdf.errors import NotFound
from paidpdf.store import DataStore, Doc, Unit, View

SESSION_LIFETIME = timedelta(days=14)
BY_PASSWORD = "password"  # noqa: S105 - how a session was opened, not a secret
BY_LINK = "link"


def open_session(
    store: DataStore, user_id: str, *, now: datetime | None = None, via: str = BY_PASSWORD
) -> str:
    """Start a session; returns the raw token for the cookie (only its SHA-256 is stored)."""
    moment = moment_or_now(now)
    with store.unit(ACCOUNTS) as unit:
        if unit.get(USERS, user_id) is None:
            raise NotFound(f"no user {user_id!r}")
        token = insert_session(unit, user_id, moment, via)
        prune(unit, moment)
    return token


def insert_session(unit: Unit, user_id: str, moment: datetime, via: str) -> str:
    """Inside a unit that already decided who this is (a sign-in link): a new session's raw token."""
    token = secrets.token_urlsafe(32)
    unit.insert(
        SESSIONS,
        {
            "id": token_digest(token),
            "user_id": user_id,
            "via": via,
            "created_at": iso(moment),
            "expires_at": iso(moment + SESSION_LIFETIME),
        },
    )
    return token


def opened_by_link(view: View, token: str | None, user_id: str, *, now: datetime | None = None) -> bool:
    """Whether `token` is a live session of `user_id` opened by a link mailed to its address."""
    if not token or len(token) > 256:
        return False
    session = view.get(SESSIONS, token_digest(token))
    return (
        session is not None
        and session["user_id"] == user_id
        and session.get("via") == BY_LINK
        and session["expires_at"] > iso(moment_or_now(now))
    )


def session_user(store: DataStore, token: str | None, *, now: datetime | None = None) -> Doc | None:
    """The user behind a session cookie, or None (missing, unknown, expired, user gone or disabled).

    Read-only and lock-free: one view, two lookups by id. Called on every request.
    """
    if not token or len(token) > 256:
        return None
    view = store.view(ACCOUNTS)
    session = view.get(SESSIONS, token_digest(token))
    if session is None or session["expires_at"] <= iso(moment_or_now(now)):
        return None
    user = view.get(USERS, session["user_id"])
    if user is None or user.get("disabled"):
        return None
    return user


def close_session(store: DataStore, token: str) -> None:
    """Log out: the token stops working at once. Unknown tokens are ignored."""
    if not token or len(token) > 256:
        return
    digest = token_digest(token)
    if store.view(ACCOUNTS).get(SESSIONS, digest) is None:
        return
    with store.unit(ACCOUNTS) as unit:
        unit.delete(SESSIONS, digest)
        prune(unit, clock.now())


def active_sessions(store: DataStore, user_id: str, *, now: datetime | None = None) -> int:
    cutoff = iso(moment_or_now(now))
    return sum(1 for s in store.view(ACCOUNTS).find(SESSIONS, "user_id", user_id) if s["expires_at"] > cutoff)


def end_sessions(unit: Unit, user_id: str, keep: str | None = None) -> int:
    ended = 0
    for session in unit.find(SESSIONS, "user_id", user_id):
        if session["id"] != keep:
            unit.delete(SESSIONS, session["id"])
            ended += 1
    return ended


