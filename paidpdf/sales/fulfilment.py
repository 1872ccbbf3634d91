"""Fulfilment: the one function that grants a purchase, and the session events that close an order.

Why it looks like this: Stripe may tell us a checkout was paid several times and in any order (the
webhook, retries of it, the buyer's success page, `orders reconcile`), even at the same instant. Every
one of those paths ends in `fulfil`, which re-checks the Checkout Session against the order we stored
and then, in ONE locked unit of `sales.json`, marks the order paid and adds the library entry. The lock
serialises concurrent callers; the order status makes repeats no-ops, so a paid checkout ends in the
buyer's library exactly once.

A refund or dispute that arrived before its payment was recorded is parked (`refunds`) and applied
here, in the same unit that learns the PaymentIntent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paidpdf.accounts import guest_accounts
from paidpdf.clock import now_iso
from paidpdf.content.shop_secret import shop_secret
from paidpdf.errors import InvalidInput
from paidpdf.sales import checkout_currency, promos, tax_amounts
from paidpdf.sales.orders import (
    DEFERRED,
    EVENTS,
    FULFILLABLE,
    ORDERS,
    SALES,
    Outcome,
    has_event,
    record_event,
    save,
    with_event,
)
from paidpdf.sales.purchases import grant_purchase
from paidpdf.sales.refunds import apply_charge_effect
from paidpdf.store import DataStore, Doc, Unit, View


def fulfil(
    store: DataStore,
    session: Mapping[str, Any],
    *,
    livemode: bool,
    source: str = "webhook",
    event_id: str | None = None,
) -> Outcome:
    """Grant the purchase a Checkout Session pays for, exactly once; the only code that grants a sale.

    `session` is the session as a dict (from the signed event or retrieved from the API). Safe to call
    any number of times, concurrently, from the webhook, the success page and reconcile. A session
    that does not match its order in mode, amount, currency, reference or livemode grants nothing and
    flags the order; a complete but unpaid session (delayed method) leaves the order pending.
    """
    if event_id is None:  # an event's id must be recorded (a unit); a page's or reconcile's call need not
        settled = _already_settled(store.view(SALES), session, livemode)
        if settled is not None:
            return settled
    guest = _guest_account(store, session)
    secret = shop_secret(store)  # license keys are issued in the unit that grants (another file's key)
    with store.unit(SALES) as unit:
        if event_id is not None and unit.get(EVENTS, event_id) is not None:
            return Outcome("duplicate", _order_for_session(unit, session), "event already processed")
        source = with_event(source, event_id)
        outcome = _fulfil_in(unit, session, livemode=livemode, source=source, guest=guest, secret=secret)
        if event_id is not None:
            record_event(unit, event_id, "checkout.session", outcome)
        return outcome


def _already_settled(view: View, session: Mapping[str, Any], livemode: bool) -> Outcome | None:
    """What `_fulfil_in` would answer for a paid session whose order is settled already (paid, or
    refunded since): "already", with nothing written. Read from a view, without the unit's lock: at
    launch the success page mostly comes after the webhook fulfilled the order, and waiting for the
    sales file's writer lock (held across each commit's fsync, by either worker) was most of its time
    (docs/web.md, launch day). Any other case (pending, a mismatch to record) goes through the unit.
    Nothing is granted here, so "exactly once" rests on the unit alone, as before."""
    if session.get("status") != "complete" or session.get("payment_status") != "paid":
        return None
    order = _order_for_session(view, session)
    if order is None or order["status"] in FULFILLABLE or _mismatch(order, session, livemode):
        return None
    return Outcome("already", order, f"order is {order['status']}")


def _guest_account(store: DataStore, session: Mapping[str, Any]) -> Doc | None:
    """For a paid checkout of a guest's order: the account with the email given at checkout, made
    (without a password) when there is none. Done before the sales unit, since accounts are another
    file; an account is all it can make, and `_fulfil_in` still decides whether anything is granted."""
    if session.get("status") != "complete" or session.get("payment_status") != "paid":
        return None
    order = _order_for_session(store.view(SALES), session)
    if order is None or order.get("user_id") is not None:
        return None
    details = session.get("customer_details") or {}
    email = details.get("email") if isinstance(details, Mapping) else None
    if not isinstance(email, str) or not email:
        return None  # `_fulfil_in` flags the order: a guest's purchase needs an address to go to
    try:
        return guest_accounts.account_for_checkout(store, email, order["id"])
    except InvalidInput:
        return None


def _fulfil_in(
    unit: Unit,
    session: Mapping[str, Any],
    *,
    livemode: bool,
    source: str,
    guest: Doc | None = None,
    secret: bytes | None = None,
) -> Outcome:
    order = _order_for_session(unit, session)
    if order is None:
        return Outcome("ignored", None, "session names no order of this shop")
    session_id = str(session.get("id") or "")
    reason = _mismatch(order, session, livemode)
    if reason:
        if order["status"] in FULFILLABLE:
            order = save(unit, order, "flagged", reason, source, status="flagged", flag_reason=reason)
            return Outcome("flagged", order, reason)
        order = save(unit, order, "mismatch", reason, source)
        return Outcome("mismatch", order, reason)
    state = session.get("status")
    paid = session.get("payment_status")
    if state == "expired":
        return _close(unit, order, "expired", "checkout session expired", source)
    if state != "complete":
        return Outcome("processing", order, "checkout session still open")
    if paid != "paid":
        if order["status"] == "pending" and not has_event(order, "awaiting"):
            order = save(unit, order, "awaiting", "completed, waiting for a delayed payment", source)
        return Outcome("processing", order, "payment not confirmed yet")
    if order["status"] not in FULFILLABLE:
        return Outcome("already", order, f"order is {order['status']}")
    if order.get("user_id") is None:
        if guest is None:
            reason = "a guest's checkout without a usable email address"
            order = save(unit, order, "flagged", reason, source, status="flagged", flag_reason=reason)
            return Outcome("flagged", order, reason)
        order = {**order, "user_id": guest["id"], "buyer": guest["email"]}
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, Mapping):
        payment_intent = payment_intent.get("id")
    order = save(
        unit,
        order,
        "paid",
        f"paid {order['amount']} {order['currency']}",
        source,
        status="paid",
        paid_at=now_iso(),
        stripe_session_id=session_id,
        stripe_payment_intent=payment_intent,
        receipt="due",  # once per order: only this transition sets it (see `receipts`)
        **tax_amounts.session_facts(session),
        **checkout_currency.presentment(session),  # what an Adaptive Pricing buyer saw
    )
    grant_purchase(unit, order, secret)
    if order.get("promo") and promos.count_use(unit, order["promo"], order["id"]):  # counts when paid
        detail = f"the code {order['promo']} was used past its limit (the payment is kept)"
        order = save(unit, order, "promo over limit", detail, source, promo_over_limit=True)
    if payment_intent:
        parked = unit.get(DEFERRED, str(payment_intent))
        if parked is not None:
            unit.delete(DEFERRED, parked["id"])
            for item in parked["events"]:
                order = apply_charge_effect(
                    unit, order, item["type"], item["object"], f"deferred {item['id']}"
                )
    return Outcome("fulfilled", order, "")


def _mismatch(order: Doc, session: Mapping[str, Any], livemode: bool) -> str:
    """Why the session cannot pay this order, or "" when every fact matches."""
    metadata = session.get("metadata") or {}
    checks = [
        (session.get("client_reference_id") == order["id"], "client_reference_id does not name the order"),
        (
            isinstance(metadata, Mapping) and metadata.get("order_id") == order["id"],
            "metadata.order_id does not name the order",
        ),
        (session.get("mode") == "payment", f"mode is {session.get('mode')!r}, not 'payment'"),
        (
            bool(session.get("livemode")) == livemode,
            f"livemode is {bool(session.get('livemode'))}, expected {livemode}",
        ),
        (
            not order.get("stripe_session_id") or order["stripe_session_id"] == session.get("id"),
            f"session {session.get('id')} is not the order's session {order.get('stripe_session_id')}",
        ),
    ]
    # Amount and currency only mean something once the buyer has completed the checkout; an open
    # session carries them too, so check them always: a tampered session is flagged early.
    # An exclusive price's tax comes on top (`tax_amounts.expected_tax`); the price must still match.
    amount = session.get("amount_total")
    on_top = tax_amounts.expected_tax(order, session)
    currency = str(session.get("currency") or "").lower()
    checks.append(
        (
            amount == order["amount"] + on_top and not isinstance(amount, bool),
            f"amount_total {amount!r} differs from the order's {order['amount']}"
            + (f" plus tax {on_top}" if on_top else ""),
        )
    )
    checks.append(
        (
            currency == order["currency"],
            f"currency {currency!r} differs from the order's {order['currency']!r}",
        )
    )
    for ok, reason in checks:
        if not ok:
            return reason
    return ""


def _order_for_session(view: View, session: Mapping[str, Any]) -> Doc | None:
    metadata = session.get("metadata") or {}
    candidates = [
        metadata.get("order_id") if isinstance(metadata, Mapping) else None,
        session.get("client_reference_id"),
    ]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.startswith("ord_"):
            found = view.get(ORDERS, candidate)
            if found is not None:
                return found
    session_id = session.get("id")
    if isinstance(session_id, str) and session_id:
        rows = view.find(ORDERS, "stripe_session_id", session_id)
        if rows:
            return rows[0]
    return None


# -- closing orders that will not be paid ---------------------------------------------------------


def expire(
    store: DataStore, session: Mapping[str, Any], *, source: str = "webhook", event_id: str | None = None
) -> Outcome:
    """`checkout.session.expired`: the pending order is closed as expired (a paid one is untouched)."""
    return _session_transition(store, session, "expired", "checkout session expired", source, event_id)


def fail(
    store: DataStore, session: Mapping[str, Any], *, source: str = "webhook", event_id: str | None = None
) -> Outcome:
    """`checkout.session.async_payment_failed`: the delayed payment did not go through."""
    return _session_transition(store, session, "failed", "delayed payment failed", source, event_id)


def _session_transition(
    store: DataStore, session: Mapping[str, Any], status: str, why: str, source: str, event_id: str | None
) -> Outcome:
    with store.unit(SALES) as unit:
        if event_id is not None and unit.get(EVENTS, event_id) is not None:
            return Outcome("duplicate", _order_for_session(unit, session), "event already processed")
        order = _order_for_session(unit, session)
        if order is None:
            outcome = Outcome("ignored", None, "session names no order of this shop")
        else:
            outcome = _close(unit, order, status, why, with_event(source, event_id))
        if event_id is not None:
            record_event(unit, event_id, f"session.{status}", outcome)
        return outcome


def _close(unit: Unit, order: Doc, status: str, why: str, source: str) -> Outcome:
    if order["status"] not in ("pending", "abandoned") or order["status"] == status:
        return Outcome("unchanged", order, f"order is {order['status']}")
    return Outcome(status, save(unit, order, status, why, source, status=status), why)
