"""Server-side sessions: a random token in the browser's cookie, only its SHA-256 in `accounts.json`.

`session_user` runs on every request, so it is one lock-free view and two lookups by id. Sessions last
`SESSION_LIFETIME` and are never written on ordinary requests; ending them is part of the units that
disable an account or change its password.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from paidpdf import clock
from paidpdf.accounts.records import ACCOUNTS, SESSIONS, USERS, moment_or_now, prune, token_digest
from paidpdf.clock import iso
from paidpdf.errors import NotFound
from paidpdf.store import DataStore, Doc, Unit

SESSION_LIFETIME = timedelta(days=14)


def open_session(store: DataStore, user_id: str, *, now: datetime | None = None) -> str:
    """Start a session; returns the raw token for the cookie (only its SHA-256 is stored)."""
    moment = moment_or_now(now)
    token = secrets.token_urlsafe(32)
    with store.unit(ACCOUNTS) as unit:
        if unit.get(USERS, user_id) is None:
            raise NotFound(f"no user {user_id!r}")
        unit.insert(
            SESSIONS,
            {
                "id": token_digest(token),
                "user_id": user_id,
                "created_at": iso(moment),
                "expires_at": iso(moment + SESSION_LIFETIME),
            },
        )
        prune(unit, moment)
    return token


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


