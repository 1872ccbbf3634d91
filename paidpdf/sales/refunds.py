"""Refunds and disputes: Stripe's charge events applied to the order they belong to.

A full refund revokes exactly the purchase it refunds and a partial one keeps access; a dispute
revokes access until it is won (an opening that arrives after its won close takes nothing: closes are
kept on the order by dispute id, `closed_disputes`). Events are found through the PaymentIntent (or
`metadata.order_id`); one that arrives before any order knows its PaymentIntent (events out of order)
is parked in the `deferred` table and applied by `fulfilment.fulfil` in the unit that records the
payment. An event in another currency than its order is never applied: the order is flagged for the
admin.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from paidpdf.clock import now_iso
from paidpdf.sales.orders import (
    DEFERRED,
    EVENTS,
    FULFILLABLE,
    ORDERS,
    SALES,
    Outcome,
    find_by_payment_intent,
    get,
    record_event,
    save,
    with_event,
)
from paidpdf.sales.purchases import grant_purchase, revoke_purchase
from paidpdf.sales.tax_amounts import charged
from paidpdf.store import DataStore, Doc, Unit, View

log = logging.getLogger("paidpdf.orders")


def apply_charge_event(
    store: DataStore, event_id: str, event_type: str, obj: Mapping[str, Any], *, source: str = "webhook"
) -> Outcome:
    """A refund or dispute event (its object is a Charge, Refund or Dispute) applied to its order.

    Found through the PaymentIntent (or `metadata.order_id`); when no order knows that PaymentIntent
    yet, the event is parked and `fulfil` applies it as soon as the payment is recorded.
    """
    with store.unit(SALES) as unit:
        if unit.get(EVENTS, event_id) is not None:
            return Outcome("duplicate", None, "event already processed")
        payment_intent = payment_intent_of(obj)
        order = _order_for_charge(unit, obj, payment_intent)
        if order is None or (order["status"] in FULFILLABLE and not order.get("stripe_payment_intent")):
            if not payment_intent:
                outcome = Outcome("ignored", None, "event names no payment of this shop")
            else:
                parked = unit.get(DEFERRED, payment_intent) or {"id": payment_intent, "events": []}
                item = {"id": event_id, "type": event_type, "object": dict(obj), "received_at": now_iso()}
                unit.put(DEFERRED, {**parked, "events": [*parked["events"], item]})
                outcome = Outcome(
                    "deferred", order, f"waiting for the payment {payment_intent} to be recorded"
                )
        else:
            order = apply_charge_effect(unit, order, event_type, obj, with_event(source, event_id))
            outcome = Outcome(event_type, order, "")
        record_event(unit, event_id, event_type, outcome)
        return outcome


def record_refund(
    store: DataStore, order_id: str, refund: Mapping[str, Any], *, source: str = "admin"
) -> Doc:
    """Apply a refund the admin just created (its webhook, arriving later, changes nothing more)."""
    with store.unit(SALES) as unit:
        return apply_charge_effect(unit, get(unit, order_id), "refund.created", refund, source)


def apply_charge_effect(unit: Unit, order: Doc, event_type: str, obj: Mapping[str, Any], source: str) -> Doc:
    currency = obj.get("currency")
    if isinstance(currency, str) and currency.lower() != order["currency"]:
        why = (
            f"{event_type} {obj.get('id')} is in {currency.lower()[:8]} but the order is in "
            f"{order['currency']}: not applied, check it in Stripe"
        )
        log.warning("order %s flagged: %s", order["id"], why)
        return save(unit, order, "flagged", why, source, flag=why)
    if event_type == "charge.refunded" or event_type.startswith("refund."):
        return _apply_refund(unit, order, event_type, obj, source)
    closed: dict[str, str] = dict(order.get("closed_disputes") or {})
    dispute_id = str(obj.get("id") or "")
    if event_type == "charge.dispute.created":
        if order["status"] in ("disputed",) or closed.get(dispute_id) == "won":  # won: its close came first
            return order
        order = save(
            unit,
            order,
            "disputed",
            f"dispute {obj.get('id')} opened",
            source,
            status="disputed",
            status_before_dispute=order["status"],
        )
        revoke_purchase(unit, order, "disputed")
        return order
    if event_type == "charge.dispute.closed":
        outcome = str(obj.get("status") or "")
        closed[dispute_id] = outcome  # kept by id, so an opening that arrives later knows it is over
        if outcome == "won" and order["status"] == "disputed":
            back = order.get("status_before_dispute") or "paid"
            order = save(
                unit,
                order,
                "dispute_won",
                f"dispute {obj.get('id')} won: access restored",
                source,
                status=back,
                closed_disputes=closed,
            )
            if back == "paid":
                grant_purchase(unit, order)
            return order
        why = f"dispute {obj.get('id')} closed: {outcome or 'unknown'}"
        return save(unit, order, "dispute_closed", why, source, closed_disputes=closed)
    return save(unit, order, "event", f"{event_type} noted", source)


def _apply_refund(unit: Unit, order: Doc, event_type: str, obj: Mapping[str, Any], source: str) -> Doc:
    """Track refunded money; a full refund revokes exactly this purchase, a partial one keeps access."""
    refunds: dict[str, int] = dict(order.get("refunds") or {})
    charge_total = int(order.get("charge_refunded") or 0)
    if event_type == "charge.refunded":
        charge_total = max(charge_total, whole_amount(obj.get("amount_refunded")))
        if obj.get("refunded") is True:
            charge_total = max(charge_total, charged(order))
    else:
        refund_id = str(obj.get("id") or "refund")
        if obj.get("status") in ("failed", "canceled"):
            refunds.pop(refund_id, None)
        else:
            refunds[refund_id] = whole_amount(obj.get("amount"))
    total = max(charge_total, sum(refunds.values()))
    if total == int(order.get("refunded_amount") or 0) and refunds == (order.get("refunds") or {}):
        return order
    full = total >= charged(order)  # with tax added on top, the charge is more than the price
    changes: dict[str, Any] = {
        "refunds": refunds, "charge_refunded": charge_total, "refunded_amount": total,
        # when the refunded total reached what: a tax report counts each period's own refunds
        "refund_steps": [*(order.get("refund_steps") or []), [now_iso(), total]],
    }
    if full and order["status"] in ("paid", "disputed", "flagged"):
        changes["status"] = "refunded"
    what = (
        "full refund: access revoked"
        if full
        else f"partial refund ({total} of {charged(order)}): access kept"
    )
    order = save(unit, order, "refund", what, source, **changes)
    if full:
        revoke_purchase(unit, order, "refunded")
    return order


def _order_for_charge(view: View, obj: Mapping[str, Any], payment_intent: str | None) -> Doc | None:
    if payment_intent:
        found = find_by_payment_intent(view, payment_intent)
        if found is not None:
            return found
    metadata = obj.get("metadata") or {}
    order_id = metadata.get("order_id") if isinstance(metadata, Mapping) else None
    if isinstance(order_id, str) and order_id.startswith("ord_"):
        return view.get(ORDERS, order_id)
    return None


def payment_intent_of(obj: Mapping[str, Any]) -> str | None:
    """The payment intent id a charge, refund or dispute object names (an id or an expanded object)."""
    value = obj.get("payment_intent")
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def whole_amount(value: Any) -> int:
    """An amount Stripe sent, as an int (0 for anything else: a bool, a float, a missing field)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
