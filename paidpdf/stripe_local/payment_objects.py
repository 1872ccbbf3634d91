"""Stripe-shaped money objects: PaymentIntents, Charges, Refunds and Disputes (with every evidence key).

Apart from `objects` (ids, sessions, line items, events) because these are the objects a payment
creates after the checkout page, each with the many fields the real API sends (checked against
stripe-python 16); the same neutral-value rule applies: unmodelled fields are present, empty.
"""

from __future__ import annotations

from typing import Any

from paidpdf.stripe_local.objects import new_id


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
        "presentment_details": None,
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
        "presentment_details": None,
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
        "presentment_details": None,
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
