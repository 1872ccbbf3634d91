"""Stripe Billing's objects as the stand-in sends them: customers, payment methods, recurring prices,
subscriptions and their items, invoices, their lines and payments, test clocks and portal sessions.

Shaped by stripe-python 16's typed classes (API 2026-10-28): a subscription's period lives on its items
(`items.data[].current_period_start/end`), an invoice names its subscription under
`parent.subscription_details.subscription` and its payments (PaymentIntent, Charge) under the
`payments` list (`expand[]=payments`, or `GET /v1/invoice_payments?invoice=...`). Unmodelled fields are
present with Stripe's neutral value, as in `objects`.
"""

from __future__ import annotations

from typing import Any

from paidpdf.stripe_local.objects import new_id

Obj = dict[str, Any]

#: Card test tokens: (brand, last4, what happens). `attach_fails`: refused when attached (the decline
#: card); `charge_fails`: attaches fine, every charge fails (Stripe's `pm_card_chargeCustomerFail`).
CARD_TOKENS: dict[str, tuple[str, str, str]] = {
    "pm_card_visa": ("visa", "4242", "ok"),
    "pm_card_mastercard": ("mastercard", "4444", "ok"),
    "pm_card_chargeCustomerFail": ("visa", "0341", "charge_fails"),
    "pm_card_visa_chargeDeclined": ("visa", "0002", "attach_fails"),
    "pm_card_chargeDeclined": ("visa", "0002", "attach_fails"),
}


def customer(values: Obj, created: int) -> Obj:
    return {
        "id": new_id("cus_", 14),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": values.get("description"),
        "discount": None,
        "email": values.get("email"),
        "invoice_prefix": new_id("", 8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": dict(values.get("metadata") or {}),
        "name": values.get("name"),
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": values.get("test_clock"),
    }


def payment_method(token: str, customer_id: str | None, email: str | None, created: int) -> Obj:
    brand, last4, _ = CARD_TOKENS[token]
    return {
        "id": new_id("pm_"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {"address": None, "email": email, "name": None, "phone": None, "tax_id": None},
        "card": {
            "brand": brand,
            "checks": None,
            "country": "US",
            "display_brand": brand,
            "exp_month": 12,
            "exp_year": 2034,
            "fingerprint": new_id("", 16),
            "funding": "credit",
            "generated_from": None,
            "last4": last4,
            "networks": None,
            "regulated_status": "unregulated",
            "three_d_secure_usage": None,
            "wallet": None,
        },
        "created": created,
        "customer": customer_id,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def recurring_price(item: Obj, created: int, product_id: str) -> Obj:
    """A Price built from `price_data` with `recurring` (Checkout makes an inactive one per session)."""
    return {
        "id": new_id("price_"),
        "object": "price",
        "active": False,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": item["currency"],
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product_id,
        "recurring": {
            "interval": item["recurring"]["interval"],
            "interval_count": item["recurring"]["interval_count"],
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        },
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring",
        "unit_amount": item["unit_amount"],
        "unit_amount_decimal": str(item["unit_amount"]),
    }


def subscription(values: Obj, created: int) -> Obj:
    """`values`: customer, currency, status, trial_start/end, metadata, description, test_clock."""
    sub_id = new_id("sub_")
    return {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": values["anchor"],
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic", "updated_at": None},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": created,
        "currency": values["currency"],
        "customer": values["customer"],
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": values.get("description"),
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": dict(values.get("metadata") or {}),
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": created,
        "status": values["status"],
        "test_clock": values.get("test_clock"),
        "transfer_data": None,
        "trial_end": values.get("trial_end"),
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": values.get("trial_start"),
    }


def subscription_item(sub_id: str, price: Obj, product: Obj, quantity: int, start: int, end: int) -> Obj:
    plan = {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": price["recurring"]["interval"],
        "interval_count": price["recurring"]["interval_count"],
        "livemode": False,
        "metadata": {},
        "meter": None,
        "nickname": None,
        "product": product["id"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }
    return {
        "id": new_id("si_", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": start,
        "current_period_end": end,
        "current_period_start": start,
        "discounts": [],
        "metadata": {},
        "plan": plan,
        "price": price,
        "quantity": quantity,
        "subscription": sub_id,
        "tax_rates": [],
    }


def test_clock(frozen_time: int, name: str | None, created: int) -> Obj:
    return {
        "id": new_id("clock_"),
        "object": "test_helpers.test_clock",
        "created": created,
        "deletes_after": created + 30 * 86400,
        "frozen_time": frozen_time,
        "livemode": False,
        "name": name,
        "status": "ready",
        "status_details": {},
    }


def portal_session(
    customer_id: str, return_url: str | None, locale: str | None, url: str, created: int
) -> Obj:
    return {
        "id": new_id("bps_"),
        "object": "billing_portal.session",
        "configuration": "bpc_local_default",
        "created": created,
        "customer": customer_id,
        "customer_account": None,
        "flow": None,
        "livemode": False,
        "locale": locale,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": url,
    }
