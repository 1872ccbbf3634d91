"""Password resets: a single-use link by mail, valid for `RESET_LIFETIME`, stored as its SHA-256 in
the `resets` table of `accounts.json` (next to the users and sessions a reset changes in one unit).

Why a module of its own: resets are the one account flow that sends mail and is throttled per target
address; the users and sessions it touches stay in `paidpdf.accounts.users`.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from paidpdf.accounts import passwords, records, sessions, throttle, users
from paidpdf.clock import iso
from paidpdf.errors import InvalidInput
from paidpdf.mail import Mailer, MailError
from paidpdf.store import Doc, Store

RESET_LIFETIME = timedelta(hours=1)
#: Unused reset links a user may have at once; further requests within the hour send no more mail.
MAX_OPEN_RESETS = 3
BAD_RESET = "this reset link is invalid or has expired"

log = logging.getLogger("paidpdf.accounts")


def request_password_reset(
    store: Store,
    mailer: Mailer,
    email: str,
    base_url: str,
    *,
    remote_addr: str | None = None,
    now: datetime | None = None,
    shop_name: str = "paidpdf",
) -> None:
    """Mail a single-use reset link valid for `RESET_LIFETIME`, in the shop's name.

    Unknown or disabled addresses get nothing and the caller cannot tell (no user enumeration): both
    cases do the same work, one unit on `accounts.json`, and the mail itself is handed to `mailer`
    (the web's is a queue, so the answer never waits for it). A mail server failure is logged for the
    operator instead of shown. From the web (`remote_addr` given) requests are also limited per client
    address and per target address (`throttle.reset_rules`; `Throttled` when exceeded).
    """
    moment = records.moment_or_now(now)
    address = users.lenient_email(email)
    token = secrets.token_urlsafe(32)
    with store.unit(records.ACCOUNTS) as unit:
        if remote_addr is not None:
            rules = throttle.reset_rules(address, remote_addr)
            throttle.check(unit, rules, moment, "reset requests")
            throttle.record(unit, rules, moment)
        records.prune(unit, moment)
        found = unit.find(records.USERS, "email", address)
        user = found[0] if found else None
        if user is None or user.get("disabled"):
            return
        # (expired links were just pruned)
        if len(unit.find(records.RESETS, "user_id", user["id"])) >= MAX_OPEN_RESETS:
            log.warning("reset mail for %s not sent: %d links already open", user["email"], MAX_OPEN_RESETS)
            return
        unit.insert(
            records.RESETS,
            {
                "id": records.token_digest(token),
                "user_id": user["id"],
                "created_at": iso(moment),
                "expires_at": iso(moment + RESET_LIFETIME),
            },
        )
    link = f"{base_url.rstrip('/')}/reset/{token}"
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    body = (
        f"Someone (hopefully you) asked to reset the password of your {shop_name} account"
        f" {user['email']}.\n\n"
        f"To choose a new password, open this link within {minutes} minutes:\n\n{link}\n\n"
        "The link works once. If you did not ask for this, ignore this mail: your password stays as it is.\n"
        f"\n-- \n{shop_name}\n"
    )
    try:
        mailer.send(user["email"], f"Reset your {shop_name} password", body)
    except MailError as exc:
        log.error("password reset mail to %s failed: %s", user["email"], exc.message)


def _valid_reset(store: Store, token: str, now: datetime) -> Doc | None:
    if not token or len(token) > 256:
        return None
    view = store.view(records.ACCOUNTS)
    reset = view.get(records.RESETS, records.token_digest(token))
    if reset is None or reset["expires_at"] <= iso(now):
        return None
    user = view.get(records.USERS, reset["user_id"])
    if user is None or user.get("disabled"):
        return None
    return reset


def reset_token_valid(store: Store, token: str, *, now: datetime | None = None) -> bool:
    return _valid_reset(store, token, records.moment_or_now(now)) is not None


def reset_password(store: Store, token: str, new_password: str, *, now: datetime | None = None) -> Doc:
    """Use a reset link: set the password, burn the link (and the user's other links), end ALL sessions."""
    moment = records.moment_or_now(now)
    valid = _valid_reset(store, token, moment)
    if valid is None:  # cheap refusal before the slow hash
        raise InvalidInput(BAD_RESET)
    owner = users.get_user(store, valid["user_id"])
    passwords.check_rules(new_password, owner["email"] if owner else None)
    new_hash = passwords.hash_password(new_password)
    digest = records.token_digest(token)
    with store.unit(records.ACCOUNTS) as unit:
        reset = unit.get(records.RESETS, digest)
        if reset is None or reset["expires_at"] <= iso(moment):
            raise InvalidInput(BAD_RESET)
        current = unit.get(records.USERS, reset["user_id"])
        if current is None or current.get("disabled"):
            raise InvalidInput(BAD_RESET)
        current = unit.put(records.USERS, {**current, "password_hash": new_hash, "updated_at": iso(moment)})
        for other in unit.find(records.RESETS, "user_id", current["id"]):
            unit.delete(records.RESETS, other["id"])
        sessions.end_sessions(unit, current["id"])
        throttle.clear(unit, throttle.account_key(current["email"]))
        records.prune(unit, moment)
    return current
