"""The stand-in's test tax rates: what `automatic_tax` and Managed Payments charge on its test checkout.

Not Stripe Tax: a small, fixed table (docs/tax.md prints it) so tests and the demo see real-looking
VAT without a tax engine. Rates are in basis points (1900 = 19%): each EU country's standard VAT, the
UK, Norway and Switzerland, a few US states (the state rate alone), 0 everywhere else. An EU VAT id
makes the sale a reverse-charge business sale (0, as Stripe Tax does for a cross-border B2B sale).

Rounding, integer only: exclusive tax = price × rate, rounded half up; inclusive tax = price − price /
(1 + rate), the net rounded half up, so price = net + tax exactly.
"""

from __future__ import annotations

#: Standard VAT rates, basis points, by ISO country code.
COUNTRY_BPS: dict[str, int] = {
    "AT": 2000, "BE": 2100, "BG": 2000, "CY": 1900, "CZ": 2100, "DE": 1900, "DK": 2500,
    "EE": 2400, "ES": 2100, "FI": 2550, "FR": 2000, "GR": 2400, "HR": 2500, "HU": 2700,
    "IE": 2300, "IT": 2200, "LT": 2100, "LU": 1700, "LV": 2100, "MT": 1800, "NL": 2100,
    "PL": 2300, "PT": 2300, "RO": 2100, "SE": 2500, "SI": 2200, "SK": 2300,
    "GB": 2000, "NO": 2500, "CH": 810,
}  # fmt: skip

#: The EU member states (an EU VAT id there means a reverse-charge business sale).
EU = frozenset(code for code in COUNTRY_BPS if code not in ("GB", "NO", "CH"))

#: A few US states' own sales tax rates (state level only), basis points.
US_STATE_BPS: dict[str, int] = {"WA": 650, "NY": 400, "TX": 625, "PA": 600}


def rate_bps(country: str | None, state: str | None = None, tax_id_types: tuple[str, ...] = ()) -> int:
    """The test rate for a buyer in `country` (and US `state`); 0 for a reverse-charge EU business."""
    code = (country or "").upper()
    if code in EU and "eu_vat" in tax_id_types:
        return 0
    if code == "US":
        return US_STATE_BPS.get((state or "").upper(), 0)
    return COUNTRY_BPS.get(code, 0)


def tax_of(amount: int, bps: int, behavior: str) -> int:
    """The tax in `amount` (inclusive) or on top of it (exclusive), in integer minor units."""
    if bps <= 0 or amount <= 0:
        return 0
    if behavior == "inclusive":
        net = (2 * amount * 10_000 + (10_000 + bps)) // (2 * (10_000 + bps))
        return amount - net
    return (2 * amount * bps + 10_000) // 20_000
