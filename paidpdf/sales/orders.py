"""Orders and the one function that grants a purchase.

Why it looks like this: Stripe may tell us a checkout was paid several times and in any order (the
webhook, retries of it, the buyer's success page, `orders reconcile`), even at the same instant. Every
one of those paths ends in `fulfil`, which re-checks the Checkout Session against the order we stored
and then, in ONE locked unit of `sales.json`, marks the order paid and adds the library entry. The lock
serialises concurrent callers; the order status makes repeats no-ops, so a paid checkout ends in the
buyer's library exactly once.

Stripe events are recorded in the `events` table in the same unit as their effect, so an event id is
either fully processed or not at all (a crash in between leaves nothing to undo). Refund and dispute
events point at the PaymentIntent; when one arrives before the order knows its PaymentIntent (events
out of order) it is parked in the `deferred` table under that PaymentIntent and applied by `fulfil`
in the same unit that learns it.

This module works on plain dicts (Stripe objects turned into dicts by `paidpdf.sales.payments`) and never
imports stripe. Amounts are integer minor units.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from paidpdf.accounts import users
from paidpdf.clock import iso, new_id, now, now_iso, parse_iso
from paidpdf.errors import Conflict, InvalidInput
from paidpdf.ownership import library
from paidpdf.store import Doc, Store, Unit, View

log = logging.getLogger("paidpdf.orders")

SALES = "sales"
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


# -- reading --------------------------------------------------------------------------------------


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


def list_orders(
    view: View,
    *,
    status: str | None = None,
    user_id: str | None = None,
    content_id: str | None = None,
    since: str | None = None,
) -> list[Doc]:
    """Orders matching every given filter, oldest first. `since` is an ISO timestamp (inclusive)."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown order status {status!r}: use one of {', '.join(STATUSES)}")
    if user_id is not None:
        rows = view.find(ORDERS, "user_id", user_id)
    elif content_id is not None:
        rows = view.find(ORDERS, "content_id", content_id)
    elif status is not None:
        rows = view.find(ORDERS, "status", status)
    else:
        rows = view.all(ORDERS)
    rows = [
        r
        for r in rows
        if (status is None or r["status"] == status)
        and (user_id is None or r["user_id"] == user_id)
        and (content_id is None or r["content_id"] == content_id)
        and (since is None or r["created_at"] >= since)
    ]
    return sorted(rows, key=lambda r: (r["created_at"], r["id"]))


def search(
    store: Store,
    *,
    status: str | None = None,
    buyer: str | None = None,
    content_id: str | None = None,
    since: datetime | None = None,
) -> list[Doc]:
    """`orders list`: filters as an admin types them; `buyer` is an email (matched to the account, and
    to the email the order was placed with, so orders of a since-deleted account still show)."""
    rows = list_orders(
        store.view(SALES), status=status, content_id=content_id, since=iso(since) if since else None
    )
    if buyer is None:
        return rows
    found = users.find_user(store, buyer)
    email = buyer.strip().lower()
    user_id = found["id"] if found is not None else None
    return [r for r in rows if r["user_id"] == user_id or r.get("buyer") == email]


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
        "history",
    )
    shown = {k: order.get(k) for k in keys}
    shown["refunded_amount"] = int(order.get("refunded_amount") or 0)
    return shown


# -- creating -------------------------------------------------------------------------------------


