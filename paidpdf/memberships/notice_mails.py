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

from babel.support import NullTranslations

from paidpdf import clock, local_formats
from paidpdf.accounts import guest_accounts, mailed_links, sign_in_links, users
from paidpdf.clock import parse_iso
from paidpdf.mail import Mailer, MailError
from paidpdf.mail_languages import of_user, translations
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


def _sign_in(store: DataStore, notice: Doc, base_url: str, t: NullTranslations) -> str:
    """A paragraph with a one-time sign-in link for an account without a password, else ""."""
    user = users.get_user(store, str(notice["user_id"])) if notice.get("user_id") else None
    if user is None or guest_accounts.has_password(user):
        return ""
    issued = mailed_links.issue(store, sign_in_links.KIND, user["email"], base_url, remote_addr=None,
                                now=clock.now())
    if not issued:
        return ""
    minutes = int(sign_in_links.LIFETIME.total_seconds() // 60)
    return t.gettext(
        "To sign in, open this link within {minutes} minutes and press the button (it works once):\n\n"
        "{link}\n\nLater, use \"Email me a sign-in link\" on {login}, or set a password from your "
        "account page.\n\n"
    ).format(minutes=minutes, link=issued[1], login=f"{base_url}/login")


def _day(value: object, locale: str) -> str:
    """An ISO time as a plain date for a mail in the reader's language ("7 January 2027"), or ""."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = parse_iso(value)
    except ValueError:
        return ""
    return local_formats.long_day(moment, locale)


def message(store: DataStore, notice: Doc, base_url: str, shop_name: str) -> tuple[str, str]:
    """(subject, body) of one notice, in the member's language (`mail_languages.of_user`)."""
    user = users.get_user(store, str(notice["user_id"])) if notice.get("user_id") else None
    locale = of_user(store, user)
    t = translations(locale)
    base = base_url.rstrip("/")
    plan = str(notice.get("plan_title") or notice.get("plan_id") or t.gettext("membership"))
    until = _day(notice.get("access_until"), locale)
    kind = notice["kind"]
    manage = f"{base}/membership"
    names = {"plan": plan, "shop": shop_name, "manage": manage, "library": f"{base}/library", "until": until}
    if kind == "welcome":
        subject = t.gettext("Welcome to {plan}").format(**names)
        text = (
            t.gettext(
                "Welcome to {plan} at {shop}.\n\nEvery item your membership covers is in your library, "
                "under \"Included in {plan}\", ready to read and download:\n\n{library}\n\n"
            ).format(**names)
            + _sign_in(store, notice, base, t)
            + t.gettext(
                "Change your card, see invoices or cancel any time with \"Manage membership\" on {manage}\n"
            ).format(**names)
        )
    elif kind == "payment_failed":
        subject = t.gettext("Your payment for {plan} failed").format(**names)
        text = t.gettext(
            "We could not charge your card for {plan}. Your access continues while we retry the payment, "
            "but it will end if no payment succeeds.\n\nUpdate your card or pay the invoice in the "
            "customer portal: press \"Manage membership\" on\n\n{manage}\n\n"
        ).format(**names) + _sign_in(store, notice, base, t)
    elif kind == "cancel_confirmed":
        subject = t.gettext("Your {plan} membership is canceled").format(**names)
        if _ended_now(store, notice):  # canceled at once: nothing left to keep or resume
            text = t.gettext(
                "Your {plan} membership at {shop} is canceled, and its access has ended.\n\n"
            ).format(**names)
        else:
            ends = " " + t.gettext("You keep access until {until}.").format(**names) if until else ""
            text = (
                t.gettext("Your {plan} membership at {shop} is canceled and will not renew.").format(**names)
                + ends + "\n\n"
                + t.gettext(
                    "Changed your mind? Resume it with \"Manage membership\" on {manage} before it ends.\n"
                ).format(**names)
            )
        text += t.gettext("Everything you bought separately stays in your library.") + "\n"
    elif kind == "access_ended":
        subject = t.gettext("Your {plan} membership has ended").format(**names)
        text = t.gettext(
            "Your {plan} membership at {shop} has ended, and the items it covered are no longer in your "
            "library. Everything you bought separately stays yours.\n\nJoin again whenever you like: "
            "{manage}\n"
        ).format(**names)
    else:
        raise ValueError(f"unknown membership notice kind {kind!r}")
    return f"{subject} · {shop_name}", f"{text.rstrip()}\n\n-- \n{shop_name}\n"


def _ended_now(store: DataStore, notice: Doc) -> bool:
    """Whether the notice's subscription no longer gives access (canceled at once, not at the period end)."""
    sub = store.view(SALES).get(subscriptions.SUBSCRIPTIONS, str(notice.get("subscription_id") or ""))
    return sub is not None and not subscriptions.access_now(sub)
