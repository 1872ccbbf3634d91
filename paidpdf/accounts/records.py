"""Where account data lives and how it stays small: the tables of `accounts.json` and their pruning.

Users, sessions, reset links and throttle rows share one file so that a change that must be atomic
(a reset that sets the password, burns the token and ends every session) is one unit. Tokens (session
cookies, reset links) are stored only as their SHA-256, so a leaked file opens nothing. Expired rows
are swept when the file is written anyway (at most every five minutes), so the file never grows with
old sessions and a login does not pay for reading all of them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from paidpdf import clock
from paidpdf.accounts import throttle
from paidpdf.clock import iso
from paidpdf.store import Unit
from paidpdf.store.layout import ACCOUNTS as ACCOUNTS  # the accounts area names its file through here

USERS = "users"
#: On a user: True when the password was set by someone who proved the address (sign-up confirmed by
#: mail, a reset link, a first password from a link session, or the admin); see `sign_in_links`.
PASSWORD_PROVEN = "password_proven"  # noqa: S105 - a field name
SESSIONS = "sessions"
RESETS = "resets"
SIGN_IN_LINKS = "sign_in_links"
#: Sign-ups waiting for their address to be confirmed (`signups`).
SIGNUPS = "signups"
#: When expired rows were last swept (one document, so every process shares the schedule).
HOUSEKEEPING = "housekeeping"
PRUNE_EVERY = timedelta(minutes=5)

#: No password is longer (checked before any hashing, so megabytes are never hashed for nothing).
MAX_LENGTH = 1024


def token_digest(token: str) -> str:
    """The stored form of a session or reset token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def moment_or_now(now: datetime | None) -> datetime:
    """Functions that depend on the time take a keyword-only `now` so tests can move the clock."""
    return now if now is not None else clock.now()


def prune(unit: Unit, now: datetime) -> None:
    """Drop expired sessions and reset links and stale throttle rows; rides along with other writes,
    at most once per `PRUNE_EVERY` (a sweep reads every session, so a login must not pay it each time;
    expired rows are refused when read whether or not they were swept yet)."""
    last = unit.get(HOUSEKEEPING, "prune")
    if last is not None and last.get("at", "") > iso(now - PRUNE_EVERY):
        return
    cutoff = iso(now)
    for table in (SESSIONS, RESETS, SIGN_IN_LINKS, SIGNUPS):
        for doc in unit.where(table, lambda d: d.get("expires_at", "") <= cutoff):
            unit.delete(table, doc["id"])
    throttle.prune(unit, now)
    unit.put(HOUSEKEEPING, {"id": "prune", "at": cutoff})


def end_links(unit: Unit, user_id: str) -> int:
    """Burn every open reset and sign-in link of the user, inside the unit that changes how the
    account is entered (a link used, a password reset or changed); returns how many there were."""
    ended = 0
    for table in (RESETS, SIGN_IN_LINKS):
        for link in unit.find(table, "user_id", user_id):
            unit.delete(table, link["id"])
            ended += 1
    return ended
