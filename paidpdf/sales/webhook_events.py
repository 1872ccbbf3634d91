"""Webhook events: one verified Stripe event applied once, whichever server or retry delivers it.

The event's id is recorded in the same unit as its effect (`orders.record_event`), so a replay is a
no-op; an event from the other mode or for a connected account is refused before anything changes.
Membership events (Billing, a join's Checkout Session, a refund of an invoice's payment) go to
`paidpdf.memberships` (`lifecycle.handle_event`, `invoices.apply_charge_event`), which retrieves what
it needs through `client` (a `stripe.StripeClient`, or a function making one on first use).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from paidpdf.errors import PaymentMismatch
from paidpdf.sales import fulfilment, orders, refunds
from paidpdf.sales.stripe_gateway import as_dict
from paidpdf.store import DataStore

SESSION_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
CHARGE_EVENTS = (
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "charge.refund.updated",
    "charge.dispute.created",
    "charge.dispute.closed",
)


def handle_event(
    store: DataStore, event: Any, *, livemode: bool, client: Any | Callable[[], Any] = None
) -> orders.Outcome:
    """Apply one verified event, once: its id is recorded in the same unit as its effect.

    An event from the other mode than the secret key's (a live event on a test shop, or the reverse)
    or for a connected account (`account` is set; this shop is no Connect platform) is refused with
    `PaymentMismatch` before anything changes, and its id is not recorded."""
    data = as_dict(event)
    event_id = str(data["id"])
    kind = str(data["type"])
    check_event_origin(data, livemode=livemode)
    obj = dict(data["data"]["object"])
    from paidpdf.memberships import invoices, lifecycle

    if lifecycle.handles(kind, obj):
        made = client() if callable(client) else client
        if made is None:
            from paidpdf.errors import PaymentsNotConfigured

            raise PaymentsNotConfigured("membership events need STRIPE_SECRET_KEY to retrieve subscriptions")
        change = lifecycle.handle_event(store, made, data, livemode=livemode)
        return orders.Outcome(change.action, None, change.detail)
    if kind in CHARGE_EVENTS and invoices.for_payment_intent(
        store.view(orders.SALES), invoices.payment_intent_of(obj)
    ) is not None:
        found = invoices.apply_charge_event(store, event_id, kind, obj)
        return orders.Outcome(kind if found is not None else "duplicate", None, "membership invoice")
    if kind in SESSION_EVENTS:
        return fulfilment.fulfil(store, obj, livemode=livemode, source="webhook", event_id=event_id)
    if kind == "checkout.session.async_payment_failed":
        return fulfilment.fail(store, obj, event_id=event_id)
    if kind == "checkout.session.expired":
        return fulfilment.expire(store, obj, event_id=event_id)
    if kind in CHARGE_EVENTS:
        return refunds.apply_charge_event(store, event_id, kind, obj)
    fresh = orders.record_other_event(store, event_id, kind)
    return orders.Outcome("ignored" if fresh else "duplicate", None, f"event type {kind} is not handled")


def check_event_origin(event: Mapping[str, Any], *, livemode: bool) -> None:
    """`PaymentMismatch` unless the event belongs to this shop's own Stripe account and mode."""
    mode = event.get("livemode")
    if not isinstance(mode, bool) or mode != livemode:
        shop = "live" if livemode else "test"
        raise PaymentMismatch(f"event {event.get('id')} is not from {shop} mode (livemode={mode!r}); refused")
    if event.get("account"):
        raise PaymentMismatch(
            f"event {event.get('id')} is for the connected account {str(event['account'])[:64]!r}; "
            "this shop is not a Connect platform; refused"
        )
