"""The money of a paid order as Stripe computed it: subtotal, discount, tax and total, the buyer's
country and tax ids, and the share of the tax a refund gives back.

Why its own module: fulfilment records these facts from the completed Checkout Session, refunds and
the tax report read them, and all three must agree on one rule for each: amounts are integer minor
units straight from Stripe, never recomputed from rates (Stripe's tax is the tax the buyer paid).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Tax ids kept per order (Stripe allows a few per customer; more is not a real checkout).
MAX_TAX_IDS = 5


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def charged(order: Mapping[str, Any]) -> int:
    """What the buyer was charged: the session's `amount_total` once paid (price plus any tax added
    on top), else the order's own amount."""
    total = order.get("total")
    return total if isinstance(total, int) and not isinstance(total, bool) else int(order["amount"])


def expected_tax(order: Mapping[str, Any], session: Mapping[str, Any]) -> int:
    """The part of `amount_total` beyond the order's price: the tax Stripe added on top for an
    exclusive price, 0 otherwise (an inclusive price already holds its tax)."""
    if order.get("tax_behavior") != "exclusive":
        return 0
    details = session.get("total_details")
    return _int(details.get("amount_tax")) if isinstance(details, Mapping) else 0


def session_facts(session: Mapping[str, Any]) -> dict[str, Any]:
    """What a completed session says about the sale, as the order keeps it."""
    details = session.get("total_details")
    details = details if isinstance(details, Mapping) else {}
    customer = session.get("customer_details")
    customer = customer if isinstance(customer, Mapping) else {}
    address = customer.get("address")
    country = address.get("country") if isinstance(address, Mapping) else None
    state = address.get("state") if isinstance(address, Mapping) else None
    tax_ids = []
    for entry in customer.get("tax_ids") or []:
        if isinstance(entry, Mapping) and isinstance(entry.get("value"), str):
            tax_ids.append({"type": str(entry.get("type") or "")[:16], "value": entry["value"][:64]})
    invoice = session.get("invoice")
    if isinstance(invoice, Mapping):
        invoice = invoice.get("id")
    return {
        "subtotal": _int(session.get("amount_subtotal")),
        "discount": _int(details.get("amount_discount")),
        "tax": _int(details.get("amount_tax")),
        "total": _int(session.get("amount_total")),
        "buyer_country": country.upper()[:2] if isinstance(country, str) and country else None,
        "buyer_state": state.upper()[:3] if isinstance(state, str) and state else None,
        "tax_ids": tax_ids[:MAX_TAX_IDS],
        "invoice": invoice if isinstance(invoice, str) and invoice.startswith("in_") else None,
    }


def refunded_tax(tax: int, total: int, refunded: int) -> int:
    """The tax a refund of `refunded` (of a charge of `total` holding `tax`) gives back: its share
    in proportion, rounded down, so a full refund gives back exactly the tax collected and partial
    refunds together never more (docs/tax.md)."""
    if total <= 0 or tax <= 0 or refunded <= 0:
        return 0
    return tax * min(refunded, total) // total


def receipt_figures(order: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a receipt shows about tax (mail and page), or None for an order sold with tax off."""
    if not order.get("tax_behavior") or order.get("total") is None:
        return None
    total = charged(order)
    tax = int(order.get("tax") or 0)
    return {
        "net": total - tax,
        "discount": int(order.get("discount") or 0),
        "tax": tax,
        "total": total,
        "currency": str(order["currency"]),
        "country": order.get("buyer_country"),
        "tax_ids": [str(t.get("value")) for t in order.get("tax_ids") or []],
        "invoice": bool(order.get("invoice")),
    }
