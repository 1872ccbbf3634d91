"""The admin's refund (`paidpdf orders refund`): refunded at Stripe, access revoked at once.

The refund's webhook, arriving later, finds the refund already applied and changes nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paidpdf.sales import orders, refunds
from paidpdf.sales.stripe_gateway import as_dict, provider_errors
from paidpdf.store import DataStore, Doc

if TYPE_CHECKING:  # stripe (and its HTTP libraries, ~30 MB) loads with the first payment call
    import stripe


def refund(store: DataStore, client: stripe.StripeClient, order_id: str) -> Doc:
    """Refund a paid order in full at Stripe and revoke exactly that purchase right away."""
    order = orders.refundable(store.view(orders.SALES), order_id)
    with provider_errors():
        created = client.v1.refunds.create(
            params={"payment_intent": order["stripe_payment_intent"], "metadata": {"order_id": order_id}},
            options={"idempotency_key": f"paidpdf-refund-{order_id}"},
        )
    return refunds.record_refund(store, order_id, as_dict(created))
