"""Single-use links sent by mail (password resets, sign-in links): issued, stored hashed, used once.

Both kinds follow the same rules, kept here once: an unknown or disabled address gets nothing and the
caller cannot tell (the same one unit on `accounts` either way); requests are limited per client
address and per target address; a user has at most a few open links; only the link's SHA-256 is
stored, so a leaked data file opens nothing; a link works until it expires or is used.

Links of both kinds end together: using one, a password reset and a password change burn every open
reset and sign-in link of the account (`records.end_links`), so a link requested before the owner
took the account back in hand (a reset after a break-in) cannot be used afterwards.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from paidpdf.accounts import records, throttle, users
from paidpdf.clock import iso
from paidpdf.mail import Mailer, MailError
from paidpdf.store import DataStore, Doc, Unit

log = logging.getLogger("paidpdf.accounts")


@dataclass(frozen=True)
class LinkKind:
    table: str  # in `accounts`
    lifetime: timedelta
    max_open: int  # unused links a user may have at once; more requests send no more mail
    rules: Callable[[str, str | None], list[throttle.Rule]]
    what: str  # "reset requests", for the throttle's message and the log
    path: str  # the link is `<base>/<path>/<token>`


def issue(
    store: DataStore, kind: LinkKind, email: str, base_url: str, *, remote_addr: str | None, now: datetime
) -> tuple[Doc, str] | None:
    """A new link for the account with this address: (user, URL), or None when nothing is to be sent.
    From the web (`remote_addr` given) a request over the limits is `Throttled`."""
    address = users.lenient_email(email)
    token = secrets.token_urlsafe(32)
    with store.unit(records.ACCOUNTS) as unit:
        if remote_addr is not None:
            rules = kind.rules(address, remote_addr)
            throttle.check(unit, rules, now, kind.what)
            throttle.record(unit, rules, now)
        records.prune(unit, now)
        found = unit.find(records.USERS, "email", address)
        user = found[0] if found else None
        if user is None or user.get("disabled"):
            return None
        if len(open_links(unit, kind, user["id"], now)) >= kind.max_open:
            log.warning("%s for %s: %d links open, none sent", kind.what, user["email"], kind.max_open)
            return None
        unit.insert(
            kind.table,
            {
                "id": records.token_digest(token),
                "user_id": user["id"],
                "created_at": iso(now),
                "expires_at": iso(now + kind.lifetime),
            },
        )
    return user, f"{base_url.rstrip('/')}/{kind.path}/{token}"


def mail_link(
    store: DataStore,
    mailer: Mailer,
    kind: LinkKind,
    email: str,
    base_url: str,
    compose: Callable[[Doc, str], tuple[str, str]],
    *,
    remote_addr: str | None,
    now: datetime,
) -> None:
    """Issue a link and mail it: `compose(user, link)` gives the subject and body. Nothing is sent (and
    the caller cannot tell) for an unknown address; a mail server failure is logged for the operator,
    never shown, and the mailer is the web's queue, so the answer never waits for it."""
    issued = issue(store, kind, email, base_url, remote_addr=remote_addr, now=now)
    if issued is None:
        return
    user, link = issued
    subject, body = compose(user, link)
    try:
        mailer.send(user["email"], subject, body)
    except MailError as exc:
        log.error("%s: mail to %s failed: %s", kind.what, user["email"], exc.message)


def open_links(unit: Unit, kind: LinkKind, user_id: str, now: datetime) -> list[Doc]:
    """The user's links of this kind that still work (expired ones may wait for the next sweep)."""
    cutoff = iso(now)
    return [link for link in unit.find(kind.table, "user_id", user_id) if link["expires_at"] > cutoff]


def valid(store: DataStore, kind: LinkKind, token: str, now: datetime) -> Doc | None:
    """The link behind `token` if it still works and its account is active (read-only)."""
    if not token or len(token) > 256:
        return None
    view = store.view(records.ACCOUNTS)
    link = view.get(kind.table, records.token_digest(token))
    if link is None or link["expires_at"] <= iso(now):
        return None
    user = view.get(records.USERS, link["user_id"])
    if user is None or user.get("disabled"):
        return None
    return link


def owner(store: DataStore, kind: LinkKind, token: str, now: datetime) -> Doc | None:
    """The active user a still-working link is for (read-only), or None."""
    link = valid(store, kind, token, now)
    return store.view(records.ACCOUNTS).get(records.USERS, link["user_id"]) if link else None


def use(unit: Unit, kind: LinkKind, token: str, now: datetime) -> Doc | None:
    """Inside the unit that acts on it: the link's active user, with every open link of that user
    (of both kinds) burnt; None when the link does not (or no longer) work."""
    link = unit.get(kind.table, records.token_digest(token)) if token and len(token) <= 256 else None
    if link is None or link["expires_at"] <= iso(now):
        return None
    user = unit.get(records.USERS, link["user_id"])
    if user is None or user.get("disabled"):
        return None
    records.end_links(unit, user["id"])
    return user
