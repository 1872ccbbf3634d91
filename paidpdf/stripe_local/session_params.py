"""`POST /v1/checkout/sessions` validated as Stripe does: known parameters only, inline prices only,
amounts within Stripe's per-currency minimum and maximum, URLs, expiry window and metadata limits.

Apart from `params` (the typed readers every route uses) because it is the one route with a large
parameter tree; an error names the parameter in Stripe's bracket notation.
"""

from __future__ import annotations

from typing import Any

from paidpdf.money import DEFAULT_MIN_CHARGE, MAX_AMOUNT, MIN_CHARGE, format_amount
from paidpdf.stripe_local import billing_params, page_locales, tax_params
from paidpdf.stripe_local import currencies as currency_rules
from paidpdf.stripe_local.api_errors import ApiError, invalid, missing
from paidpdf.stripe_local.params import (
    array,
    boolean,
    check_known,
    currency,
    email,
    enum,
    hash_,
    integer,
    metadata,
    present,
    string,
    url,
)

#: Top-level `checkout.Session.create` parameters of the real API (stripe-python 16). The ones the
#: stand-in does not model are accepted and ignored; anything else is an unknown parameter, as on Stripe.
SESSION_CREATE_PARAMS = frozenset(
    [
        "adaptive_pricing",
        "after_expiration",
        "allow_promotion_codes",
        "allowed_payment_method_types",
        "automatic_tax",
        "billing_address_collection",
        "branding_settings",
        "cancel_url",
        "client_reference_id",
        "consent_collection",
        "currency",
        "custom_fields",
        "custom_text",
        "customer",
        "customer_account",
        "customer_creation",
        "customer_email",
        "customer_update",
        "discounts",
        "excluded_payment_method_types",
        "expand",
        "expires_at",
        "integration_identifier",
        "invoice_creation",
        "line_items",
        "locale",
        "managed_payments",
        "metadata",
        "mode",
        "name_collection",
        "optional_items",
        "origin_context",
        "payment_intent_data",
        "payment_method_collection",
        "payment_method_configuration",
        "payment_method_data",
        "payment_method_options",
        "permissions",
        "phone_number_collection",
        "redirect_on_completion",
        "return_url",
        "saved_payment_method_options",
        "setup_intent_data",
        "shipping_address_collection",
        "shipping_options",
        "submit_type",
        "subscription_data",
        "success_url",
        "tax_id_collection",
        "ui_mode",
        "wallet_options",
    ]
)

MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60


