"""Signing up on the web: the address is proven by mail before any account exists, and the answer is
the same whether or not the address has an account.

Why: an account can hold purchases (a guest who paid with an address gets one without a password), so
the sign-up form must neither hand such an account to whoever types its address, nor tell them that
the address bought something (or has an account at all). Every sign-up that passes the form's checks
hashes the password (the same cost either way), mails one message, and shows "check your mail":

- a new address gets a confirmation link (`/signup/confirm/<token>`): the pending sign-up (address,
  password hash, where to go next) waits in the `signups` table, stored under the link's SHA-256, for
  `LIFETIME`; confirming creates the account with that password and opens a session marked as opened
  by a mailed link;
- an address with an account gets a sign-in link instead (the password typed is thrown away): its
  owner signs in with it, which ends every other session, and sets or resets the password from there.

The admin's `users add` (`users.sign_up`) creates accounts directly.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.support import NullTranslations

from paidpdf import clock, mail_languages
from paidpdf.accounts import mailed_links, passwords, records, sessions, sign_in_links, throttle, users
from paidpdf.clock import iso
from paidpdf.errors import InvalidInput
from paidpdf.languages import N_
from paidpdf.mail import Mailer, MailError
from paidpdf.store import DataStore, Doc

LIFETIME = timedelta(hours=1)
SIGNUPS = records.SIGNUPS
BAD_CONFIRMATION = N_("this sign-up link is invalid, already used or has expired; sign up again")
#: The confirmation asks again for the password typed at sign-up: the link proves the address, the
#: password proves that whoever confirms is whoever signed up (else anyone could sign up with someone
#: else's address, wait for them to press Confirm, and log in with a password of their own choosing).
NOT_THE_CHOSEN_ONE = N_(
    "that is not the password chosen at sign-up; if you did not sign up, ignore the mail (nothing is "
    "opened without it), or sign up again with a password of your own"
)
TAKEN_MEANWHILE = N_(
    "an account with this address was made meanwhile; ask for a sign-in link on the login page"
)

log = logging.getLogger("paidpdf.accounts")


@dataclass(frozen=True)
class Confirmed:
    user: Doc
    session_token: str
    next_path: str


def request_sign_up(
    store: DataStore,
    mailer: Mailer,
    email: str,
    password: str,
    base_url: str,
    *,
    remote_addr: str | None,
    next_path: str = "/library",
    now: datetime | None = None,
    shop_name: str = "paidpdf",
    locale: str | None = None,
) -> None:
    """Check the form, then mail a confirmation link (new address) or a sign-in link (an account's).

    `InvalidInput` for a malformed address or a password the rules refuse (neither depends on whether
    the address has an account); over the sign-up limits, `Throttled`. Nothing else tells the caller
    which mail went out."""
    moment = records.moment_or_now(now)
    if remote_addr is not None:
        rules = throttle.signup_rules(users.lenient_email(email), remote_addr)
        with store.unit(records.ACCOUNTS) as unit:
            throttle.check(unit, rules, moment, "sign-ups")
            throttle.record(unit, rules, moment)
    address = users.normalize_email(email)
    passwords.check_rules(password, address)
    password_hash = passwords.hash_password(password)  # for both kinds: the same cost either way
    base = base_url.rstrip("/")
    t = mail_languages.translations(locale or mail_languages.default(store))
    if users.find_user(store, address) is not None:
        issued = mailed_links.issue(store, sign_in_links.KIND, address, base, remote_addr=None, now=moment)
        message = _already_there(address, issued[1], base, shop_name, t) if issued else None
    else:
        message = _pending(store, address, password_hash, next_path, base, moment, shop_name, t)
    if message is None:
        return
    try:
        mailer.send(address, *message)
    except MailError as exc:
        log.error("sign-up: mail to %s failed: %s", address, exc.message)


def _pending(
    store: DataStore, address: str, password_hash: str, next_path: str, base: str, moment: datetime,
    shop_name: str, t: NullTranslations,
) -> tuple[str, str] | None:
    token = secrets.token_urlsafe(32)
    with store.unit(records.ACCOUNTS) as unit:
        records.prune(unit, moment)
        if unit.find(records.USERS, "email", address):
            return None  # made a moment ago (a guest's payment): nothing to confirm
        unit.insert(
            SIGNUPS,
            {
                "id": records.token_digest(token),
                "email": address,
                "password_hash": password_hash,
                "next": next_path,
                "created_at": iso(moment),
                "expires_at": iso(moment + LIFETIME),
            },
        )
    minutes = int(LIFETIME.total_seconds() // 60)
    body = t.gettext(
        "Someone (hopefully you) signed up at {shop} with the address {email}.\n\n"
        "To confirm it and open your account, open this link within {minutes} minutes and enter the "
        "password you chose:\n\n{link}\n\n"
        "If you did not sign up, ignore this mail: no account is made.\n"
    ).format(shop=shop_name, email=address, minutes=minutes, link=f"{base}/signup/confirm/{token}")
    return t.gettext("Confirm your {shop} account").format(shop=shop_name), f"{body}\n-- \n{shop_name}\n"


def _already_there(
    address: str, link: str, base: str, shop_name: str, t: NullTranslations
) -> tuple[str, str]:
    minutes = int(sign_in_links.LIFETIME.total_seconds() // 60)
    body = t.gettext(
        "Someone (hopefully you) tried to sign up at {shop} with the address {email}, which already has "
        "an account (one is also made when you buy with an address).\n\n"
        "To sign in, open this link within {minutes} minutes and press the button:\n\n{link}\n\n"
        "Then set or change your password from your account page, or reset it at {forgot}.\n"
        "If you did not try to sign up, ignore this mail: nothing was changed.\n"
    ).format(shop=shop_name, email=address, minutes=minutes, link=link, forgot=f"{base}/forgot")
    return t.gettext("Sign in to {shop}").format(shop=shop_name), f"{body}\n-- \n{shop_name}\n"


def pending(store: DataStore, token: str, *, now: datetime | None = None) -> Doc | None:
    """The pending sign-up behind a confirmation link, if it still works (read-only)."""
    if not token or len(token) > 256:
        return None
    row = store.view(records.ACCOUNTS).get(SIGNUPS, records.token_digest(token))
    if row is None or row["expires_at"] <= iso(records.moment_or_now(now)):
        return None
    return row


def confirm(store: DataStore, token: str, password: str, *, now: datetime | None = None) -> Confirmed:
    """Use a confirmation link with the password typed at sign-up: create the account and open a
    session opened by a mailed link, in one unit; the link works once. `InvalidInput` when the link
    does not work, the password is not the one chosen (the link stays usable), or the address got an
    account meanwhile."""
    moment = records.moment_or_now(now)
    found = pending(store, token, now=moment)
    if found is None:
        raise InvalidInput(BAD_CONFIRMATION)
    if not passwords.verify_password(found["password_hash"], password):  # argon2: outside the unit
        raise InvalidInput(NOT_THE_CHOSEN_ONE)
    with store.unit(records.ACCOUNTS) as unit:
        row = unit.get(SIGNUPS, records.token_digest(token))
        if row is None or row["expires_at"] <= iso(moment) or row["password_hash"] != found["password_hash"]:
            raise InvalidInput(BAD_CONFIRMATION)
        unit.delete(SIGNUPS, row["id"])  # others of the address find the account made and refuse
        if unit.find(records.USERS, "email", row["email"]):
            raise InvalidInput(TAKEN_MEANWHILE)
        user: Doc = {
            "id": clock.new_id("usr"),
            "email": row["email"],
            "password_hash": row["password_hash"],
            records.PASSWORD_PROVEN: True,  # chosen at sign-up, confirmed from the mailed link
            "disabled": False,
            "created_at": iso(moment),
            "updated_at": iso(moment),
        }
        unit.insert(records.USERS, user)
        session = sessions.insert_session(unit, user["id"], moment, sessions.BY_LINK)
        records.prune(unit, moment)
    return Confirmed(user, session, str(row.get("next") or "/library"))
