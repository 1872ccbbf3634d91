"""Joining a plan: the pending join, its Stripe Checkout Session, and what a completed one gives.

A join (`joins` table of `sales`) is to a membership what a pending order is to a purchase: made when
a reader presses Join (logged in, or a guest whose browser cookie's SHA-256 is kept, exactly like a
guest purchase: `paidpdf.sales.guest_checkout`), reused on a double click (and, through the per-join
idempotency key, its Checkout Session), and completed by whichever of the webhook, the success page
and reconcile sees the session first. A renewing plan's session is in `subscription` mode
(`price_data.recurring`, the trial through `subscription_data`, no card asked up front during a
trial); a pass's is in `payment` mode and grants a `pass_…` subscription document ending `pass_days`
after payment. Completion goes through `lifecycle.sync_subscription`, the same path as every Billing
event, so a join counts once however many servers see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from paidpdf.clock import new_id, now, now_iso, parse_iso
from paidpdf.config import Settings
from paidpdf.content import shop, tax_codes
from paidpdf.errors import InvalidInput, NotFound, PaymentProviderError
from paidpdf.memberships import lifecycle, plans, records
from paidpdf.memberships.billing_gateway import create_checkout
from paidpdf.memberships.join_records import JOINS, close, is_join_session, join_for_session, plan_of
from paidpdf.memberships.subscriptions import SUBSCRIPTIONS, Change, find_for_user
from paidpdf.sales import checkout_currency, checkout_locale, tax_checkout
from paidpdf.sales.stripe_gateway import livemode, retrieve_session
from paidpdf.store import SALES, DataStore, Doc, View

if TYPE_CHECKING:  # stripe (and its HTTP libraries, ~30 MB) loads with the first payment call
    import stripe

REUSE_PENDING = timedelta(minutes=30)


@dataclass(frozen=True)
class JoinStart:
    """What `start_join` decided: `member` (already a member of this plan: nothing to pay) or
    `redirect` (to Stripe Checkout at `url`)."""

    kind: str
    plan: Doc
    join: Doc | None = None
    url: str = ""


def start_join(
    store: DataStore,
    client: stripe.StripeClient,
    settings: Settings,
    *,
    user: Mapping[str, Any] | None,
    plan_id: str,
    guest_token: str | None = None,
    currency: str | None = None,
    locale: str | None = None,
) -> JoinStart:
    """A pending join and its Checkout Session, for a logged-in `user` or a guest (`guest_token` is
    the SHA-256 of the browser's checkout cookie; Checkout asks for the email). The plan is charged
    in the visitor's `currency` when it has an explicit price there, else at its own price."""
    plan = plans.get(store, plan_id)
    # the same choice as items and bundles; Adaptive Pricing is not asked for on memberships (see
    # `checkout_currency`): a renewing price is the creator's to set in each currency
    plan = checkout_currency.sold_in(plan, currency, settings).doc
    if plan.get("status") != plans.ACTIVE:
        raise NotFound(f"plan {plan['id']!r} is not for sale")
    if user is None and not guest_token:
        raise InvalidInput("internal error: a join is either a reader's or a guest's")
    live = records.grants(store.view(SALES), user["id"]) if user is not None else []
    if any(g.plan_id == plan["id"] for g in live):
        return JoinStart("member", plan)
    mode = livemode(settings)
    for _ in range(3):
        join = _pending(store, plan, user, guest_token, mode, tax_checkout.tax_behavior(settings))
        if not join.get("stripe_session_id"):
            return _new_session(store, client, settings, plan, join, locale)
        session = retrieve_session(client, join["stripe_session_id"])
        if session.get("status") == "open" and session.get("url"):
            return JoinStart("redirect", plan, join, str(session["url"]))
        if session.get("status") == "expired":
            close(store, join["id"], "expired")
            continue
        change = lifecycle.complete_join(store, client, session, livemode=mode, source="shop")
        if change.gives_access:
            return JoinStart("member", plan, join)
        close(store, join["id"], "abandoned")
    raise PaymentProviderError("could not start a checkout; please try again")


def _pending(
    store: DataStore, plan: Doc, user: Mapping[str, Any] | None, guest_token: str | None, mode: bool,
    tax_behavior: str | None = None,
) -> Doc:
    cutoff = now() - REUSE_PENDING
    field, value = ("user_id", user["id"]) if user else ("guest_token", guest_token)
    with store.unit(SALES) as unit:
        for existing in unit.find(JOINS, field, value):
            if (
                existing["status"] == "pending"
                and existing["plan_id"] == plan["id"]
                and existing["amount"] == plan["price"]
                and existing.get("currency") == plan["currency"]
                and existing.get("livemode") == mode
                and existing.get("tax_behavior") == tax_behavior
                and parse_iso(existing["created_at"]) >= cutoff
            ):
                return existing
        stamp = now_iso()
        join: Doc = {
            "id": new_id("join"),
            "status": "pending",
            "plan_id": plan["id"],
            "mode": "payment" if plans.is_pass(plan) else "subscription",
            "user_id": user["id"] if user else None,
            "buyer": user["email"] if user else None,
            "guest_token": None if user else guest_token,
            "amount": int(plan["price"]),
            "currency": str(plan["currency"]),
            "livemode": mode,
            "tax_behavior": tax_behavior,
            "stripe_session_id": None,
            "subscription_id": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        return unit.insert(JOINS, join)


def session_params(
    store: DataStore, base: str, plan: Doc, join: Doc, settings: Settings | None = None
) -> dict[str, Any]:
    """The Checkout Session a join asks Stripe for (see the module docstring), with what the tax mode
    adds (`tax_checkout`; a plan is sold as electronically supplied services, eligible for Managed
    Payments)."""
    reference = {"join_id": join["id"], "plan_id": plan["id"], "user_id": join["user_id"] or "guest"}
    price: dict[str, Any] = {
        "currency": join["currency"],
        "unit_amount": join["amount"],
        "product_data": {
            "name": f"{plan['title']} · {shop.identity(store)['name']}",
            "metadata": {"plan_id": plan["id"]},
        },
    }
    if settings is not None:
        price = tax_checkout.price_data(settings, price, tax_codes.GENERAL_DIGITAL)
    params: dict[str, Any] = {
        "mode": join["mode"],
        "line_items": [{"quantity": 1, "price_data": price}],
        "client_reference_id": join["id"],
        "metadata": reference,
        "success_url": f"{base}/membership/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}/membership",
    }
    if settings is not None:
        params.update(tax_checkout.session_params(settings, mode=join["mode"]))
    if join["mode"] == "subscription":
        price["recurring"] = {"interval": plan["interval"]}
        data: dict[str, Any] = {"metadata": reference}
        if int(plan.get("trial_days") or 0) > 0:
            data["trial_period_days"] = int(plan["trial_days"])
            params["payment_method_collection"] = "if_required"  # a trial needs no card up front
        params["subscription_data"] = data
    else:
        params["payment_intent_data"] = {"metadata": reference}
    customer = _customer_of(store.view(SALES), join.get("user_id"))
    if customer:
        params["customer"] = customer  # one Stripe customer per reader: one portal, one card
    elif join.get("buyer"):
        params["customer_email"] = join["buyer"]
    return params


def _customer_of(view: View, user_id: str | None) -> str | None:
    if not user_id:
        return None
    for sub in find_for_user(view, user_id):
        if isinstance(sub.get("customer"), str) and sub["customer"].startswith("cus_"):
            return str(sub["customer"])
    return None


def _new_session(
    store: DataStore, client: stripe.StripeClient, settings: Settings, plan: Doc, join: Doc,
    locale: str | None = None,
) -> JoinStart:
    base = settings.base_url.rstrip("/")
    params = {**session_params(store, base, plan, join, settings), **checkout_locale.session_params(locale)}
    session = create_checkout(client, params, f"paidpdf-join-{join['id']}")
    with store.unit(SALES) as unit:
        current = unit.require(JOINS, join["id"], "join")
        join = unit.put(JOINS, {**current, "stripe_session_id": session["id"], "updated_at": now_iso()})
    return JoinStart("redirect", plan, join, str(session.get("url") or ""))


def confirm_return(
    store: DataStore, client: stripe.StripeClient, settings: Settings, *, session_id: str, user_id: str | None
) -> Change:
    """The membership success page: the session is fetched from Stripe (the URL proves nothing) and
    completed through the same path as the webhook. A logged-in reader sees only their own joins."""
    session = retrieve_session(client, session_id)
    join = join_for_session(store.view(SALES), session)
    if join is None:
        raise NotFound("no such checkout for this account")
    if user_id is not None and join["user_id"] not in (None, user_id):
        raise NotFound("no such checkout for this account")
    return lifecycle.complete_join(store, client, session, livemode=livemode(settings), source="success page")


__all__ = [
    "JOINS", "SUBSCRIPTIONS", "JoinStart", "confirm_return", "is_join_session", "join_for_session",
    "plan_of", "session_params", "start_join",
]
