"""Invoices as the stand-in sends them (stripe-python 16's `Invoice`, `InvoiceLineItem`,
`InvoicePayment`): the subscription is named under `parent.subscription_details.subscription`, each
line under `parent.subscription_item_details`, and the PaymentIntent under the invoice payment's
`payment.payment_intent`. Unmodelled fields are present with Stripe's neutral value, as in `objects`.
"""

from __future__ import annotations

from typing import Any

from paidpdf.stripe_local.objects import new_id

Obj = dict[str, Any]


def invoice(
    sub: Obj,
    cust: Obj,
    reason: str,
    period: tuple[int, int],
    created: int,
    number: str,
    names: dict[str, str],
) -> Obj:
    """A draft invoice of `sub` (`names`: product name per subscription item id). As on Stripe, the
    invoice's own `period` is the one that just ended (both ends at the start for the first invoice)
    and each line's `period` is the service period it pays for (the item's current period)."""
    start, end = period
    inv_id = new_id("in_")
    lines = []
    for item in sub["items"]["data"]:
        amount = item["price"]["unit_amount"] * item["quantity"]
        lines.append(
            {
                "id": new_id("il_"),
                "object": "line_item",
                "amount": amount,
                "currency": sub["currency"],
                "description": f"{item['quantity']} × {names.get(item['id'], 'Subscription')}",
                "discount_amounts": [],
                "discountable": True,
                "discounts": [],
                "invoice": inv_id,
                "livemode": False,
                "metadata": {},
                "parent": {
                    "invoice_item_details": None,
                    "subscription_item_details": {
                        "invoice_item": None,
                        "proration": False,
                        "proration_details": {"credited_items": None},
                        "subscription": sub["id"],
                        "subscription_item": item["id"],
                    },
                    "type": "subscription_item_details",
                },
                "period": {"end": item["current_period_end"], "start": item["current_period_start"]},
                "pretax_credit_amounts": [],
                "pricing": {
                    "price_details": {"price": item["price"]["id"], "product": item["price"]["product"]},
                    "type": "price_details",
                    "unit_amount_decimal": item["price"]["unit_amount_decimal"],
                },
                "quantity": item["quantity"],
                "subtotal": amount,
                "taxes": [],
            }
        )
    if sub["status"] == "trialing" and reason == "subscription_create":
        for line in lines:  # the trial's first invoice is for nothing, as on Stripe
            line.update(amount=0, subtotal=0, description=f"Trial period for {line['description']}")
    total = sum(line["amount"] for line in lines)
    return {
        "id": inv_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "paidpdf (local stand-in)",
        "account_tax_ids": None,
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": total,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": reason,
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": created,
        "currency": sub["currency"],
        "custom_fields": None,
        "customer": cust["id"],
        "customer_address": None,
        "customer_email": cust["email"],
        "customer_name": cust["name"],
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{inv_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": number,
        "on_behalf_of": None,
        "parent": {
            "quote_details": None,
            "subscription_details": {"metadata": dict(sub["metadata"]), "subscription": sub["id"]},
            "type": "subscription_details",
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": end,
        "period_start": start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": cust["test_clock"],
        "threshold_reason": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }


def invoice_payment(inv: Obj, intent: Obj | None, created: int) -> Obj:
    return {
        "id": new_id("inpay_"),
        "object": "invoice_payment",
        "amount_paid": None,
        "amount_requested": inv["amount_due"],
        "created": created,
        "currency": inv["currency"],
        "invoice": inv["id"],
        "is_default": True,
        "livemode": False,
        "payment": {
            "charge": None,
            "payment_intent": intent["id"] if intent else None,
            "type": "payment_intent",
        },
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
