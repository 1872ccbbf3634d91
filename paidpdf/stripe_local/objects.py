"""Stripe-shaped objects: the fields and id prefixes of the real API (checked against stripe-python 16).

Only plain dicts: the stand-in keeps them in memory (and optionally in a JSON file) and sends them as
JSON. Fields the stand-in does not model are present with Stripe's neutral value (`None`, `{}`, `[]`)
so code written against the real objects finds every key it expects.
"""

from __future__ import annotations

import secrets
from typing import Any

from paidpdf.stripe_local import tax_params


def new_id(prefix: str, length: int = 24) -> str:
    """Stripe-like ids: `cs_test_a1B2...`, `pi_3Q...`, with enough randomness never to collide."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def line_item(item: dict[str, Any], created: int) -> dict[str, Any]:
    amount = item["unit_amount"] * item["quantity"]
    product_id = new_id("prod_", 14)
    return {
        "id": new_id("li_"),
        "object": "item",
        "adjustable_quantity": None,
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": item["currency"],
        "description": item["name"],
        "metadata": dict(item["metadata"]),
        "price": {
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
            "recurring": None
            if not item.get("recurring")
            else {**item["recurring"], "meter": None, "trial_period_days": None, "usage_type": "licensed"},
            "tax_behavior": item.get("tax_behavior") or "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring" if item.get("recurring") else "one_time",
            "unit_amount": item["unit_amount"],
            "unit_amount_decimal": str(item["unit_amount"]),
        },
        "quantity": item["quantity"],
        # Not part of Stripe's line item: kept so the hosted page can show the product. Stripped on output.
        "_product": {
            "id": product_id,
            "name": item["name"],
            "description": item["description"],
            "images": list(item["images"]),
            "metadata": dict(item["product_metadata"]),
            "tax_code": item.get("tax_code"),
        },
    }


def checkout_session(values: dict[str, Any], created: int, page_url: str, session_id: str) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": values.get("adaptive_pricing"),
        "after_expiration": None,
        "allow_promotion_codes": values["allow_promotion_codes"],
        "amount_subtotal": values["amount_subtotal"],
        "allowed_payment_method_types": None,
        "amount_total": values["amount_total"],
        "branding_settings": None,
        "cancel_url": values["cancel_url"],
        "client_reference_id": values["client_reference_id"],
        "client_secret": None,
        "collected_information": None,  # filled as the buyer completes the page (`completed`)
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": values["currency"],
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": values.get("customer"),
        "customer_account": None,
        "customer_creation": values.get("customer_creation")
        or ("if_required" if values["mode"] == "payment" else None),
        "customer_details": None,
        "customer_email": values["customer_email"],
        "discounts": [],
        "excluded_payment_method_types": [],
        "expires_at": values["expires_at"],
        "integration_identifier": None,
        "invoice": None,
        "livemode": False,
        "locale": values["locale"],
        "metadata": dict(values["metadata"]),
        "mode": values["mode"],
        "name_collection": None,
        "optional_items": None,
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": values.get("payment_method_collection", "if_required"),
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "presentment_details": None,
        "recovered_from": None,
        "redirect_on_completion": None,  # embedded and custom ui modes only
        "return_url": None,
        "saved_payment_method_options": _saved_methods(values.get("customer")),
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": values["submit_type"],
        "subscription": None,
        "success_url": values["success_url"],
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",
        "url": page_url,
        "wallet_options": None,
        **tax_params.session_fields(values["tax"], values["mode"]),
    }


def _saved_methods(customer: str | None) -> dict[str, Any] | None:
    """Stripe's `saved_payment_method_options` for a session with a customer (null without one): the
    page offers the customer's saved cards that allow redisplay, and neither saves nor removes any."""
    if not customer:
        return None
    return {"allow_redisplay_filters": ["always"], "payment_method_remove": None, "payment_method_save": None}


def completed(session: dict[str, Any]) -> None:
    """What Stripe changes on a session as the buyer completes it: the hosted page's URL is gone
    (`url` is null once a session is complete or expired) and the page's collected information is
    recorded (no name or shipping asked by the stand-in's page)."""
    session.update(
        status="complete",
        url=None,
        collected_information={"business_name": None, "individual_name": None, "shipping_details": None},
    )


def customer_details(email: str | None) -> dict[str, Any]:
    return {
        "address": {
            "city": None,
            "country": "US",
            "line1": None,
            "line2": None,
            "postal_code": "42424",
            "state": None,
        },
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": "Test Buyer",
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def event(
    event_type: str,
    obj: dict[str, Any],
    created: int,
    api_version: str,
    pending: int,
    request_id: str | None,
    idempotency_key: str | None,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    return {
        "id": new_id("evt_"),
        "object": "event",
        "api_version": api_version,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": pending,
        "request": {"id": request_id, "idempotency_key": idempotency_key},
        "type": event_type,
    }
