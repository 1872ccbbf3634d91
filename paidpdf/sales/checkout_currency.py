"""The currency a checkout is created in, and what Stripe's Adaptive Pricing adds to it.

Why the shop never converts: an item, bundle or plan is charged in the visitor's currency only when
the creator typed a price in it (`currency_prices`); otherwise it is charged at its main price in
the shop's currency, exactly as the page showed it. With `PAIDPDF_ADAPTIVE_PRICING=1` an item's or a
bundle's session (not a membership's: a renewing price is the creator's to set per currency)
carries `adaptive_pricing[enabled]=true`: Stripe then presents the price in the buyer's own currency
at its own exchange rate, while the session's `amount_total`/`currency` (what the order is checked
against, and what settles) stay the shop's. The completed session tells what the buyer saw in
`presentment_details` (`presentment_amount`, `presentment_currency`); the paid order keeps both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from paidpdf.config import Settings
from paidpdf.currency_prices import in_currency
from paidpdf.store import Doc


@dataclass(frozen=True)
class Sold:
    """A thing as it is sold in one checkout: `doc` with `price`/`currency` in the currency charged,
    and whether Stripe's Adaptive Pricing may present it in the buyer's currency."""

    doc: Doc
    adaptive: bool = False


def sold_in(doc: Mapping[str, Any], wanted: str | None, settings: Settings) -> Sold:
    """`doc` in the visitor's currency when it has an explicit price there (fixed: no conversion);
    else at its main price, with Adaptive Pricing when the shop turned it on (Stripe then converts
    for a buyer it locates elsewhere, whatever currency our page guessed). Never with Managed
    Payments (`PAIDPDF_TAX=managed`): Stripe refuses the parameter there, as it presents local
    currencies itself."""
    code = (wanted or "").strip().lower()
    if code and code != str(doc["currency"]).lower():
        found = in_currency(doc, code)
        if found is not None:
            return Sold(found)
    return Sold({**doc}, adaptive=settings.adaptive_pricing and settings.tax != "managed")


def session_params(adaptive: bool) -> dict[str, Any]:
    """The Checkout Session parameters this adds: Adaptive Pricing on, when asked for; otherwise
    nothing (the account's Dashboard default applies, off for a new account)."""
    return {"adaptive_pricing": {"enabled": True}} if adaptive else {}


def presentment(session: Mapping[str, Any]) -> dict[str, Any]:
    """What the buyer saw when Stripe presented the price in another currency: the order fields
    `presentment_amount` and `presentment_currency` (integer minor units of that currency), or
    nothing when the buyer paid in the session's own currency."""
    details = session.get("presentment_details")
    if not isinstance(details, Mapping):
        return {}
    amount, currency = details.get("presentment_amount"), details.get("presentment_currency")
    if not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(currency, str):
        return {}
    if currency.lower() == str(session.get("currency") or "").lower():
        return {}
    return {"presentment_amount": amount, "presentment_currency": currency.lower()}
