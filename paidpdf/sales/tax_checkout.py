"""What `PAIDPDF_TAX` adds to a Checkout Session (docs/tax.md), in one place for every checkout.

Why apart from `checkout`: the three modes differ only in parameters, and Managed Payments refuses the
parameters it manages itself (`automatic_tax`, `tax_id_collection`, `invoice_creation`, ...: the list
is in docs/tax.md), so the one function that decides them is the one place to read to know that
managed sessions never carry them.

- `off`: nothing (the shop as it always was).
- `stripe_tax`: Stripe Tax computes the tax; the creator is the seller and files the returns.
  `automatic_tax`, a required billing address, business tax ids, an invoice per payment.
- `managed`: Stripe is the merchant of record (`managed_payments[enabled]=true`) and does all of it.

In both tax modes each line's product carries its tax code and each price its `tax_behavior`
(`PAIDPDF_PRICES_INCLUDE_TAX=1`: inclusive, else exclusive, tax added on top at checkout).
"""

from __future__ import annotations

from typing import Any

from paidpdf.config import Settings
from paidpdf.content import tax_codes
from paidpdf.content.catalog import CONTENT
from paidpdf.errors import ConfigError
from paidpdf.store import CATALOG, DataStore


def tax_behavior(settings: Settings) -> str | None:
    """The prices' `tax_behavior`, or None when tax is off (the order keeps it: `fulfilment` checks
    the amount paid against it)."""
    if settings.tax == "off":
        return None
    return "inclusive" if settings.prices_include_tax else "exclusive"


def session_params(settings: Settings, *, mode: str = "payment") -> dict[str, Any]:
    """The top-level session parameters of the configured tax mode."""
    if settings.tax == "managed":
        return {"managed_payments": {"enabled": True}}
    if settings.tax == "stripe_tax":
        added: dict[str, Any] = {
            "automatic_tax": {"enabled": True},
            "billing_address_collection": "required",
            "tax_id_collection": {"enabled": True},
        }
        if mode == "payment":  # subscriptions get Billing's own invoices
            added["invoice_creation"] = {"enabled": True}
        return added
    return {}


def price_data(settings: Settings, price: dict[str, Any], tax_code: str | None) -> dict[str, Any]:
    """A line's `price_data` with the tax mode's `tax_behavior` and the product's `tax_code`."""
    behavior = tax_behavior(settings)
    if behavior is None:
        return price
    product = dict(price.get("product_data") or {})
    if tax_code:
        product["tax_code"] = tax_code
    return {**price, "tax_behavior": behavior, "product_data": product}


def check_items_sellable(settings: Settings, store: DataStore) -> None:
    """`ConfigError` naming the first item for sale that Managed Payments cannot sell (no eligible
    tax code), so `serve` and the WSGI entry refuse to start instead of every checkout of it failing."""
    if settings.tax != "managed":
        return
    refusal = tax_codes.managed_refusal(store.view(CATALOG).all(CONTENT))
    if refusal:
        raise ConfigError(refusal)
