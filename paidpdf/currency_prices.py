"""Explicit prices in other currencies, beside a thing's main price (items, bundles, plans, codes).

Why a map beside the main price rather than a list of equal prices: the main `price`/`currency` stay
what every other area reads (orders, feeds, SEO, the creator API), and `prices` only adds what the
creator typed for other currencies (`content price ID 19.99 --also eur:18.99 --also gbp:15.99`):
`{"eur": 1899, "gbp": 1599}`, integer minor units in each currency's own decimals (`money`). Nothing
is ever converted here: a currency without an explicit price is not offered in it (unless Stripe's
Adaptive Pricing converts at checkout, see `sales.checkout_currency`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from babel.numbers import get_territory_currencies

from paidpdf.errors import InvalidInput
from paidpdf.money import check_currency, parse_amount, parse_offer, parse_price

#: The field holding the explicit prices in other currencies: {currency: minor units}.
PRICES = "prices"
#: At most this many other currencies per thing (a form, a page, a session stay small).
MAX_CURRENCIES = 40


def parse_spec(text: str, *, minimum_zero: bool = False) -> tuple[str, int]:
    """`eur:18.99` -> ("eur", 1899), parsed with the currency's decimals and Stripe's limits. With
    `minimum_zero` (the minimum of a pay-what-you-want item that is free at its base) 0 is allowed;
    otherwise the price must be a real charge."""
    code, sep, amount = text.partition(":")
    if not sep or not amount.strip():
        raise InvalidInput(f"invalid price {text.strip()[:30]!r}: write CURRENCY:AMOUNT such as eur:18.99")
    currency = check_currency(code)
    value = parse_price(amount, currency)
    if value == 0 and not minimum_zero:
        raise InvalidInput(f"the price in {currency.upper()} must be more than 0")
    return currency, value


def parse_amount_spec(text: str) -> tuple[str, int]:
    """An amount off in another currency (`eur:5`): any positive amount, no minimum charge."""
    code, sep, amount = text.partition(":")
    if not sep or not amount.strip():
        raise InvalidInput(f"invalid amount {text.strip()[:30]!r}: write CURRENCY:AMOUNT such as eur:5")
    currency = check_currency(code)
    value = parse_amount(amount, currency)
    if value <= 0:
        raise InvalidInput(f"the amount in {currency.upper()} must be more than 0")
    return currency, value


def merged(
    current: Mapping[str, Any] | None,
    base_currency: str,
    also: Sequence[str] = (),
    remove: Sequence[str] = (),
    *,
    minimum_zero: bool = False,
    amounts: bool = False,
) -> dict[str, int]:
    """The prices after `--also` (added or replaced) and `--remove` (dropped), checked whole: the
    base currency is the main price (not an extra one), a currency is named once, and removing one
    that has no price is an error so a typo does not pass silently."""
    base = base_currency.lower()
    prices = {str(c): int(v) for c, v in (current or {}).items()}
    gone = [check_currency(c) for c in remove]
    for code in gone:
        if code not in prices:
            raise InvalidInput(f"there is no price in {code.upper()} to remove")
        del prices[code]
    seen: set[str] = set()
    for spec in also:
        code, value = parse_amount_spec(spec) if amounts else parse_spec(spec, minimum_zero=minimum_zero)
        if code == base:
            raise InvalidInput(f"{code.upper()} is the main currency: set it as the main price instead")
        if code in seen or code in gone:
            raise InvalidInput(f"{code.upper()} is named twice")
        seen.add(code)
        prices[code] = value
    if len(prices) > MAX_CURRENCIES:
        raise InvalidInput(f"at most {MAX_CURRENCIES} other currencies")
    return dict(sorted(prices.items()))


def for_offer(
    current: Any, code: str, price: int, pwyw: bool, also: Sequence[str], remove: Sequence[str]
) -> dict[str, int]:
    """An item's other prices after a change (`merged`): a free item has none (free is free
    everywhere); a pay-what-you-want item's are its minimum in each currency (0 only when its main
    minimum is 0 too)."""
    if price == 0 and not pwyw:
        if also:
            raise InvalidInput("a free item has no prices in other currencies")
        return {}
    return merged(current, code, also, remove, minimum_zero=pwyw and price == 0)


def price_changes(
    current: Mapping[str, Any], price_text: str | None, code: str, also: Sequence[str], remove: Sequence[str]
) -> dict[str, Any]:
    """An item's price fields after `content price`: the main price typed (None keeps it, allowed
    only while the item is still in the shop's currency) and its other prices (`for_offer`)."""
    if price_text is None and current.get("currency") != code:
        raise InvalidInput(f"give the price in {code.upper()}, the shop's currency, too")
    if price_text is not None:
        price, pwyw = parse_offer(price_text, code)
    else:
        price, pwyw = int(current["price"]), bool(current.get("pay_what_you_want"))
    prices = for_offer(current.get(PRICES), code, price, pwyw, also, remove)
    return {"price": price, "currency": code, "pay_what_you_want": pwyw, "prices": prices}


def prices_of(doc: Mapping[str, Any]) -> dict[str, int]:
    """Every price of a thing, main currency first: {"usd": 1999, "eur": 1899, ...}."""
    main = {str(doc["currency"]).lower(): int(doc["price"])}
    return {**main, **{str(c): int(v) for c, v in (doc.get(PRICES) or {}).items() if c not in main}}


def price_in(doc: Mapping[str, Any], currency: str) -> int | None:
    """The thing's explicit price in `currency`, or None when it has none there (what `prices_of`
    holds for it, without building the whole dict: asked per item per page)."""
    code = currency.lower()
    if str(doc["currency"]).lower() == code:
        return int(doc["price"])
    found = (doc.get(PRICES) or {}).get(code)
    return None if found is None else int(found)


def in_currency(doc: Mapping[str, Any], currency: str) -> dict[str, Any] | None:
    """The thing as sold in `currency` (its `price` and `currency` set to that price), or None when
    it has no explicit price there. A free item is free everywhere."""
    code = currency.lower()
    if int(doc.get("price") or 0) == 0 and not doc.get("pay_what_you_want"):
        return {**doc}
    amount = price_in(doc, code)
    if amount is None:
        return None
    return {**doc, "price": amount, "currency": code, "base_price": int(doc["price"]),
            "base_currency": str(doc["currency"]).lower()}


def shown_in(doc: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """The thing as a page shows it to a visitor of `currency`: in that currency when it has a
    price there, else in its main currency."""
    return in_currency(doc, currency) or {**doc}


def currencies_in(docs: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every currency some of `docs` has a price in, sorted (for the site's currency selector)."""
    return sorted({c for d in docs for c in prices_of(d)})


def currency_for_country(country: str | None, offered: Collection[str]) -> str | None:
    """The currency a visitor from `country` (ISO 3166 alpha-2, as CF-IPCountry sends it) pays in,
    when the shop offers it: the country's legal tender today per Babel's CLDR territory data (DE ->
    eur, PA -> pab then usd). None for unknown or placeholder countries (XX, T1) and for currencies
    the shop does not offer."""
    code = (country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        return None
    for currency in get_territory_currencies(code):
        if currency.lower() in offered:
            return currency.lower()
    return None


def pick(chosen: str | None, country: str | None, offered: Collection[str], default: str) -> str:
    """The visitor's currency: their own choice (the selector's cookie) when the shop offers it, else
    their country's currency when offered, else the shop's default."""
    wanted = (chosen or "").strip().lower()
    if wanted in offered:
        return wanted
    return currency_for_country(country, offered) or default.lower()
