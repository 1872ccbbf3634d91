"""Parameters of Stripe Billing validated as Stripe does: Checkout's subscription mode
(`price_data[recurring]`, `subscription_data`, `customer`, `payment_method_collection`), customers and
subscription updates. Apart from `session_params` (payment mode) so each stays one job and small."""

from __future__ import annotations

from typing import Any

from paidpdf.stripe_local.api_errors import ApiError, invalid
from paidpdf.stripe_local.params import (
    boolean,
    check_known,
    email,
    enum,
    hash_,
    integer,
    metadata,
    present,
    string,
)

INTERVALS = ("day", "week", "month", "year")
#: Stripe's limit on a recurring interval: at most one year (or 52 weeks, 365 days).
_MAX_COUNT = {"day": 365, "week": 52, "month": 12, "year": 1}
_MAX_TRIAL_DAYS = 730


def recurring(value: Any, where: str, mode: str) -> dict[str, Any] | None:
    """`price_data[recurring]`: required in subscription mode, refused in payment mode (as on Stripe)."""
    if not present(value):
        if mode == "subscription":
            raise invalid(
                f"{where}[recurring]",
                "You must provide at least one recurring price in `subscription` mode when using prices "
                "(the local stand-in takes only recurring prices there).",
            )
        return None
    if mode != "subscription":
        raise invalid(f"{where}[recurring]", "You specified `payment` mode but passed a recurring price.")
    raw = hash_(value, f"{where}[recurring]")
    check_known(raw, {"interval", "interval_count"}, f"{where}[recurring]")
    if not present(raw.get("interval")):
        raise ApiError(
            "Missing required param: " + f"{where}[recurring][interval].",
            param=f"{where}[recurring][interval]",
            code="parameter_missing",
        )
    interval = enum(raw["interval"], f"{where}[recurring][interval]", INTERVALS)
    count = 1
    if present(raw.get("interval_count")):
        count = integer(raw["interval_count"], f"{where}[recurring][interval_count]")
        if not 1 <= count <= _MAX_COUNT[interval]:
            raise invalid(
                f"{where}[recurring][interval_count]",
                "The maximum billing interval is one year (1 year, 12 months, 52 weeks or 365 days).",
            )
    return {"interval": interval, "interval_count": count}


def subscription_checkout(params: dict[str, Any], mode: str) -> dict[str, Any]:
    """`subscription_data`, `customer`, `customer_email`, `customer_creation`,
    `payment_method_collection`, checked against the mode like Stripe."""
    values: dict[str, Any] = {
        "trial_period_days": None,
        "subscription_metadata": {},
        "subscription_description": None,
        "customer": None,
        "customer_creation": None,
        "payment_method_collection": "if_required" if mode == "payment" else "always",
    }
    if present(params.get("customer")):
        values["customer"] = string(params["customer"], "customer", 255)
        if present(params.get("customer_email")):
            raise ApiError(
                "You may only specify one of these parameters: customer, customer_email.", param="customer"
            )
    if present(params.get("customer_creation")):
        if mode != "payment":
            raise invalid("customer_creation", "`customer_creation` can only be used in `payment` mode.")
        values["customer_creation"] = enum(
            params["customer_creation"], "customer_creation", ("always", "if_required")
        )
    if present(params.get("payment_method_collection")):
        if mode != "subscription":
            raise invalid(
                "payment_method_collection",
                "`payment_method_collection` can only be used in `subscription` or `setup` mode.",
            )
        values["payment_method_collection"] = enum(
            params["payment_method_collection"], "payment_method_collection", ("always", "if_required")
        )
    if present(params.get("subscription_data")):
        if mode != "subscription":
            raise invalid("subscription_data", "`subscription_data` can only be used in `subscription` mode.")
        raw = hash_(params["subscription_data"], "subscription_data")
        check_known(
            raw,
            {
                "application_fee_percent",
                "billing_cycle_anchor",
                "billing_mode",
                "default_tax_rates",
                "description",
                "invoice_settings",
                "metadata",
                "on_behalf_of",
                "proration_behavior",
                "transfer_data",
                "trial_end",
                "trial_period_days",
                "trial_settings",
            },
            "subscription_data",
        )
        if present(raw.get("trial_period_days")):
            days = integer(raw["trial_period_days"], "subscription_data[trial_period_days]")
            if not 1 <= days <= _MAX_TRIAL_DAYS:
                raise invalid(
                    "subscription_data[trial_period_days]",
                    f"trial_period_days must be between 1 and {_MAX_TRIAL_DAYS}.",
                    code="parameter_invalid_integer",
                )
            values["trial_period_days"] = days
        values["subscription_metadata"] = metadata(raw.get("metadata"), "subscription_data[metadata]")
        if present(raw.get("description")):
            values["subscription_description"] = string(
                raw["description"], "subscription_data[description]", 500
            )
    if mode == "subscription" and present(params.get("payment_intent_data")):
        raise invalid(
            "payment_intent_data",
            "You can not pass `payment_intent_data` in `subscription` mode.",
        )
    skip_card = values["payment_method_collection"] == "if_required" and mode == "subscription"
    if skip_card and values["trial_period_days"] is None:
        raise invalid(
            "payment_method_collection",
            "The local stand-in only skips the card (`if_required`) when there is nothing to pay up "
            "front: add subscription_data[trial_period_days].",
        )
    return values