def session_create(params: dict[str, Any], now: int) -> dict[str, Any]:
    """Validate a Checkout Session creation like Stripe; return the normalized values."""
    check_known(params, SESSION_CREATE_PARAMS)
    if not present(params.get("mode")):
        raise missing("mode")
    mode = enum(params["mode"], "mode", ("payment", "setup", "subscription"))
    if mode == "setup":
        raise invalid(
            "mode", "mode=setup is not supported by the local Stripe stand-in (payment, subscription)"
        )
    ui_mode = params.get("ui_mode", "hosted_page")
    if present(ui_mode) and ui_mode != "hosted_page":
        raise invalid("ui_mode", "Only ui_mode=hosted_page is supported by the local Stripe stand-in")

    items = _line_items(params.get("line_items"), mode)
    billing = billing_params.subscription_checkout(params, mode)
    if len({str(item["recurring"]) for item in items}) > 1:
        raise invalid("line_items", "All recurring prices in a Checkout Session must share one interval.")
    currencies = {item["currency"] for item in items}
    if len(currencies) > 1:
        raise invalid("line_items", "All line items must use the same currency")
    session_currency = currencies.pop()
    if present(params.get("currency")) and currency(params["currency"], "currency") != session_currency:
        raise invalid("currency", "currency must match the currency of the line items")
    total = sum(item["unit_amount"] * item["quantity"] for item in items)
    minimum = MIN_CHARGE.get(session_currency, DEFAULT_MIN_CHARGE)
    if total < minimum:
        raise ApiError(
            f"The Checkout Session's total amount due must add up to at least "
            f"{format_amount(minimum, session_currency)} {session_currency}",
            param="line_items",
            code="amount_too_small",
        )
    if total > MAX_AMOUNT:
        raise ApiError(
            f"The Checkout Session's total amount due must be no more than "
            f"{format_amount(MAX_AMOUNT, session_currency)} {session_currency}",
            param="line_items",
            code="amount_too_large",
        )

    expires_at = now + MAX_EXPIRY
    if present(params.get("expires_at")):
        expires_at = integer(params["expires_at"], "expires_at")
        if expires_at < now + MIN_EXPIRY:
            raise invalid(
                "expires_at",
                "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                code="parameter_invalid_integer",
            )
        if expires_at > now + MAX_EXPIRY:
            raise invalid(
                "expires_at",
                "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                code="parameter_invalid_integer",
            )

    due_now = 0 if billing["trial_period_days"] else total  # a trial starts with nothing to pay
    pi_data: dict[str, Any] = {"metadata": {}, "description": None, "receipt_email": None}
    if present(params.get("payment_intent_data")):
        raw = hash_(params["payment_intent_data"], "payment_intent_data")
        check_known(
            raw,
            {
                "application_fee_amount",
                "capture_method",
                "description",
                "metadata",
                "on_behalf_of",
                "receipt_email",
                "setup_future_usage",
                "shipping",
                "statement_descriptor",
                "statement_descriptor_suffix",
                "transfer_data",
                "transfer_group",
            },
            "payment_intent_data",
        )
        pi_data["metadata"] = metadata(raw.get("metadata"), "payment_intent_data[metadata]")
        if present(raw.get("description")):
            pi_data["description"] = string(raw["description"], "payment_intent_data[description]", 1000)
        if present(raw.get("receipt_email")):
            pi_data["receipt_email"] = email(raw["receipt_email"], "payment_intent_data[receipt_email]")

    def optional(name: str, reader: Any, *args: Any) -> Any:
        return reader(params[name], name, *args) if present(params.get(name)) else None

    return {
        "mode": mode,
        "line_items": items,
        "currency": session_currency,
        "amount_subtotal": due_now,
        "amount_total": due_now,
        "success_url": optional("success_url", url),
        "cancel_url": optional("cancel_url", url),
        "customer_email": optional("customer_email", email),
        "client_reference_id": optional("client_reference_id", string, 200),
        "metadata": metadata(params.get("metadata"), "metadata"),
        "payment_intent_data": pi_data,
        "expires_at": expires_at,
        "allow_promotion_codes": optional("allow_promotion_codes", boolean),
        "locale": optional("locale", page_locales.locale),
        "submit_type": optional("submit_type", enum, ("auto", "book", "donate", "pay", "subscribe")),
        "tax": tax_params.session_tax(params, mode, items),
        "adaptive_pricing": currency_rules.adaptive_pricing(params),
        **billing,
    }


def _inline_only(obj: dict[str, Any], where: str, ref: str, *, missing_param: str) -> None:
    """Stripe takes an object either by id (`price`, `product`) or inline (`price_data`, `product_data`).

    The stand-in keeps no prices or products, so an id gets Stripe's "No such ..." answer and a missing
    pair Stripe's "either ... or ..." one (whose `param` differs between the two places, as at Stripe).
    """
    inline = f"{ref}_data"
    if present(obj.get(ref)):
        raise ApiError(
            f"No such {ref}: '{obj[ref]}' (the local stand-in only supports {inline})",
            param=f"{where}[{ref}]",
            code="resource_missing",
        )
    if not present(obj.get(inline)):
        raise ApiError(
            f"You must specify either `{ref}` or `{inline}` in {where}.",
            param=missing_param,
            code="parameter_missing",
        )


