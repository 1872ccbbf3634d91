"""Reader accounts and their credentials: sign-up, lookups, login with throttling, password changes.

- Passwords: argon2id (`paidpdf.accounts.passwords`); a hash made with older parameters is upgraded on
  login. Slow hashing always happens *outside* the file lock, so one login never stalls other writers.
- Throttling: see `paidpdf.accounts.throttle` (growing delays per account, hard limits per client
  address, sign-ups and reset mails limited per address and per target).
- Sessions and resets have modules of their own (`sessions`, `password_resets`); the tables all
  live in `accounts.json` (`records`).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from paidpdf import clock
from paidpdf.accounts import throttle
from paidpdf.accounts.records import (
    ACCOUNTS,
    MAX_LENGTH,
    PASSWORD_PROVEN,
    USERS,
    end_links,
    moment_or_now,
    prune,
    token_digest,
)
from paidpdf.accounts.sessions import end_sessions, opened_by_link
from paidpdf.clock import iso
from paidpdf.errors import AccessDenied, Conflict, InvalidInput, NotFound
from paidpdf.languages import N_
from paidpdf.store import DataStore, Doc

MAX_PASSWORD_LENGTH = MAX_LENGTH

WRONG_LOGIN = N_("wrong email or password")
FIRST_PASSWORD_NEEDS_LINK = N_("to set this account's first password, sign in with a link mailed to it")

_EMAIL = re.compile(
    r"""^[^\s@<>()\[\],;:\\"]{1,64}@(?=.{1,253}$)[^\s@<>()\[\],;:\\"./]+(\.[^\s@<>()\[\],;:\\"./]+)+$"""
)

log = logging.getLogger("paidpdf.accounts")


# -- rules ---------------------------------------------------------------------------------------
def normalize_email(email: str) -> str:
    """Strip and lower-case; `InvalidInput` unless it looks like `name@domain.tld`."""
    text = (email or "").strip().lower()
    if not _EMAIL.match(text) or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InvalidInput(f"not a valid email address: {email.strip()[:100]!r}")
    return text


def lenient_email(email: str) -> str:
    """Lookups never fail on a malformed address: they just find nobody."""
    return (email or "").strip().lower()






# -- users ---------------------------------------------------------------------------------------
def sign_up(
    store: DataStore,
    email: str,
    password: str,
    *,
    remote_addr: str | None = None,
    now: datetime | None = None,
) -> Doc:
    """Create an account. `Conflict` if the address (in any letter case) is taken.

    A sign-up from the web passes `remote_addr`: it then counts against the per-address and
    per-target-address limits (`throttle.signup_rules`) before anything slow happens."""
    from paidpdf.accounts import passwords  # argon2 loads only for commands that hash
    moment = moment_or_now(now)
    if remote_addr is not None:
        rules = throttle.signup_rules(lenient_email(email), remote_addr)
        with store.unit(ACCOUNTS) as unit:
            throttle.check(unit, rules, moment, "sign-ups")
            throttle.record(unit, rules, moment)
    address = check_email_available(store, email)  # cheap early answer before the slow hash
    passwords.check_rules(password, address)
    password_hash = passwords.hash_password(password)
    with store.unit(ACCOUNTS) as unit:
        if unit.find(USERS, "email", address):
            raise Conflict(N_("an account with this email already exists"))
        user: Doc = {
            "id": clock.new_id("usr"),
            "email": address,
            "password_hash": password_hash,
            PASSWORD_PROVEN: True,  # made by the admin (`users add`), who is trusted
            "disabled": False,
            "created_at": iso(moment),
            "updated_at": iso(moment),
        }
        unit.insert(USERS, user)
        prune(unit, moment)
    return user


def check_email_available(store: DataStore, email: str) -> str:
    """The normalised address, or `InvalidInput` / `Conflict` if it cannot be used for a new account."""
    address = normalize_email(email)
    if find_user(store, address) is not None:
        raise Conflict(N_("an account with this email already exists"))
    return address


def add_user(store: DataStore, email: str, password: str) -> Doc:
    """The admin's `users add`: the same rules as a reader signing up."""
    return sign_up(store, email, password)


def get_user(store: DataStore, user_id: str) -> Doc | None:
    return store.view(ACCOUNTS).get(USERS, user_id)


def find_user(store: DataStore, email: str) -> Doc | None:
    found = store.view(ACCOUNTS).find(USERS, "email", lenient_email(email))
    return found[0] if found else None


def require_user(store: DataStore, email: str) -> Doc:
    user = find_user(store, email)
    if user is None:
        raise NotFound(f"no user '{(email or '').strip()}'")
    return user


def list_users(store: DataStore) -> list[Doc]:
    return sorted(store.view(ACCOUNTS).all(USERS), key=lambda u: (u.get("created_at") or "", u["email"]))


def public(user: Doc) -> Doc:
    """The user without the password hash: what may be shown or logged."""
    return {k: v for k, v in user.items() if k not in ("password_hash", PASSWORD_PROVEN)}


def set_disabled(store: DataStore, email: str, disabled: bool) -> Doc:
    """Disable or enable an account; disabling ends all its sessions at once."""
    target = require_user(store, email)
    with store.unit(ACCOUNTS) as unit:
        current = unit.get(USERS, target["id"])
        if current is None:
            raise NotFound(f"no user '{(email or '').strip()}'")
        if bool(current.get("disabled")) != disabled:
            current = unit.put(USERS, {**current, "disabled": disabled, "updated_at": clock.now_iso()})
        if disabled:
            end_sessions(unit, current["id"])
    return current


# -- login -------------------------------------------------------------------------------------------
def authenticate(
    store: DataStore, email: str, password: str, remote_addr: str, *, now: datetime | None = None
) -> Doc:
    """The user whose email and password these are.

    Wrong email and wrong password give the same `InvalidInput` after the same amount of hashing; a
    disabled account is `AccessDenied` (only once the password was right); too many recent failures
    for this account or address is `TooManyAttempts` (a `throttle.Throttled` with `retry_after`).
    """
    from paidpdf.accounts import passwords  # argon2 loads only for commands that hash
    moment = moment_or_now(now)
    address = lenient_email(email)
    rules = throttle.login_rules(address, remote_addr)
    account_key, address_key = rules[0].key, rules[1].key
    with store.unit(ACCOUNTS) as unit:
        throttle.check(unit, rules, moment)
        nonce = throttle.record(unit, rules, moment)
        prune(unit, moment)
        found = unit.find(USERS, "email", address)
    user = found[0] if found else None
    stored = user.get("password_hash") if user else None
    if len(password) > MAX_PASSWORD_LENGTH:  # no account has one; don't hash megabytes for nothing
        raise InvalidInput(WRONG_LOGIN)
    matches = passwords.verify_password(stored, password)  # a decoy hash when there is no such user
    if user is None or not matches:
        raise InvalidInput(WRONG_LOGIN)
    upgraded = passwords.hash_password(password) if passwords.needs_rehash(str(stored)) else None
    with store.unit(ACCOUNTS) as unit:
        throttle.clear(unit, account_key)
        throttle.take_back(unit, address_key, nonce)
        current = unit.get(USERS, user["id"]) or user
        if upgraded and current.get("password_hash") == stored:
            current = unit.put(USERS, {**current, "password_hash": upgraded, "updated_at": iso(moment)})
    if current.get("disabled"):
        raise AccessDenied(N_("this account is disabled"))
    return current


def change_password(
    store: DataStore,
    user_id: str,
    old: str,
    new: str,
    keep_token: str | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """Set a new password after checking the current one; every other session of the user and every
    open reset and sign-in link end. An account without a password sets its first one only from a
    session opened by a link mailed to its address (`AccessDenied` otherwise).

    A wrong current password counts as a failed login for the account (same throttle), so a stolen
    session cannot be used to guess the password.
    """
    from paidpdf.accounts import passwords  # argon2 loads only for commands that hash
    moment = moment_or_now(now)
    user = get_user(store, user_id)
    if user is None:
        raise NotFound(f"no user {user_id!r}")
    # An account made by buying as a guest has no password to check. Its address was never proven
    # (whoever pays types any address), so only a session opened by a link mailed there proves who
    # this is; a session from anywhere else (one opened before this rule) must ask for such a link.
    first = not user.get("password_hash")
    if first and not opened_by_link(store.view(ACCOUNTS), keep_token, user_id, now=moment):
        raise AccessDenied(FIRST_PASSWORD_NEEDS_LINK)  # before the throttle: no guess was made
    passwords.check_rules(new, user["email"])
    rule = throttle.login_rules(user["email"], None)[0]
    key = rule.key
    with store.unit(ACCOUNTS) as unit:
        throttle.check(unit, [rule], moment)
        throttle.record(unit, [rule], moment)
    if not first and not passwords.verify_password(user.get("password_hash"), old):
        raise InvalidInput(N_("the current password is wrong"))
    new_hash = passwords.hash_password(new)
    keep = token_digest(keep_token) if keep_token else None
    with store.unit(ACCOUNTS) as unit:
        throttle.clear(unit, key)
        current = unit.get(USERS, user_id)
        if current is None:
            raise NotFound(f"no user {user_id!r}")
        if first and current.get("password_hash"):  # set meanwhile: this form no longer applies
            raise InvalidInput(N_("a password was set meanwhile; change it with the current one"))
        # A first password comes from a session opened by a mailed link: proven. A change keeps the
        # mark the account had (knowing the current password proves nothing about the address).
        proven = {PASSWORD_PROVEN: True} if first else {}
        unit.put(USERS, {**current, "password_hash": new_hash, **proven, "updated_at": iso(moment)})
        end_sessions(unit, user_id, keep=keep)
        end_links(unit, user_id)
        prune(unit, moment)
