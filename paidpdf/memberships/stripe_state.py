"""What a Stripe Subscription or Invoice says, read into plain typed facts (pure; no API calls).

Why apart: Stripe moved fields between API versions (`current_period_end` went from the subscription
to its items; an invoice names its subscription under `parent.subscription_details` and its payment
under `payments`), and the shop must read both shapes the same way. Everything else in
`paidpdf.memberships` works on these facts, never on raw Stripe objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from paidpdf.clock import iso


def stamp(value: Any) -> str | None:
    """A Unix time from Stripe as our ISO text (None for null or nonsense)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return iso(datetime.fromtimestamp(value, UTC))


def _id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription's current state as Stripe reported it."""

    id: str
    customer: str | None
    status: str
    period_start: str | None
    period_end: str | None
    cancel_at_period_end: bool
    canceled_at: str | None
    ended_at: str | None
    trial_end: str | None
    latest_invoice: str | None
    amount: int
    currency: str
    interval: str | None
    livemode: bool
    metadata: dict[str, str]


def subscription_state(sub: Mapping[str, Any]) -> SubscriptionState:
    items = ((sub.get("items") or {}).get("data") or []) if isinstance(sub.get("items"), Mapping) else []
    first: Mapping[str, Any] = items[0] if items and isinstance(items[0], Mapping) else {}
    price = first.get("price") if isinstance(first.get("price"), Mapping) else {}
    assert isinstance(price, Mapping)
    recurring = price.get("recurring") if isinstance(price.get("recurring"), Mapping) else {}
    assert isinstance(recurring, Mapping)
    starts = [_int(i.get("current_period_start")) for i in items if isinstance(i, Mapping)]
    ends = [_int(i.get("current_period_end")) for i in items if isinstance(i, Mapping)]
    start = max(starts, default=0) or _int(sub.get("current_period_start"))
    end = max(ends, default=0) or _int(sub.get("current_period_end"))
    metadata = sub.get("metadata") if isinstance(sub.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    return SubscriptionState(
        id=str(sub["id"]),
        customer=_id(sub.get("customer")),
        status=str(sub.get("status") or ""),
        period_start=stamp(start),
        period_end=stamp(end),
        cancel_at_period_end=bool(sub.get("cancel_at_period_end")),
        canceled_at=stamp(sub.get("canceled_at")),
        ended_at=stamp(sub.get("ended_at")),
        trial_end=stamp(sub.get("trial_end")),
        latest_invoice=_id(sub.get("latest_invoice")),
        amount=_int(price.get("unit_amount")) * max(1, _int(first.get("quantity")) or 1),
        currency=str(price.get("currency") or sub.get("currency") or "").lower(),
        interval=str(recurring.get("interval")) if recurring.get("interval") else None,
        livemode=bool(sub.get("livemode")),
        metadata={str(k): str(v) for k, v in metadata.items()},
    )


@dataclass(frozen=True)
class InvoiceFacts:
    """One invoice as Stripe reported it."""

    id: str
    subscription_id: str | None
    customer: str | None
    status: str
    amount_paid: int
    amount_due: int
    currency: str
    period_start: str | None
    period_end: str | None
    payment_intent: str | None
    billing_reason: str | None
    paid_at: str | None
    created: str | None
    #: Stripe Tax on the invoice (`automatic_tax.enabled`): the tax (sum of `total_taxes`), its
    #: behaviour, and the buyer's place and tax ids the tax is due for (`customer_address`).
    tax: int = 0
    tax_behavior: str | None = None
    buyer_country: str | None = None
    buyer_state: str | None = None
    tax_ids: tuple[tuple[str, str], ...] = ()


def invoice_subscription(inv: Mapping[str, Any]) -> str | None:
    parent = inv.get("parent")
    if isinstance(parent, Mapping):
        details = parent.get("subscription_details")
        if isinstance(details, Mapping) and _id(details.get("subscription")):
            return _id(details.get("subscription"))
    return _id(inv.get("subscription"))


def invoice_payment_intent(inv: Mapping[str, Any]) -> str | None:
    payments = inv.get("payments")
    if isinstance(payments, Mapping):
        for row in payments.get("data") or []:
            payment = row.get("payment") if isinstance(row, Mapping) else None
            if isinstance(payment, Mapping) and _id(payment.get("payment_intent")):
                return _id(payment.get("payment_intent"))
    return _id(inv.get("payment_intent"))


def invoice_facts(inv: Mapping[str, Any]) -> InvoiceFacts:
    transitions = inv.get("status_transitions") if isinstance(inv.get("status_transitions"), Mapping) else {}
    assert isinstance(transitions, Mapping)
    lines = (inv.get("lines") or {}).get("data") if isinstance(inv.get("lines"), Mapping) else None
    period = lines[0].get("period") if lines and isinstance(lines[0], Mapping) else None
    start = _int(period.get("start")) if isinstance(period, Mapping) else _int(inv.get("period_start"))
    end = _int(period.get("end")) if isinstance(period, Mapping) else _int(inv.get("period_end"))
    return InvoiceFacts(
        id=str(inv["id"]),
        subscription_id=invoice_subscription(inv),
        customer=_id(inv.get("customer")),
        status=str(inv.get("status") or ""),
        amount_paid=_int(inv.get("amount_paid")),
        amount_due=_int(inv.get("amount_due")),
        currency=str(inv.get("currency") or "").lower(),
        period_start=stamp(start),
        period_end=stamp(end),
        payment_intent=invoice_payment_intent(inv),
        billing_reason=str(inv.get("billing_reason")) if inv.get("billing_reason") else None,
        paid_at=stamp(transitions.get("paid_at")),
        created=stamp(inv.get("created")),
        **_tax_facts(inv),
    )


def _tax_facts(inv: Mapping[str, Any]) -> dict[str, Any]:
    """The tax part of `InvoiceFacts`: nothing unless Stripe Tax taxed the invoice."""
    automatic = inv.get("automatic_tax")
    if not isinstance(automatic, Mapping) or automatic.get("enabled") is not True:
        return {}
    taxes = [t for t in inv.get("total_taxes") or [] if isinstance(t, Mapping)]
    behavior = next((str(t.get("tax_behavior")) for t in taxes if t.get("tax_behavior")), "exclusive")
    address = inv.get("customer_address")
    address = address if isinstance(address, Mapping) else {}
    country, state = address.get("country"), address.get("state")
    ids = [t for t in inv.get("customer_tax_ids") or [] if isinstance(t, Mapping)]
    return {
        "tax": sum(_int(t.get("amount")) for t in taxes),
        "tax_behavior": "inclusive" if behavior == "inclusive" else "exclusive",
        "buyer_country": country.upper()[:2] if isinstance(country, str) and country else None,
        "buyer_state": state.upper()[:3] if isinstance(state, str) and state else None,
        "tax_ids": tuple((str(t.get("type") or "")[:16], str(t.get("value") or "")[:64]) for t in ids[:5]),
    }
