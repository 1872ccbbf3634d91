"""Money as integer minor units, end to end, in any currency.

Admins type prices as decimal text ("19.99"); this module is the only place that turns text into an
amount, and it does so exactly, on the decimal digits as integers, never with floats (nor with a
rounding `Decimal` context), so "19.99" is exactly 1999 cents.

Each currency has its own decimals, from Babel's copy of the Unicode CLDR currency data
(`babel.numbers.get_currency_precision`: JPY 0, EUR 2, KWD 3), and amounts are shown per locale by
Babel too (`format_amount(1899, "eur", "de")` is "18,99 €"). Two facts of Stripe's API sit on top,
because Stripe counts minor units its own way: its zero-decimal list (`ZERO_DECIMAL`, amounts in
whole units), and every other currency sent with at least two decimals (ISK, HUF or IDR have none in
CLDR yet Stripe takes 1500 ISK as 150000). `decimals` is Stripe's exponent (how amounts are stored
and sent); `typed_decimals` is how many decimals a person may type (CLDR's, and at most two for the
three-decimal currencies, whose Stripe amounts must end in 0).
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

from paidpdf.errors import InvalidInput

#: The locale amounts are shown in when the caller names none (the shop's own language, for now English).
DEFAULT_LOCALE = "en"

#: Currencies without a minor unit in Stripe's API (Stripe's list): 1 JPY is sent as 1, not 100.
ZERO_DECIMAL = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
        "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    }
)

#: Stripe accepts at most 8 digits for an amount (99999999 = $999,999.99).
MAX_AMOUNT = 99_999_999

#: Stripe's minimum charge for USD (and roughly its equivalent elsewhere), in minor units.
MIN_CHARGE = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50}
DEFAULT_MIN_CHARGE = 50

_PRICE_RE = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")
_CURRENCY_RE = re.compile(r"^[a-z]{3}$")


def check_currency(currency: str) -> str:
    """Return the lower-case ISO code Stripe expects, or raise for anything that is not one (a code
    that is not an ISO 4217 currency in Babel's data, such as "xyz", is refused like Stripe does)."""
    code = currency.strip().lower()
    if not _CURRENCY_RE.match(code) or code not in known_currencies():
        raise InvalidInput(f"invalid currency {currency!r}: use a three-letter ISO code such as usd")
    return code


@lru_cache(maxsize=1)
def known_currencies() -> frozenset[str]:
    """The ISO 4217 codes Babel (CLDR) knows, lower-case."""
    return frozenset(code.lower() for code in list_currencies())


@lru_cache(maxsize=512)
def decimals(currency: str) -> int:
    """The exponent of the currency's minor unit as Stripe counts it (how amounts are stored and
    sent): 0 for Stripe's zero-decimal currencies, 3 where CLDR has three (KWD), else 2."""
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if get_currency_precision(code.upper()) >= 3 else 2


@lru_cache(maxsize=512)
def typed_decimals(currency: str) -> int:
    """How many decimals a price in this currency may be typed with: CLDR's (0 for JPY and ISK,
    2 for EUR), never more than Stripe's exponent, and at most 2 for the three-decimal currencies."""
    return min(get_currency_precision(currency.upper()), decimals(currency), 2)


def parse_amount(text: str, currency: str = "usd") -> int:
    """Decimal text to minor units, exactly ("0.29" -> 29, "19.99" -> 1999), without price policy.

    Only plain digits with an optional decimal part are accepted, with no more significant decimals
    than the currency has. The digits are combined as integers: no float, and no `Decimal` context
    that could round a 30-digit typo such as "1.00000000000000000000000000001" to 1.00.
    """
    raw = text.strip()
    if not _PRICE_RE.match(raw):
        raise InvalidInput(
            f"invalid price {_shown(text)}: write a plain amount such as 19.99 (or 0 for free)"
        )
    places = decimals(currency)
    allowed = typed_decimals(currency)
    whole, _, frac = raw.partition(".")
    significant = frac.rstrip("0")
    if len(significant) > allowed:
        unit = "whole units" if allowed == 0 else f"at most {allowed} decimals"
        raise InvalidInput(f"invalid price {_shown(text)}: {currency.upper()} prices take {unit}")
    return int(whole) * 10**places + (int(significant.ljust(places, "0")) if places else 0)


def parse_price(text: str, currency: str = "usd") -> int:
    """Parse an admin-typed price into minor units.

    "0" (or "free") means a free item. Anything else must be a plain decimal number with no more
    decimals than the currency has, at least Stripe's minimum charge and at most 8 digits. Exponents,
    signs, "nan", thousands separators and floats are refused, so no typo turns into a real price.
    """
    if text.strip().lower() == "free":
        return 0
    whole = text.strip().partition(".")[0]
    if len(whole) > 12 and _PRICE_RE.match(text.strip()):
        # Refused before any arithmetic: a pasted 5000-digit number is a typo, not a price.
        raise InvalidInput(
            f"price {_shown(text)} is too large: Stripe takes at most {format_amount(MAX_AMOUNT, currency)}"
        )
    amount = parse_amount(text, currency)
    if amount == 0:
        return 0
    minimum = MIN_CHARGE.get(currency.lower(), DEFAULT_MIN_CHARGE)
    if amount < minimum:
        raise InvalidInput(
            f"price {_shown(text)} is below Stripe's minimum charge of {format_amount(minimum, currency)}"
            " (use 0 for a free item)"
        )
    if amount > MAX_AMOUNT:
        raise InvalidInput(
            f"price {_shown(text)} is too large: Stripe takes at most {format_amount(MAX_AMOUNT, currency)}"
        )
    return amount


def parse_offer(text: str, currency: str = "usd") -> tuple[int, bool]:
    """An admin's price with its kind: "19.99" is fixed; "5+" is pay what you want from 5.00 up;
    "0+" is free or whatever the reader wants to pay. Returns (price or minimum, pay_what_you_want)."""
    stripped = text.strip()
    if stripped.endswith("+"):
        return parse_price(stripped[:-1], currency), True
    return parse_price(stripped, currency), False


def parse_chosen_amount(text: str, currency: str, minimum: int) -> int:
    """What a reader typed as their price for a pay-what-you-want item, checked like an admin's price
    (decimals of the currency, Stripe's minimum charge and maximum) and against the item's minimum.
    0 is allowed only when the minimum is 0 (the reader takes the item for free)."""
    if not text.strip():
        raise InvalidInput(f"enter the amount you want to pay (at least {format_amount(minimum, currency)})")
    if len(text.strip()) > 20:  # refused before any arithmetic, like `parse_price`
        raise InvalidInput(f"the most one payment can be is {format_amount(MAX_AMOUNT, currency)}")
    try:
        amount = parse_amount(text, currency)
    except InvalidInput:
        raise InvalidInput(
            f"enter the amount as a number such as {to_decimal_text(max(minimum, 500), currency)}"
        ) from None
    if amount < minimum:
        raise InvalidInput(f"the price for this item is at least {format_amount(minimum, currency)}")
    floor = MIN_CHARGE.get(currency.lower(), DEFAULT_MIN_CHARGE)
    if 0 < amount < floor:
        raise InvalidInput(f"card payments start at {format_amount(floor, currency)}; pay that or more, or 0")
    if amount > MAX_AMOUNT:
        raise InvalidInput(f"the most one payment can be is {format_amount(MAX_AMOUNT, currency)}")
    return amount


def _shown(text: str) -> str:
    """The typed text as quoted in an error message, cut short so the message stays one line."""
    quoted = repr(" ".join(text.split()))  # repr also neutralises terminal escape sequences
    return quoted if len(quoted) <= 34 else quoted[:30] + "...'"


def as_decimal(amount: int, currency: str) -> Decimal:
    """Minor units as an exact `Decimal` of whole units (1899 eur -> 18.99), for Babel to format."""
    return Decimal(amount).scaleb(-decimals(currency))


def format_amount(amount: int, currency: str, locale: str | None = None) -> str:
    """Show minor units to people in their locale through Babel: 1999 usd -> "$19.99", 500 jpy ->
    "¥500", 1899 eur in "de" -> "18,99 €", 0 -> "Free"."""
    if amount == 0:
        return "Free"
    return _formatted(amount, currency.lower(), locale or DEFAULT_LOCALE)


def format_figure(amount: int, currency: str, locale: str | None = None) -> str:
    """An amount as a figure, 0 included ("$0.00", never "Free"): tax, net, refund and report columns,
    where a zero (a tax-exempt sale) is a number, not a price."""
    return _formatted(amount, currency.lower(), locale or DEFAULT_LOCALE)


@lru_cache(maxsize=4096)
def _formatted(amount: int, currency: str, locale: str) -> str:
    """Babel's formatting, kept: it parses CLDR patterns on each call (~40 µs), and a shop shows the
    same few prices over and over. CLDR shows some currencies with fewer digits than Stripe counts
    (ISK, HUF: none, where Stripe has two); its digits are used only when they lose nothing, so an
    amount with minor units (a share of tax refunded) is never shown rounded."""
    spare = max(decimals(currency) - get_currency_precision(currency.upper()), 0)
    whole = amount % 10**spare == 0
    return format_currency(
        as_decimal(amount, currency), currency.upper(), locale=locale, currency_digits=whole
    )


def format_offer(amount: int, currency: str, pay_what_you_want: bool, locale: str | None = None) -> str:
    """An item's price as shown: "$19.99", "Free", or for pay what you want "$5.00 or more" and
    "Free, or pay what you want"."""
    if not pay_what_you_want:
        return format_amount(amount, currency, locale)
    if amount == 0:
        return "Free, or pay what you want"
    return f"{format_amount(amount, currency, locale)} or more"


def to_decimal_text(amount: int, currency: str) -> str:
    """Minor units back to the plain text an admin would type ("19.99"), e.g. for CSV exports."""
    places = decimals(currency)
    if places == 0:
        return str(amount)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}"
