"""The admin's cancel (`paidpdf subscriptions cancel`): at Stripe first, then applied at once.

`--at-period-end` (the default) lets the member keep what they paid for until the period ends; `--now`
ends the subscription at once. `--refund-last` also refunds the latest paid invoice in full (one
idempotency key per invoice, so asking twice refunds once) and records the refund on the invoice in
the same step, which ends access at once; the refund's webhook, arriving later, changes nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paidpdf.errors import Conflict
from paidpdf.memberships import invoices, lifecycle
from paidpdf.memberships.billing_gateway import cancel_subscription, refund_payment
from paidpdf.memberships.subscriptions import Change, get
from paidpdf.store import SALES, DataStore, Doc

if TYPE_CHECKING:  # stripe (and its HTTP libraries, ~30 MB) loads with the first payment call
    import stripe


def cancel(
    store: DataStore,
    client: stripe.StripeClient,
    subscription_id: str,
    *,
    now: bool = False,
    refund_last: bool = False,
) -> Change:
    """Cancel a member's subscription (see the module docstring); the stored state is Stripe's after."""
    sub = get(store.view(SALES), subscription_id)
    if sub.get("kind") == "pass":
        if not refund_last:
            raise Conflict(f"{subscription_id} is a pass: it never renews (refund it with --refund-last)")
    elif sub.get("status") in ("canceled", "incomplete_expired"):
        if not refund_last:
            raise Conflict(f"subscription {subscription_id} is already canceled")
    else:
        cancel_subscription(client, subscription_id, now=now or refund_last)
    if refund_last:
        refund_latest(store, client, sub)
    if sub.get("kind") == "pass":
        return Change("refunded", get(store.view(SALES), subscription_id), "pass refunded")
    return lifecycle.sync_subscription(store, client, subscription_id, source="admin cancel")


def refund_latest(store: DataStore, client: stripe.StripeClient, sub: Doc) -> Doc:
    """Refund the latest paid invoice of `sub` in full and record it (once) on the invoice."""
    paid = [
        i for i in invoices.for_subscription(store.view(SALES), sub["id"])
        if i.get("paid_at") and int(i.get("amount_paid") or 0) > 0 and i.get("payment_intent")
    ]
    if not paid:
        raise Conflict(f"{sub['id']} has no paid invoice to refund")
    last = max(paid, key=lambda i: (i.get("paid_at") or "", i.get("period_end") or ""))
    if last.get("refunded"):
        return last
    refund = refund_payment(
        client, str(last["payment_intent"]), idempotency_key=f"paidpdf-refund-{last['id']}",
        metadata={"invoice_id": last["id"], "subscription_id": sub["id"]},
    )
    return invoices.record_refund(store, last["id"], refund, "admin")
