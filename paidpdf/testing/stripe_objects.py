"""Stripe objects as Stripe sends them, for tests and benches that feed the shop without a stand-in."""

from __future__ import annotations

from typing import Any

from paidpdf.store import Doc


def session_for(order: Doc, **changes: Any) -> dict[str, Any]:
    """A completed, paid Checkout Session for `order`, as Stripe would send it."""
    session: dict[str, Any] = {
        "id": order.get("stripe_session_id") or "cs_test_" + order["id"][4:],
        "object": "checkout.session",
        "mode": "payment",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": order["amount"],
        "currency": order["currency"],
        "client_reference_id": order["id"],
        "metadata": {"order_id": order["id"]},
        "livemode": False,
        "payment_intent": "pi_" + order["id"][4:],
    }
    session.update(changes)
    return session