CUSTOMER_PARAMS = frozenset(
    {
        "address",
        "balance",
        "description",
        "email",
        "expand",
        "invoice_prefix",
        "invoice_settings",
        "metadata",
        "name",
        "payment_method",
        "phone",
        "preferred_locales",
        "shipping",
        "tax",
        "tax_exempt",
        "test_clock",
    }
)


def customer(params: dict[str, Any], creating: bool) -> dict[str, Any]:
    """Customer create/update values that the stand-in models; only those given are returned."""
    known = CUSTOMER_PARAMS if creating else CUSTOMER_PARAMS - {"test_clock", "payment_method"}
    check_known(params, known)
    found: dict[str, Any] = {}
    if "email" in params:
        found["email"] = email(params["email"], "email") if present(params["email"]) else None
    for name, limit in (("name", 256), ("description", 350)):
        if name in params:
            found[name] = string(params[name], name, limit) if present(params[name]) else None
    if "metadata" in params:
        found["metadata"] = metadata(params["metadata"], "metadata")
    if present(params.get("test_clock")):
        found["test_clock"] = string(params["test_clock"], "test_clock", 255)
    if present(params.get("payment_method")):
        found["payment_method"] = string(params["payment_method"], "payment_method", 255)
    if present(params.get("invoice_settings")):
        raw = hash_(params["invoice_settings"], "invoice_settings")
        check_known(
            raw,
            {"custom_fields", "default_payment_method", "footer", "rendering_options"},
            "invoice_settings",
        )
        if "default_payment_method" in raw:
            value = raw["default_payment_method"]
            param = "invoice_settings[default_payment_method]"
            found["default_payment_method"] = string(value, param, 255) if present(value) else None
    return found


def subscription_update(params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/subscriptions/{id}`: the modelled fields are `cancel_at_period_end`, `metadata`,
    `description`, `default_payment_method` and `cancellation_details`; others are Stripe's, ignored."""
    check_known(
        params,
        {
            "add_invoice_items",
            "billing_cycle_anchor",
            "cancel_at",
            "cancel_at_period_end",
            "cancellation_details",
            "collection_method",
            "default_payment_method",
            "description",
            "expand",
            "items",
            "metadata",
            "off_session",
            "payment_behavior",
            "proration_behavior",
            "trial_end",
        },
    )
    found: dict[str, Any] = {}
    if present(params.get("cancel_at_period_end")):
        found["cancel_at_period_end"] = boolean(params["cancel_at_period_end"], "cancel_at_period_end")
    if "metadata" in params:
        found["metadata"] = metadata(params["metadata"], "metadata")
    if "description" in params:
        found["description"] = (
            string(params["description"], "description", 500) if present(params["description"]) else None
        )
    if "default_payment_method" in params:
        value = params["default_payment_method"]
        found["default_payment_method"] = string(value, "default_payment_method") if present(value) else None
    found["comment"] = cancellation_comment(params)
    return found


def cancellation_comment(params: dict[str, Any]) -> str | None:
    if not present(params.get("cancellation_details")):
        return None
    raw = hash_(params["cancellation_details"], "cancellation_details")
    check_known(raw, {"comment", "feedback"}, "cancellation_details")
    return (
        string(raw["comment"], "cancellation_details[comment]", 5000) if present(raw.get("comment")) else None
    )


def duration(text: str) -> int:
    """`31d`, `12h`, `90m`, `45s`, `2w` (or plain seconds) → seconds, for the time controls."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    value = text.strip().lower()
    unit = value[-1:] if value[-1:] in units else "s"
    number = value[:-1] if value[-1:] in units else value
    if not number.isdigit() or int(number) <= 0:
        raise invalid(
            "duration", f"Invalid duration {text!r}: use a positive number with d, h, m, s or w (31d)"
        )
    seconds = int(number) * units[unit]
    if seconds > 5 * 366 * 86400:
        raise invalid("duration", f"Invalid duration {text!r}: at most 5 years at a time")
    return seconds
