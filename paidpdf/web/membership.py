"""Membership routes: the plans page, Join (Stripe Checkout in subscription mode), the return from
Checkout, and "Manage membership" (a Stripe customer portal session).

No membership logic lives here: `paidpdf.memberships.joins` starts and confirms joins through the same
path as the webhook, `member_shelf` decides what a member may read. Join works like Buy: CSRF, the
checkout throttle (`checkout.count_start`), and for a visitor who is not logged in a guest's join
tied to this browser's checkout cookie; Checkout asks for the email the membership goes to, and the
welcome mail brings that account a sign-in link. The success page never trusts its URL: it asks
Stripe for the session.
"""

from __future__ import annotations

from typing import Any

import bottle

from paidpdf.currency_prices import shown_in
from paidpdf.errors import NotFound, PaymentProviderError
from paidpdf.languages import N_
from paidpdf.memberships import joins, plans, portal, subscriptions
from paidpdf.sales import guest_checkout
from paidpdf.store import CATALOG, SALES, Doc
from paidpdf.web import checkout
from paidpdf.web.context import WebContext
from paidpdf.web.guards import login_required
from paidpdf.web.request_fields import query

#: Seconds between reloads of the "membership processing" page (no JavaScript needed).
REFRESH_SECONDS = checkout.REFRESH_SECONDS


def membership_page(web: WebContext) -> str:
    """Live plans (price, interval or term, trial, what they cover) and, for a reader, their own
    memberships with the Manage button."""
    user = web.visitor.current_user()
    mine = _memberships(web, user)
    member_of = {s["plan_id"] for s in mine if subscriptions.access_now(s)}
    return web.render(
        "membership.html",
        plans=[shown_in(p, web.currencies.current()) for p in plans.plans_in(web.store.view(CATALOG))],
        mine=mine, member_of=member_of,
        describe_covers=plans.describe_covers, manageable=any(_manageable(s) for s in mine),
    )


def _memberships(web: WebContext, user: Doc | None) -> list[Doc]:
    """The reader's memberships worth showing: giving access now, or set up and not yet ended."""
    if user is None:
        return []
    rows = subscriptions.find_for_user(web.store.view(SALES), str(user["id"]))
    return [s for s in rows if subscriptions.access_now(s) or s.get("status") not in subscriptions.ENDED]


def _manageable(sub: Doc) -> bool:
    customer = sub.get("customer")
    return sub.get("kind") != "pass" and isinstance(customer, str) and customer.startswith("cus_")


def join(web: WebContext, plan_id: str) -> Any:
    """Join: a reader's, or for a visitor who is not logged in a guest's (the checkout cookie, as Buy)."""
    web.visitor.check_csrf()
    plan = plans.find(web.store.view(CATALOG), plan_id)
    if plan is None or plan.get("status") != plans.ACTIVE:
        raise NotFound(N_("no such plan"))
    user = web.visitor.current_user()
    checkout.count_start(web, user)
    started = joins.start_join(
        web.store, web.stripe(), web.settings, user=user, plan_id=plan["id"],
        guest_token=None if user else guest_checkout.token_digest(checkout.guest_cookie(web, create=True)),
        currency=web.currencies.current(), locale=web.locale(),
    )
    web.remember_language(user)  # membership mails go to the account, in this page's language
    if started.kind != "redirect":  # already a member of this plan: nothing to pay
        web.cookies.flash("already_member")
        web.redirect("/membership")
    web.redirect(started.url)


def success(web: WebContext) -> Any:
    """The return from Checkout: the session is fetched from Stripe and completed like the webhook
    would; a reader sees their library, a guest "check your email" (the sign-in link comes there)."""
    user = web.visitor.current_user()
    try:
        change = joins.confirm_return(
            web.store, web.stripe(), web.settings, session_id=query("session_id", 255),
            user_id=user["id"] if user else None,
        )
    except PaymentProviderError:
        return _processing(web, None, N_("We could not reach the payment provider yet."))
    sub = change.subscription
    send_mails(web)
    if sub is None or not change.gives_access:
        if sub is not None and sub.get("status") in subscriptions.ENDED:
            return web.render("membership_pending.html", sub=sub, final=True, refresh=0, note="")
        return _processing(web, sub, "")
    bottle.response.set_header("Cache-Control", "no-store")
    return web.render(
        "membership_done.html", sub=sub, plan=joins.plan_of(web.store, str(sub.get("plan_id") or "")),
        mine=user is not None and sub.get("user_id") == user["id"],
    )


def _processing(web: WebContext, sub: Doc | None, note: str) -> str:
    bottle.response.set_header("Refresh", str(REFRESH_SECONDS))
    bottle.response.set_header("Cache-Control", "no-store")
    return web.render("membership_pending.html", sub=sub, final=False, refresh=REFRESH_SECONDS, note=note)


@login_required
def manage(web: WebContext, user: Doc) -> Any:
    """A Stripe customer portal session for the reader's newest renewing membership (cancel, resume,
    change card, invoices); Stripe sends the reader back to the shop."""
    web.visitor.check_csrf()
    if portal.customer_of(web.store, str(user["id"])) is None:
        raise NotFound(N_("you have no membership to manage"))
    checkout.count_start(web, user)  # each press makes a portal session at Stripe
    web.redirect(portal.portal_url(web.store, web.stripe(), web.settings, user, web.locale()))


def send_mails(web: WebContext) -> None:
    """Due membership mails go out beside the request, with the receipts (`WebContext` sends both)."""
    web.receipts.kick()
