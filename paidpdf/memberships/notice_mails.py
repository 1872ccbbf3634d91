"""Membership mails: the words of each notice, and `send_due`, which mails every due notice once.

The domain queues a notice in the very unit that changes a subscription (`notices.queue_for_change`:
welcome, payment failed, cancellation confirmed, access ended; one per subscription, kind and
occasion, however many events, replays or servers report the change). This module only sends them,
like receipts (`paidpdf.sales.receipts`): each due notice is claimed in a unit of its own (`due` →
`sending`, so two threads or servers never both send it), handed to the mailer and marked `sent`;
a failed send makes it `due` again. A reader without a password (a guest who joined by email) gets a
sign-in link in the welcome and payment-failed mails, as a guest buyer gets one with the receipt.
"""

from __future__ import annotations

import logging

from paidpdf import clock
from paidpdf.accounts import guest_accounts, mailed_links, sign_in_links, users
from paidpdf.clock import parse_iso
from paidpdf.mail import Mailer, MailError
from paidpdf.memberships import notices, subscriptions
from paidpdf.store import SALES, DataStore, Doc

log = logging.getLogger("paidpdf.memberships")


def send_due(store: DataStore, mailer: Mailer, *, base_url: str, shop_name: str, limit: int = 50) -> int:
    """Mail every due membership notice (at most `limit` per call); returns how many were sent."""
    sent = 0
    for notice in notices.due(store.view(SALES), limit):
        claimed = notices.claim(store, notice["id"])
        if claimed is None:
            continue  # another thread or server has it, or it went out meanwhile
        to = _address(store, claimed)
        if not to:
            notices.mark(store, claimed["id"], notices.SENT)  # no address to write to: nothing to retry
            continue
        try:
            mailer.send(to, *message(store, claimed, base_url, shop_name))
        except MailError as exc:
            log.error("membership %s mail to %s failed: %s", claimed["kind"], to, exc.message)
            notices.mark(store, claimed["id"], notices.DUE)
            continue
        notices.mark(store, claimed["id"], notices.SENT)
        sent += 1
    return sent


def _address(store: DataStore, notice: Doc) -> str:
    """The account's address now (it may have changed since the notice was queued)."""
    user = users.get_user(store, str(notice["user_id"])) if notice.get("user_id") else None
    return str((user or {}).get("email") or notice.get("email") or "")


def _sign_in(store: DataStore, notice: Doc, base_url: str) -> str:
    """A paragraph with a one-time sign-in link for an account without a password, else ""."""
    user = users.get_user(store, str(notice["user_id"])) if notice.get("user_id") else None
    if user is None or guest_accounts.has_password(user):
        return ""
    issued = mailed_links.issue(store, sign_in_links.KIND, user["email"], base_url, remote_addr=None,
                                now=clock.now())
    if not issued:
        return ""
    minutes = int(sign_in_links.LIFETIME.total_seconds() // 60)
    return (
        f"To sign in, open this link within {minutes} minutes and press the button (it works once):\n\n"
        f"{issued[1]}\n\nLater, use \"Email me a sign-in link\" on {base_url}/login, or set a password "
        "from your account page.\n\n"
    )


def _day(value: object) -> str:
    """An ISO time as a plain date for a mail ("the 7 January 2027"), or "" when unknown."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = parse_iso(value)
    except ValueError:
        return ""
    return f"{moment.day} {moment:%B %Y}"


def message(store: DataStore, notice: Doc, base_url: str, shop_name: str) -> tuple[str, str]:
    """(subject, body) of one notice."""
    base = base_url.rstrip("/")
    plan = str(notice.get("plan_title") or notice.get("plan_id") or "membership")
    until = _day(notice.get("access_until"))
    kind = notice["kind"]
    manage = f"{base}/membership"
    if kind == "welcome":
        subject = f"Welcome to {plan}"
        text = (
            f"Welcome to {plan} at {shop_name}.\n\n"
            f"Every item your membership covers is in your library, under \"Included in {plan}\", "
            f"ready to read and download:\n\n{base}/library\n\n"
            + _sign_in(store, notice, base)
            + f"Change your card, see invoices or cancel any time with \"Manage membership\" on {manage}\n"
        )
    elif kind == "payment_failed":
        subject = f"Your payment for {plan} failed"
        text = (
            f"We could not charge your card for {plan}. Your access continues while we retry the "
            "payment, but it will end if no payment succeeds.\n\n"
            f"Update your card or pay the invoice in the customer portal: press \"Manage membership\" "
            f"on\n\n{manage}\n\n" + _sign_in(store, notice, base)
        )
    elif kind == "cancel_confirmed":
        subject = f"Your {plan} membership is canceled"
        if _ended_now(store, notice):  # canceled at once: nothing left to keep or resume
            text = f"Your {plan} membership at {shop_name} is canceled, and its access has ended.\n\n"
        else:
            ends = f" You keep access until {until}." if until else ""
            text = (
                f"Your {plan} membership at {shop_name} is canceled and will not renew.{ends}\n\n"
                f"Changed your mind? Resume it with \"Manage membership\" on {manage} before it ends.\n"
            )
        text += "Everything you bought separately stays in your library.\n"
    elif kind == "access_ended":
        subject = f"Your {plan} membership has ended"
        text = (
            f"Your {plan} membership at {shop_name} has ended, and the items it covered are no longer "
            "in your library. Everything you bought separately stays yours.\n\n"
            f"Join again whenever you like: {manage}\n"
        )
    else:
        raise ValueError(f"unknown membership notice kind {kind!r}")
    return f"{subject} · {shop_name}", f"{text.rstrip()}\n\n-- \n{shop_name}\n"


def _ended_now(store: DataStore, notice: Doc) -> bool:
    """Whether the notice's subscription no longer gives access (canceled at once, not at the period end)."""
    sub = store.view(SALES).get(subscriptions.SUBSCRIPTIONS, str(notice.get("subscription_id") or ""))
    return sub is not None and not subscriptions.access_now(sub)