def _line_items(value: Any, mode: str) -> list[dict[str, Any]]:
    if not present(value):
        raise missing("line_items")
    raw_items = array(value, "line_items")
    if not raw_items:
        raise missing("line_items")
    if len(raw_items) > 100:
        raise invalid("line_items", "At most 100 line items are allowed")
    items = []
    for index, raw in enumerate(raw_items):
        where = f"line_items[{index}]"
        item = hash_(raw, where)
        check_known(
            item, {"adjustable_quantity", "metadata", "price", "price_data", "quantity", "tax_rates"}, where
        )
        _inline_only(item, where, "price", missing_param=where)
        if not present(item.get("quantity")):
            raise ApiError(
                f"Quantity is required. Add `quantity` to `{where}`",
                param=f"{where}[quantity]",
                code="parameter_missing",
            )
        quantity = integer(item["quantity"], f"{where}[quantity]")
        if quantity < 1 or quantity > 999999:
            raise invalid(
                f"{where}[quantity]",
                "Quantity must be between 1 and 999999",
                code="parameter_invalid_integer",
            )
        price_data = hash_(item["price_data"], f"{where}[price_data]")
        pd = f"{where}[price_data]"
        check_known(
            price_data,
            {
                "currency",
                "product",
                "product_data",
                "recurring",
                "tax_behavior",
                "unit_amount",
                "unit_amount_decimal",
            },
            pd,
        )
        recurring = billing_params.recurring(price_data.get("recurring"), pd, mode)
        if not present(price_data.get("currency")):
            raise missing(f"{pd}[currency]")
        item_currency = currency(price_data["currency"], f"{pd}[currency]")
        if present(price_data.get("unit_amount_decimal")):
            raise invalid(
                f"{pd}[unit_amount_decimal]",
                "unit_amount_decimal is not supported by the local stand-in: send unit_amount",
            )
        if not present(price_data.get("unit_amount")):
            raise missing(f"{pd}[unit_amount]")
        unit_amount = integer(price_data["unit_amount"], f"{pd}[unit_amount]")
        if unit_amount < 1:
            raise invalid(
                f"{pd}[unit_amount]",
                "This value must be greater than or equal to 1.",
                code="parameter_invalid_integer",
            )
        if unit_amount > MAX_AMOUNT:
            raise invalid(
                f"{pd}[unit_amount]",
                f"This value must be less than or equal to {MAX_AMOUNT}.",
                code="parameter_invalid_integer",
            )
        currency_rules.check_unit_amount(unit_amount, item_currency, f"{pd}[unit_amount]")
        _inline_only(price_data, pd, "product", missing_param=f"{pd}[product_data]")
        product = hash_(price_data["product_data"], f"{pd}[product_data]")
        pr = f"{pd}[product_data]"
        check_known(
            product,
            {"description", "images", "metadata", "name", "tax_code", "tax_details", "unit_label"},
            pr,
        )
        if not present(product.get("name")):
            raise missing(f"{pr}[name]")
        raw_images = array(product.get("images") or [], f"{pr}[images]")
        images = [url(v, f"{pr}[images][{i}]") for i, v in enumerate(raw_images)]
        if len(images) > 8:
            raise invalid(f"{pr}[images]", "At most 8 images are allowed")
        items.append(
            {
                "quantity": quantity,
                "currency": item_currency,
                "unit_amount": unit_amount,
                "name": string(product["name"], f"{pr}[name]", 250),
                "description": string(product["description"], f"{pr}[description]")
                if present(product.get("description"))
                else None,
                "images": images,
                "product_metadata": metadata(product.get("metadata"), f"{pr}[metadata]"),
                "metadata": metadata(item.get("metadata"), f"{where}[metadata]"),
                "recurring": recurring,
                "tax_code": string(product["tax_code"], f"{pr}[tax_code]", 20)
                if present(product.get("tax_code"))
                else None,
                "tax_behavior": enum(price_data["tax_behavior"], f"{pd}[tax_behavior]",
                                     ("exclusive", "inclusive", "unspecified"))
                if present(price_data.get("tax_behavior"))
                else "unspecified",
            }
        )
    return items
