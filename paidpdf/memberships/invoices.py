"""Invoices of memberships: each recorded once by its unique id, and what a refund or dispute of one does.

An invoice document (`invoices` table of `sales`, id = Stripe's `in_…`, or the Checkout Session's id
for a pass's one payment) is written in the unit that syncs its subscription (`lifecycle`), and
rewritten only when Stripe's status for it changes; `paid_at` is set once. A taxed invoice keeps its
tax, tax behaviour, the buyer's country, state and tax ids (`InvoiceFacts`), and a refund its time
(`refunded_at`), for `orders tax-report` (`sales.tax_report.membership_sales`). Refund and dispute events
name a PaymentIntent: when it is an invoice's, the webhook sends them here (`apply_charge_event`)
instead of to orders. A full refund, or a dispute, of the invoice that pays the current period ends
the membership's access (`subscriptions.revoke_invoice`); a won dispute restores it, and an opening
that arrives after its dispute was closed as won (events come in any order) takes nothing away (the
closed disputes are kept on the invoice by id, `closed_disputes`). A charge event
that arrives before its invoice was recorded is parked in the orders' `deferred` table, which
`record` drains in the unit that learns the PaymentIntent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paidpdf.clock import now_iso
from paidpdf.memberships import subscriptions
from paidpdf.memberships.stripe_state import InvoiceFacts
from paidpdf.sales.orders import DEFERRED, EVENTS
from paidpdf.sales.refunds import payment_intent_of, whole_amount
from paidpdf.store import SALES, DataStore, Doc, Unit, View

INVOICES = "invoices"


def for_subscription(view: View, subscription_id: str) -> list[Doc]:
    """The subscription's invoices, oldest first."""
    rows = view.find(INVOICES, "subscription_id", subscription_id)
    return sorted(rows, key=lambda i: (i.get("created") or "", i["id"]))


def for_payment_intent(view: View, payment_intent: str | None) -> Doc | None:
    if not payment_intent:
        return None
    rows = view.find(INVOICES, "payment_intent", payment_intent)
    return rows[0] if rows else None


def record(unit: Unit, facts: InvoiceFacts, sub: Doc, source: str) -> Doc:
    """Write the invoice once (an unchanged one again writes nothing); parked charge events of its
    payment are applied now."""
    current = unit.get(INVOICES, facts.id)
    doc: Doc = {
        **(current or {"id": facts.id, "recorded_at": now_iso(), "refunded_amount": 0, "refunds": {}}),
        "subscription_id": sub["id"],
        "user_id": sub["user_id"],
        "status": facts.status,
        "amount_paid": facts.amount_paid,
        "amount_due": facts.amount_due,
        "currency": facts.currency,
        "period_start": facts.period_start,
        "period_end": facts.period_end,
        "payment_intent": facts.payment_intent or (current or {}).get("payment_intent"),
        "billing_reason": facts.billing_reason,
        "created": facts.created or (current or {}).get("created"),
        "paid_at": (current or {}).get("paid_at") or (facts.paid_at if facts.status == "paid" else None),
        "source": (current or {}).get("source") or source,
        "tax": facts.tax,
        "tax_behavior": facts.tax_behavior,
        "buyer_country": facts.buyer_country,
        "buyer_state": facts.buyer_state,
        "tax_ids": [{"type": kind, "value": value} for kind, value in facts.tax_ids],
    }
    if current == doc:
        return current
    doc = unit.put(INVOICES, doc)
    pi = doc.get("payment_intent")
    parked = unit.get(DEFERRED, str(pi)) if pi else None
    if parked is not None:
        unit.delete(DEFERRED, parked["id"])
        for item in parked["events"]:
            doc = _apply(unit, doc, item["type"], item["object"], f"deferred {item['id']}")
    return doc


def apply_charge_event(
    store: DataStore, event_id: str, event_type: str, obj: Mapping[str, Any]
) -> Doc | None:
    """A refund or dispute event whose PaymentIntent is a membership invoice's, applied once."""
    with store.unit(SALES) as unit:
        if unit.get(EVENTS, event_id) is not None:
            return None
        invoice = for_payment_intent(unit, payment_intent_of(obj))
        if invoice is not None:
            invoice = _apply(unit, invoice, event_type, obj, f"webhook {event_id}")
        unit.put(EVENTS, {
            "id": event_id, "type": event_type, "order_id": None,
            "subscription_id": (invoice or {}).get("subscription_id"), "outcome": event_type,
            "processed_at": now_iso(),
        })
        return invoice


def record_refund(store: DataStore, invoice_id: str, refund: Mapping[str, Any], source: str) -> Doc:
    """Apply a refund the admin just made (`subscriptions cancel --refund-last`); its webhook, later,
    changes nothing more (refunds are kept by id)."""
    with store.unit(SALES) as unit:
        invoice = unit.require(INVOICES, invoice_id, "invoice")
        return _apply(unit, invoice, "refund.created", refund, source)


def _apply(unit: Unit, invoice: Doc, event_type: str, obj: Mapping[str, Any], source: str) -> Doc:
    sub = unit.get(subscriptions.SUBSCRIPTIONS, invoice["subscription_id"])
    if event_type in ("charge.refunded", "charge.refund.updated") or event_type.startswith("refund."):
        refunds: dict[str, int] = dict(invoice.get("refunds") or {})
        total = int(invoice.get("refunded_amount") or 0)
        if event_type == "charge.refunded":
            total = max(total, whole_amount(obj.get("amount_refunded")))
            if obj.get("refunded") is True:
                total = max(total, int(invoice.get("amount_paid") or 0))
        else:
            refund_id = str(obj.get("id") or "refund")
            if obj.get("status") in ("failed", "canceled"):
                refunds.pop(refund_id, None)
            else:
                refunds[refund_id] = whole_amount(obj.get("amount"))
        total = max(total, sum(refunds.values()))
        if total == int(invoice.get("refunded_amount") or 0) and refunds == (invoice.get("refunds") or {}):
            return invoice
        full = total >= int(invoice.get("amount_paid") or 0) > 0
        changes = {"refunds": refunds, "refunded_amount": total, "refunded": full, "refunded_at": now_iso()}
        invoice = unit.put(INVOICES, {**invoice, **changes})
        if full and sub is not None:
            subscriptions.revoke_invoice(unit, sub, invoice["id"], "refunded", source)
        return invoice
    closed: dict[str, str] = dict(invoice.get("closed_disputes") or {})
    dispute_id = str(obj.get("id") or "")
    if event_type == "charge.dispute.created":
        if closed.get(dispute_id) == "won":  # its close came first (events arrive in any order)
            return invoice
        invoice = unit.put(INVOICES, {**invoice, "disputed": True})
        if sub is not None:
            subscriptions.revoke_invoice(unit, sub, invoice["id"], "disputed", source)
        return invoice
    if event_type == "charge.dispute.closed":
        won = obj.get("status") == "won"
        closed[dispute_id] = str(obj.get("status") or "")
        changes = {"disputed": not won, "dispute_status": obj.get("status"), "closed_disputes": closed}
        invoice = unit.put(INVOICES, {**invoice, **changes})
        if won and sub is not None and not invoice.get("refunded"):
            subscriptions.restore_invoice(unit, sub, invoice["id"], source)
        return invoice
    return invoice
