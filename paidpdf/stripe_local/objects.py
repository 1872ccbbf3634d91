"""Stripe-shaped objects: the fields and id prefixes of the real API (checked against stripe-python 16).

Only plain dicts: the stand-in keeps them in memory (and optionally in a JSON file) and sends them as
JSON. Fields the stand-in does not model are present with Stripe's neutral value (`None`, `{}`, `[]`)
so code written against the real objects finds every key it expects.
"""

from __future__ import annotations

import secrets
from typing import Any


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
            "recurring": None,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
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
        },
    }


def checkout_session(values: dict[str, Any], created: int, page_url: str, session_id: str) -> dict[str, Any]:
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": None,
        "after_expiration": None,
        "allow_promotion_codes": values["allow_promotion_codes"],
        "amount_subtotal": values["amount_subtotal"],
        "amount_total": values["amount_total"],
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": values["cancel_url"],
        "client_reference_id": values["client_reference_id"],
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": values["currency"],
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": values["customer_email"],
        "expires_at": values["expires_at"],
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": values["locale"],
        "metadata": dict(values["metadata"]),
        "mode": values["mode"],
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
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
    }


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
        "email": email,
        "name": "Test Buyer",
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def payment_intent(
    session: dict[str, Any], pi_data: dict[str, Any], created: int, method: str
) -> dict[str, Any]:
    pi_id = new_id("pi_")
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": session["amount_total"],
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{pi_id}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": session["currency"],
        "customer": None,
        "description": pi_data["description"],
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": dict(pi_data["metadata"]),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": new_id("pm_"),
        "payment_method_options": {},
        "payment_method_types": [method],
        "processing": None,
        "receipt_email": pi_data["receipt_email"],
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "processing",
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(intent: dict[str, Any], email: str | None, created: int, method: str) -> dict[str, Any]:
    charge_id = new_id("ch_")
    if method == "card":
        details: dict[str, Any] = {
            "type": "card",
            "card": {
                "brand": "visa",
                "country": "US",
                "exp_month": 12,
                "exp_year": 2034,
                "funding": "credit",
                "last4": "4242",
                "network": "visa",
            },
        }
    else:
        details = {
            "type": "us_bank_account",
            "us_bank_account": {
                "bank_name": "STRIPE TEST BANK",
                "last4": "6789",
                "account_holder_type": "individual",
                "routing_number": "110000000",
            },
        }
    return {
        "id": charge_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": {"address": None, "email": email, "name": "Test Buyer", "phone": None},
        "calculated_statement_descriptor": "PAIDPDF",
        "captured": False,
        "created": created,
        "currency": intent["currency"],
        "customer": None,
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": None,
        "outcome": None,
        "paid": False,
        "payment_intent": intent["id"],
        "payment_method": intent["payment_method"],
        "payment_method_details": details,
        "receipt_email": intent["receipt_email"],
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "pending",
        "transfer_data": None,
        "transfer_group": None,
    }


def succeeded_outcome() -> dict[str, Any]:
    return {
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "normal",
        "risk_score": 12,
        "seller_message": "Payment complete.",
        "type": "authorized",
    }


def refund(
    charge_obj: dict[str, Any], amount: int, reason: str | None, meta: dict[str, str], created: int
) -> dict[str, Any]:
    return {
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge_obj["id"],
        "created": created,
        "currency": charge_obj["currency"],
        "destination_details": {"type": "card", "card": {"reference_status": "pending", "type": "refund"}},
        "metadata": meta,
        "payment_intent": charge_obj["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def dispute(charge_obj: dict[str, Any], amount: int, reason: str, created: int) -> dict[str, Any]:
    return {
        "id": new_id("dp_"),
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": charge_obj["id"],
        "created": created,
        "currency": charge_obj["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {**dict.fromkeys(EVIDENCE_FIELDS), "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": created + 7 * 86400,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
            "submission_method": "not_submitted",
        },
        "intended_submission_method": None,
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "network_reason_code": None,
        "payment_intent": charge_obj["payment_intent"],
        "payment_method_details": None,
        "reason": reason,
        "status": "needs_response",
    }


#: A dispute's evidence keys, all present and null until evidence is submitted (as Stripe sends them).
EVIDENCE_FIELDS = (
    "access_activity_log",
    "appeal",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
)


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
