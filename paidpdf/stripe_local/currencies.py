"""Currencies in the stand-in as Stripe treats them: which codes exist, how amounts are counted in
each (zero-decimal JPY, ISK in hundredths that must be whole units, three-decimal KWD ending in 0),
and Adaptive Pricing's presentment in the buyer's currency at a small table of test rates.

Why a test rate table: real Stripe converts at its live rate (guaranteed for 24 hours); the stand-in
must be deterministic, so it converts at `TEST_RATES` (docs/currencies.md lists them). The buyer's
country is read as Stripe's test mode lets one simulate it: an email with `+location_XX` (for
example `reader+location_DE@example.com`), given as `customer_email` or typed on the hosted page;
without one, the buyer is in the US.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import get_territory_currencies

from paidpdf.money import decimals, typed_decimals
from paidpdf.stripe_local.api_errors import invalid
from paidpdf.stripe_local.params import boolean, check_known, hash_, present

#: Units of each currency per 1 USD (test rates, fixed so tests are deterministic).
TEST_RATES: dict[str, Decimal] = {
    "usd": Decimal("1"),
    "eur": Decimal("0.92"),
    "gbp": Decimal("0.79"),
    "jpy": Decimal("150"),
    "chf": Decimal("0.88"),
    "cad": Decimal("1.36"),
    "aud": Decimal("1.52"),
    "sek": Decimal("10.5"),
    "inr": Decimal("83"),
    "brl": Decimal("5"),
    "mxn": Decimal("17"),
    "krw": Decimal("1350"),
}
_LOCATION = re.compile(r"\+location_([A-Za-z]{2})@")


def check_unit_amount(amount: int, code: str, param: str) -> None:
    """Stripe's rule for currencies it counts in finer units than the currency has: ISK amounts
    (hundredths) must be whole krónur, three-decimal amounts (KWD) must end in 0."""
    step = 10 ** (decimals(code) - typed_decimals(code))
    if amount % step:
        raise invalid(
            param,
            f"Amounts in {code.upper()} must be a multiple of {step} (whole units of the currency).",
            code="invalid_integer",
        )


def adaptive_pricing(params: dict[str, Any]) -> dict[str, bool] | None:
    """`adaptive_pricing[enabled]` as sent (None when absent: the Dashboard default, off here)."""
    if not present(params.get("adaptive_pricing")):
        return None
    raw = hash_(params["adaptive_pricing"], "adaptive_pricing")
    check_known(raw, {"enabled"}, "adaptive_pricing")
    if "enabled" not in raw:
        return None
    return {"enabled": bool(boolean(raw["enabled"], "adaptive_pricing[enabled]"))}


def buyer_currency(email: str | None) -> str:
    """The buyer's local currency from a `+location_XX` test email (else the US: usd)."""
    found = _LOCATION.search(email or "")
    country = found.group(1).upper() if found else "US"
    for code in get_territory_currencies(country):
        if code.lower() in TEST_RATES:
            return code.lower()
    return "usd"


def convert(amount: int, source: str, target: str) -> int:
    """`amount` minor units of `source` in `target` at the test rates, rounded half up to the
    target's own decimals, in exact decimals (never floats)."""
    whole = Decimal(amount).scaleb(-decimals(source)) / TEST_RATES[source] * TEST_RATES[target]
    step = Decimal(1).scaleb(-typed_decimals(target))
    return int(whole.quantize(step, rounding=ROUND_HALF_UP).scaleb(decimals(target)))


def presentment(session: dict[str, Any], email: str | None) -> dict[str, Any] | None:
    """`presentment_details` for a session paid with Adaptive Pricing on: the amount in the buyer's
    currency when it differs from the session's, else None (the buyer paid in the session's currency)."""
    if not (session.get("adaptive_pricing") or {}).get("enabled"):
        return None
    source, target = str(session["currency"]), buyer_currency(email)
    if target == source or source not in TEST_RATES:
        return None
    return {"presentment_amount": convert(int(session["amount_total"]), source, target),
            "presentment_currency": target}


def refund_presentment(charge: dict[str, Any], amount: int) -> dict[str, Any] | None:
    """A refund of a converted charge, in the buyer's currency: the whole presented amount for a full
    refund, else `amount` at the same test rate (None when the charge was not converted)."""
    shown = charge.get("presentment_details")
    if not shown:
        return None
    target = str(shown["presentment_currency"])
    value = int(shown["presentment_amount"]) if amount >= int(charge["amount"]) else convert(
        amount, str(charge["currency"]), target
    )
    return {"presentment_amount": value, "presentment_currency": target}