def create_pending(
    store: Store,
    *,
    user_id: str,
    buyer: str,
    content_id: str,
    amount: int,
    currency: str,
    livemode: bool,
) -> Doc:
    """A pending order for a checkout about to start; a recent identical pending order is reused."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidInput("a paid order needs a positive integer amount")
    cutoff = now() - REUSE_PENDING
    with store.unit(SALES) as unit:
        for existing in unit.find(ORDERS, "user_id", user_id):
            if (
                existing["status"] == "pending"
                and existing["content_id"] == content_id
                and existing["amount"] == amount
                and existing["currency"] == currency
                and existing.get("livemode") == livemode
                and parse_iso(existing["created_at"]) >= cutoff
            ):
                return existing
        stamp = now_iso()
        order: Doc = {
            "id": new_id("ord"),
            "status": "pending",
            "content_id": content_id,
            "user_id": user_id,
            "buyer": buyer,
            "amount": amount,
            "currency": currency,
            "livemode": livemode,
            "stripe_session_id": None,
            "stripe_payment_intent": None,
            "created_at": stamp,
            "updated_at": stamp,
            "paid_at": None,
            "refunded_amount": 0,
            "refunds": {},
            "flag_reason": None,
            "history": [_entry("created", f"pending order for {content_id}", "shop")],
        }
        return unit.insert(ORDERS, order)


def attach_session(store: Store, order_id: str, session_id: str) -> Doc:
    """Remember the Checkout Session made for the order (the same one again is a no-op)."""
    with store.unit(SALES) as unit:
        order = get(unit, order_id)
        if order.get("stripe_session_id") == session_id:
            return order
        if order.get("stripe_session_id") and order["status"] != "pending":
            raise Conflict(f"order {order_id} already has session {order['stripe_session_id']}")
        return _save(
            unit, order, "session", f"checkout session {session_id}", "shop", stripe_session_id=session_id
        )


# -- the one fulfil function ---------------------------------------------------------------------


def fulfil(
    store: Store,
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
    with store.unit(SALES) as unit:
        if event_id is not None and unit.get(EVENTS, event_id) is not None:
            return Outcome("duplicate", _order_for_session(unit, session), "event already processed")
        outcome = _fulfil_in(unit, session, livemode=livemode, source=_source(source, event_id))
        if event_id is not None:
            _record_event(unit, event_id, "checkout.session", outcome)
        return outcome


def _fulfil_in(unit: Unit, session: Mapping[str, Any], *, livemode: bool, source: str) -> Outcome:
    order = _order_for_session(unit, session)
    if order is None:
        return Outcome("ignored", None, "session names no order of this shop")
    session_id = str(session.get("id") or "")
    reason = _mismatch(order, session, livemode)
    if reason:
        if order["status"] in FULFILLABLE:
            order = _save(unit, order, "flagged", reason, source, status="flagged", flag_reason=reason)
            return Outcome("flagged", order, reason)
        order = _save(unit, order, "mismatch", reason, source)
        return Outcome("mismatch", order, reason)
    state = session.get("status")
    paid = session.get("payment_status")
    if state == "expired":
        return _close(unit, order, "expired", "checkout session expired", source)
    if state != "complete":
        return Outcome("processing", order, "checkout session still open")
    if paid != "paid":
        if order["status"] == "pending" and not _has(order, "awaiting"):
            order = _save(unit, order, "awaiting", "completed, waiting for a delayed payment", source)
        return Outcome("processing", order, "payment not confirmed yet")
    if order["status"] not in FULFILLABLE:
        return Outcome("already", order, f"order is {order['status']}")
    payment_intent = session.get("payment_intent")
    if isinstance(payment_intent, Mapping):
        payment_intent = payment_intent.get("id")
    order = _save(
        unit,
        order,
        "paid",
        f"paid {order['amount']} {order['currency']}",
        source,
        status="paid",
        paid_at=now_iso(),
        stripe_session_id=session_id,
        stripe_payment_intent=payment_intent,
    )
    library.add(unit, order["user_id"], order["content_id"], "bought", order["id"])
    if payment_intent:
        parked = unit.get(DEFERRED, str(payment_intent))
        if parked is not None:
            unit.delete(DEFERRED, parked["id"])
            for item in parked["events"]:
                order = _apply_charge_effect(
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
    amount = session.get("amount_total")
    currency = str(session.get("currency") or "").lower()
    checks.append(
        (
            amount == order["amount"] and not isinstance(amount, bool),
            f"amount_total {amount!r} differs from the order's {order['amount']}",
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
    store: Store, session: Mapping[str, Any], *, source: str = "webhook", event_id: str | None = None
) -> Outcome:
    """`checkout.session.expired`: the pending order is closed as expired (a paid one is untouched)."""
    return _session_transition(store, session, "expired", "checkout session expired", source, event_id)


def fail(
    store: Store, session: Mapping[str, Any], *, source: str = "webhook", event_id: str | None = None
) -> Outcome:
    """`checkout.session.async_payment_failed`: the delayed payment did not go through."""
    return _session_transition(store, session, "failed", "delayed payment failed", source, event_id)


def _session_transition(
    store: Store, session: Mapping[str, Any], status: str, why: str, source: str, event_id: str | None
) -> Outcome:
    with store.unit(SALES) as unit:
        if event_id is not None and unit.get(EVENTS, event_id) is not None:
            return Outcome("duplicate", _order_for_session(unit, session), "event already processed")
        order = _order_for_session(unit, session)
        if order is None:
            outcome = Outcome("ignored", None, "session names no order of this shop")
        else:
            outcome = _close(unit, order, status, why, _source(source, event_id))
        if event_id is not None:
            _record_event(unit, event_id, f"session.{status}", outcome)
        return outcome


def _close(unit: Unit, order: Doc, status: str, why: str, source: str) -> Outcome:
    if order["status"] not in ("pending", "abandoned") or order["status"] == status:
        return Outcome("unchanged", order, f"order is {order['status']}")
    return Outcome(status, _save(unit, order, status, why, source, status=status), why)


# -- refunds and disputes -------------------------------------------------------------------------


def apply_charge_event(
    store: Store, event_id: str, event_type: str, obj: Mapping[str, Any], *, source: str = "webhook"
) -> Outcome:
    """A refund or dispute event (its object is a Charge, Refund or Dispute) applied to its order.

    Found through the PaymentIntent (or `metadata.order_id`); when no order knows that PaymentIntent
    yet, the event is parked and `fulfil` applies it as soon as the payment is recorded.
    """
    with store.unit(SALES) as unit:
        if unit.get(EVENTS, event_id) is not None:
            return Outcome("duplicate", None, "event already processed")
        payment_intent = _payment_intent_of(obj)
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
            order = _apply_charge_effect(unit, order, event_type, obj, _source(source, event_id))
            outcome = Outcome(event_type, order, "")
        _record_event(unit, event_id, event_type, outcome)
        return outcome


def record_refund(store: Store, order_id: str, refund: Mapping[str, Any], *, source: str = "admin") -> Doc:
    """Apply a refund the admin just created (its webhook, arriving later, changes nothing more)."""
    with store.unit(SALES) as unit:
        return _apply_charge_effect(unit, get(unit, order_id), "refund.created", refund, source)


def _apply_charge_effect(unit: Unit, order: Doc, event_type: str, obj: Mapping[str, Any], source: str) -> Doc:
    currency = obj.get("currency")
    if isinstance(currency, str) and currency.lower() != order["currency"]:
        why = (
            f"{event_type} {obj.get('id')} is in {currency.lower()[:8]} but the order is in "
            f"{order['currency']}: not applied, check it in Stripe"
        )
        log.warning("order %s flagged: %s", order["id"], why)
        return _save(unit, order, "flagged", why, source, flag=why)
    if event_type == "charge.refunded" or event_type.startswith("refund."):
        return _apply_refund(unit, order, event_type, obj, source)
    if event_type == "charge.dispute.created":
        if order["status"] in ("disputed",):
            return order
        order = _save(
            unit,
            order,
            "disputed",
            f"dispute {obj.get('id')} opened",
            source,
            status="disputed",
            status_before_dispute=order["status"],
        )
        library.remove(unit, order["user_id"], order["content_id"], "disputed", order_id=order["id"])
        return order
    if event_type == "charge.dispute.closed":
        outcome = str(obj.get("status") or "")
        if outcome == "won" and order["status"] == "disputed":
            back = order.get("status_before_dispute") or "paid"
            order = _save(
                unit,
                order,
                "dispute_won",
                f"dispute {obj.get('id')} won: access restored",
                source,
                status=back,
            )
            if back == "paid":
                library.add(unit, order["user_id"], order["content_id"], "bought", order["id"])
            return order
        return _save(
            unit, order, "dispute_closed", f"dispute {obj.get('id')} closed: {outcome or 'unknown'}", source
        )
    return _save(unit, order, "event", f"{event_type} noted", source)


def _apply_refund(unit: Unit, order: Doc, event_type: str, obj: Mapping[str, Any], source: str) -> Doc:
    """Track refunded money; a full refund revokes exactly this purchase, a partial one keeps access."""
    refunds: dict[str, int] = dict(order.get("refunds") or {})
    charge_total = int(order.get("charge_refunded") or 0)
    if event_type == "charge.refunded":
        charge_total = max(charge_total, _int(obj.get("amount_refunded")))
        if obj.get("refunded") is True:
            charge_total = max(charge_total, order["amount"])
    else:
        refund_id = str(obj.get("id") or "refund")
        if obj.get("status") in ("failed", "canceled"):
            refunds.pop(refund_id, None)
        else:
            refunds[refund_id] = _int(obj.get("amount"))
    total = max(charge_total, sum(refunds.values()))
    if total == int(order.get("refunded_amount") or 0) and refunds == (order.get("refunds") or {}):
        return order
    full = total >= order["amount"]
    changes: dict[str, Any] = {"refunds": refunds, "charge_refunded": charge_total, "refunded_amount": total}
    if full and order["status"] in ("paid", "disputed", "flagged"):
        changes["status"] = "refunded"
    what = (
        "full refund: access revoked"
        if full
        else f"partial refund ({total} of {order['amount']}): access kept"
    )
    order = _save(unit, order, "refund", what, source, **changes)
    if full:
        library.remove(unit, order["user_id"], order["content_id"], "refunded", order_id=order["id"])
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


def _payment_intent_of(obj: Mapping[str, Any]) -> str | None:
    value = obj.get("payment_intent")
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


# -- events ---------------------------------------------------------------------------------------


def event_seen(view: View, event_id: str) -> bool:
    return view.get(EVENTS, event_id) is not None


def record_other_event(store: Store, event_id: str, event_type: str) -> bool:
    """Note an event type the shop does not act on; False when it had been seen already."""
    with store.unit(SALES) as unit:
        if unit.get(EVENTS, event_id) is not None:
            return False
        _record_event(unit, event_id, event_type, Outcome("ignored", None, "not handled"))
        return True


def _record_event(unit: Unit, event_id: str, event_type: str, outcome: Outcome) -> None:
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


# -- helpers --------------------------------------------------------------------------------------


def _entry(event: str, detail: str, source: str) -> Doc:
    return {"at": now_iso(), "event": event, "detail": detail, "source": source}


def _save(unit: Unit, order: Doc, event: str, detail: str, source: str, **changes: Any) -> Doc:
    """Store a new version of the order with one more history entry (documents are never mutated)."""
    updated = {
        **order,
        **changes,
        "updated_at": now_iso(),
        "history": [*order.get("history", []), _entry(event, detail, source)],
    }
    return unit.put(ORDERS, updated)


def _has(order: Doc, event: str) -> bool:
    return any(h.get("event") == event for h in order.get("history", []))


def _source(source: str, event_id: str | None) -> str:
    return f"{source} {event_id}" if event_id else source


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
