"""Orders: their states, how one is created and read, and how every change to one is recorded.

An order is created pending when a reader presses Buy and changes only through `save`, which stores a
new version with one more history entry (documents are never mutated). The paths that change an
order live beside this module: `fulfilment` (paid, expired, failed), `refunds` (refunds and disputes),
`order_search` (what admins list). Stripe events are recorded in the `events` table in the same unit as
their effect (`record_event`), so an event id is either fully processed or not at all.

This area works on plain dicts (Stripe objects turned into dicts by `paidpdf.sales.stripe_gateway`)
and never imports stripe. Amounts are integer minor units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from paidpdf.clock import new_id, now, now_iso, parse_iso
from paidpdf.errors import Conflict, InvalidInput
from paidpdf.hooks import events as hook_events
from paidpdf.sales import promos
from paidpdf.store import SALES, DataStore, Doc, Unit, View

ORDERS = "orders"
EVENTS = "events"
DEFERRED = "deferred"

STATUSES = ("pending", "paid", "abandoned", "expired", "failed", "refunded", "disputed", "flagged")
#: States from which a confirmed payment still fulfils: money that arrives is never lost, even
#: after the buyer pressed Cancel or the session was reported expired by a late event.
FULFILLABLE = frozenset({"pending", "abandoned", "expired", "failed"})
#: States in which the buyer holds the item because of this order.
GRANTING = frozenset({"paid"})

#: A pending order is reused for a second click on "Buy" within this window (same price), so a double
#: click maps to one order and (through the per-order idempotency key) one Checkout Session.
REUSE_PENDING = timedelta(minutes=30)


@dataclass(frozen=True)
class Outcome:
    """What a call did: `action` is a short word the adapters show or log; `order` is the stored order."""

    action: str
    order: Doc | None
    detail: str = ""

    @property
    def granted(self) -> bool:
        return self.order is not None and self.order.get("status") in GRANTING


# -- reading ---------------------------------------------------------------------------------------


def get(view: View, order_id: str) -> Doc:
    return view.require(ORDERS, order_id, "order")


def find_by_payment_intent(view: View, payment_intent: str) -> Doc | None:
    rows = view.find(ORDERS, "stripe_payment_intent", payment_intent)
    return rows[0] if rows else None


def refundable(view: View, order_id: str) -> Doc:
    """The order if it can be refunded in full (paid, with a Stripe payment), else a `Conflict`."""
    order = get(view, order_id)
    if order["status"] != "paid":
        raise Conflict(f"order {order_id} is {order['status']}: only paid orders can be refunded")
    if not order.get("stripe_payment_intent"):
        raise Conflict(f"order {order_id} has no Stripe payment to refund")
    return order


def public(order: Mapping[str, Any]) -> Doc:
    """The order as shown to scripts (`--json`): the contract fields first, then the rest."""
    keys = (
        "id",
        "status",
        "content_id",
        "user_id",
        "buyer",
        "amount",
        "currency",
        "stripe_session_id",
        "stripe_payment_intent",
        "created_at",
        "paid_at",
        "updated_at",
        "livemode",
        "refunded_amount",
        "flag_reason",
        "promo",
        "promo_over_limit",
        "list_price",
        "bundle_items",
        "subtotal",
        "discount",
        "tax",
        "total",
        "tax_behavior",
        "buyer_country",
        "tax_ids",
        "invoice",
        "history",
    )
    shown = {k: order.get(k) for k in keys}
    shown["list_price"] = int(order.get("list_price") or order.get("amount") or 0)
    shown["refunded_amount"] = int(order.get("refunded_amount") or 0)
    # Adaptive Pricing (`checkout_currency`): what the buyer saw, beside `amount`/`currency` (settled)
    shown.update({k: order[k] for k in ("presentment_amount", "presentment_currency") if k in order})
    return shown


# -- creating --------------------------------------------------------------------------------------


def create_pending(
    store: DataStore,
    *,
    user_id: str | None,
    buyer: str | None,
    content_id: str,
    amount: int,
    currency: str,
    livemode: bool,
    guest_token: str | None = None,
    promo: str | None = None,
    list_price: int | None = None,
    bundle_items: list[str] | None = None,
    hold: timedelta = promos.DEFAULT_HOLD,
    tax_behavior: str | None = None,
) -> Doc:
    """A pending order for a checkout about to start; a recent identical pending order is reused.
    With a discount `promo` code, a use of it is reserved in the same unit (`promos.reserve`, which
    `hold` tells how long an unpaid checkout holds a use).

    A guest's order has no user yet (`fulfil` finds or makes the account from the email given at
    checkout) and carries the SHA-256 of the browser's checkout cookie instead (`guest_token`), by
    which a double click finds it again and the success page knows the browser that started it."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidInput("a paid order needs a positive integer amount")
    if (user_id is None) == (guest_token is None):
        raise InvalidInput("internal error: an order is either a reader's or a guest's")
    cutoff = now() - REUSE_PENDING
    with store.unit(SALES) as unit:
        field, value = ("user_id", user_id) if user_id else ("guest_token", guest_token)
        for existing in unit.find(ORDERS, field, value):
            if (
                existing["status"] == "pending"
                and existing["content_id"] == content_id
                and existing["amount"] == amount
                and existing["currency"] == currency
                and existing.get("livemode") == livemode
                and existing.get("promo") == promo
                and existing.get("bundle_items") == bundle_items
                and existing.get("tax_behavior") == tax_behavior
                and parse_iso(existing["created_at"]) >= cutoff
            ):
                return existing
        if promo is not None:
            promos.reserve(unit, promo, hold)
        stamp = now_iso()
        order: Doc = {
            "id": new_id("ord"),
            "status": "pending",
            "content_id": content_id,
            "user_id": user_id,
            "buyer": buyer,
            "guest_token": guest_token,
            "amount": amount,
            "currency": currency,
            "promo": promo,
            "list_price": list_price if list_price is not None else amount,
            "bundle_items": bundle_items,
            "tax_behavior": tax_behavior,
            "livemode": livemode,
            "stripe_session_id": None,
            "stripe_payment_intent": None,
            "created_at": stamp,
            "updated_at": stamp,
            "paid_at": None,
            "refunded_amount": 0,
            "refunds": {},
            "flag_reason": None,
            "history": [history_entry("created", f"pending order for {content_id}", "shop")],
        }
        return unit.insert(ORDERS, order)


