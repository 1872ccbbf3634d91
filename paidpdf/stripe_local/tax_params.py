"""The tax parameters of `POST /v1/checkout/sessions`: `managed_payments`, `automatic_tax`,
`billing_address_collection`, `tax_id_collection` and `invoice_creation`, validated as Stripe does.

With `managed_payments[enabled]=true` Stripe is the merchant of record and refuses the parameters it
manages itself (docs.stripe.com/payments/managed-payments/update-checkout, "Remove unsupported
parameters"); the stand-in refuses the same ones with Stripe's error JSON, so a shop that passes its
tests is proven not to send them. It also refuses a line whose product has no eligible tax code.
"""

from __future__ import annotations

from typing import Any

from paidpdf.content.tax_codes import MANAGED_ELIGIBLE
from paidpdf.stripe_local.api_errors import ApiError, invalid
from paidpdf.stripe_local.params import boolean, check_known, enum, hash_, present

#: Parameters Managed Payments refuses, by session mode (Stripe's tables, one dotted path each).
MANAGED_FORBIDDEN: dict[str, tuple[str, ...]] = {
    "payment": (
        "automatic_tax",
        "tax_id_collection",
        "excluded_payment_method_types",
        "adaptive_pricing",
        "payment_intent_data.setup_future_usage",
        "payment_method_configuration",
        "payment_method_options",
        "payment_method_types",
        "customer_update.name",
        "customer_update.address",
        "shipping_address_collection",
        "shipping_options",
        "payment_intent_data.shipping",
        "payment_intent_data.application_fee_amount",
        "payment_intent_data.on_behalf_of",
        "payment_intent_data.transfer_data",
        "payment_intent_data.transfer_group",
        "invoice_creation",
        "payment_intent_data.statement_descriptor",
        "payment_intent_data.statement_descriptor_suffix",
        "payment_intent_data.receipt_email",
    ),
    "subscription": (
        "adaptive_pricing",
        "automatic_tax",
        "tax_id_collection",
        "subscription_data.default_tax_rates",
        "payment_method_configuration",
        "payment_method_options",
        "payment_method_types",
        "customer_update.name",
        "customer_update.address",
        "shipping_address_collection",
        "shipping_options",
        "subscription_data.application_fee_percent",
        "subscription_data.on_behalf_of",
        "subscription_data.transfer_data",
        "subscription_data.invoice_settings",
        "invoice_creation",
    ),
}


def _sent(params: dict[str, Any], path: str) -> bool:
    node: Any = params
    for part in path.split("."):
        if not isinstance(node, dict) or not present(node.get(part)):
            return False
        node = node[part]
    return True


def _enabled(params: dict[str, Any], name: str, known: set[str]) -> bool:
    if not present(params.get(name)):
        return False
    raw = hash_(params[name], name)
    check_known(raw, known, name)
    if not present(raw.get("enabled")):
        raise ApiError(
            f"Missing required param: {name}[enabled].", param=f"{name}[enabled]", code="parameter_missing"
        )
    return bool(boolean(raw["enabled"], f"{name}[enabled]"))


def session_tax(params: dict[str, Any], mode: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The session's tax settings, after Stripe's checks of the parameters that set them."""
    managed = _enabled(params, "managed_payments", {"enabled"})
    if managed:
        for path in MANAGED_FORBIDDEN.get(mode, ()):
            if _sent(params, path):
                param = path.split(".")[0] + "".join(f"[{p}]" for p in path.split(".")[1:])
                raise ApiError(
                    f"You cannot pass `{param}` when `managed_payments[enabled]` is true: Managed "
                    "Payments manages it for you.",
                    param=param,
                    code="parameter_unknown",
                )
        for index, item in enumerate(items):
            where = f"line_items[{index}]"
            if not item.get("tax_code"):
                raise invalid(
                    f"{where}[price_data][product_data][tax_code]",
                    f"Invalid {where}: the product tax code is missing. Set the product's tax_code "
                    "field to an eligible product tax code.",
                )
            if item["tax_code"] not in MANAGED_ELIGIBLE:
                raise invalid(
                    f"{where}[price_data][product_data][tax_code]",
                    f"Invalid {where}: the product tax code {item['tax_code']} is not eligible for "
                    "Managed Payments.",
                )
    automatic = _enabled(params, "automatic_tax", {"enabled", "liability"})
    tax_ids = _enabled(params, "tax_id_collection", {"enabled", "required"})
    invoice = _enabled(params, "invoice_creation", {"enabled", "invoice_data"})
    if invoice and mode != "payment":
        raise invalid("invoice_creation", "invoice_creation can only be used in `payment` mode.")
    address = (
        enum(params["billing_address_collection"], "billing_address_collection", ("auto", "required"))
        if present(params.get("billing_address_collection"))
        else None
    )
    return {
        "managed_payments": managed,
        "automatic_tax": automatic,
        "tax_id_collection": tax_ids,
        "invoice_creation": invoice,
        "billing_address_collection": address,
    }


def session_fields(tax: dict[str, Any], mode: str) -> dict[str, Any]:
    """The session object's fields for these settings (stripe-python's `checkout.Session`).

    `invoice_creation` is an object in every `payment` session (`enabled: false` when not asked for,
    with its empty `invoice_data`) and null in `subscription` mode, where invoices always exist."""
    taxed = tax["automatic_tax"] or tax["managed_payments"]
    return {
        "automatic_tax": {
            "enabled": taxed,
            "liability": {"account": None, "type": "self"} if taxed else None,
            "provider": "stripe" if taxed else None,
            "status": "requires_location_inputs" if taxed else None,
        },
        "billing_address_collection": tax["billing_address_collection"],
        "managed_payments": {"enabled": True} if tax["managed_payments"] else None,
        "tax_id_collection": {"enabled": True, "required": "never"} if tax["tax_id_collection"] else None,
        "invoice_creation": {
            "enabled": tax["invoice_creation"],
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        }
        if mode == "payment"
        else None,
    }
