"""Password resets: a single-use link by mail, valid for `RESET_LIFETIME`, stored as its SHA-256 in
the `resets` table of `accounts.json` (next to the users and sessions a reset changes in one unit).

Why a module of its own: resets are the one account flow that sends mail and is throttled per target
address; the users and sessions it touches stay in `paidpdf.accounts.users`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from paidpdf import mail_languages
from paidpdf.accounts import mailed_links, passwords, records, sessions, throttle, users
from paidpdf.clock import iso
from paidpdf.errors import InvalidInput
from paidpdf.languages import N_
from paidpdf.mail import Mailer
from paidpdf.store import DataStore, Doc

RESET_LIFETIME = timedelta(hours=1)
#: Unused reset links a user may have at once; further requests within the hour send no more mail.
MAX_OPEN_RESETS = 3
BAD_RESET = N_("this reset link is invalid or has expired")


RESETS = mailed_links.LinkKind(
    records.RESETS, RESET_LIFETIME, MAX_OPEN_RESETS, throttle.reset_rules, "reset requests", "reset"
)


def request_password_reset(
    store: DataStore,
    mailer: Mailer,
    email: str,
    base_url: str,
    *,
    remote_addr: str | None = None,
    now: datetime | None = None,
    shop_name: str = "paidpdf",
    locale: str | None = None,
) -> None:
    """Mail a single-use reset link valid for `RESET_LIFETIME`, in the shop's name.

    Unknown or disabled addresses get nothing and the caller cannot tell (see `mailed_links`); the
    mail itself is handed to `mailer` (the web's is a queue, so the answer never waits for it). A mail
    server failure is logged for the operator instead of shown.
    """
    minutes = int(RESET_LIFETIME.total_seconds() // 60)

    def compose(user: Doc, link: str) -> tuple[str, str]:
        t = mail_languages.translations(locale or mail_languages.of_user(store, user))
        body = t.gettext(
            "Someone (hopefully you) asked to reset the password of your {shop} account {email}.\n\n"
            "To choose a new password, open this link within {minutes} minutes:\n\n{link}\n\n"
            "The link works once. If you did not ask for this, ignore this mail: your password stays as "
            "it is.\n"
        ).format(shop=shop_name, email=user["email"], minutes=minutes, link=link)
        return t.gettext("Reset your {shop} password").format(shop=shop_name), f"{body}\n-- \n{shop_name}\n"

    mailed_links.mail_link(
        store, mailer, RESETS, email, base_url, compose, remote_addr=remote_addr,
        now=records.moment_or_now(now),
    )


def reset_token_valid(store: DataStore, token: str, *, now: datetime | None = None) -> bool:
    return mailed_links.valid(store, RESETS, token, records.moment_or_now(now)) is not None


def reset_password(store: DataStore, token: str, new_password: str, *, now: datetime | None = None) -> Doc:
    """Use a reset link: set the password, burn the link (and every other reset and sign-in link of the
    user), end ALL sessions."""
    moment = records.moment_or_now(now)
    found = mailed_links.valid(store, RESETS, token, moment)
    if found is None:  # cheap refusal before the slow hash
        raise InvalidInput(BAD_RESET)
    owner = users.get_user(store, found["user_id"])
    passwords.check_rules(new_password, owner["email"] if owner else None)
    new_hash = passwords.hash_password(new_password)
    with store.unit(records.ACCOUNTS) as unit:
        current = mailed_links.use(unit, RESETS, token, moment)
        if current is None:
            raise InvalidInput(BAD_RESET)
        current = unit.put(records.USERS, {
            **current, "password_hash": new_hash, records.PASSWORD_PROVEN: True, "updated_at": iso(moment)
        })  # a reset link proves the address
        sessions.end_sessions(unit, current["id"])
        throttle.clear(unit, throttle.account_key(current["email"]))
        records.prune(unit, moment)
    return current