def attach_session(store: DataStore, order_id: str, session_id: str) -> Doc:
    """Remember the Checkout Session made for the order (the same one again is a no-op)."""
    with store.unit(SALES) as unit:
        order = get(unit, order_id)
        if order.get("stripe_session_id") == session_id:
            return order
        if order.get("stripe_session_id") and order["status"] != "pending":
            raise Conflict(f"order {order_id} already has session {order['stripe_session_id']}")
        return save(
            unit, order, "session", f"checkout session {session_id}", "shop", stripe_session_id=session_id
        )


# -- events ----------------------------------------------------------------------------------------


def event_seen(view: View, event_id: str) -> bool:
    return view.get(EVENTS, event_id) is not None


def record_other_event(store: DataStore, event_id: str, event_type: str) -> bool:
    """Note an event type the shop does not act on; False when it had been seen already."""
    with store.unit(SALES) as unit:
        if unit.get(EVENTS, event_id) is not None:
            return False
        record_event(unit, event_id, event_type, Outcome("ignored", None, "not handled"))
        return True


def record_event(unit: Unit, event_id: str, event_type: str, outcome: Outcome) -> None:
    unit.put(
        EVENTS,
        {
            "id": event_id,
            "type": event_type,
            "order_id": outcome.order["id"] if outcome.order else None,
            "outcome": outcome.action,
            "processed_at": now_iso(),
        },
    )


# -- recording changes -----------------------------------------------------------------------------


def history_entry(event: str, detail: str, source: str) -> Doc:
    return {"at": now_iso(), "event": event, "detail": detail, "source": source}


def save(unit: Unit, order: Doc, event: str, detail: str, source: str, **changes: Any) -> Doc:
    """Store a new version of the order with one more history entry (documents are never mutated)."""
    updated = {
        **order,
        **changes,
        "updated_at": now_iso(),
        "history": [*order.get("history", []), history_entry(event, detail, source)],
    }
    saved = unit.put(ORDERS, updated)
    hook_events.order_changed(unit, order, saved)  # in this unit: the change and its hook events together
    return saved


def has_event(order: Doc, event: str) -> bool:
    return any(h.get("event") == event for h in order.get("history", []))


def with_event(source: str, event_id: str | None) -> str:
    return f"{source} {event_id}" if event_id else source
