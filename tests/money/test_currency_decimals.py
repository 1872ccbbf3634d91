"""Each currency with its own decimals (Babel's CLDR data, Stripe's exponents), shown per locale by Babel."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import parse_decimal
from hypothesis import given
from hypothesis import strategies as st

from paidpdf.errors import InvalidInput
from paidpdf.money import (
    MAX_AMOUNT,
    as_decimal,
    check_currency,
    decimals,
    format_amount,
    format_offer,
    parse_amount,
    parse_price,
    to_decimal_text,
    typed_decimals,
)

CURRENCIES = ["usd", "eur", "gbp", "jpy", "krw", "isk", "huf", "kwd", "chf", "sek", "brl", "inr"]
LOCALES = ["en", "de", "fr", "es", "ja", "en_GB", "de_CH"]


def test_each_currency_takes_its_own_decimals() -> None:
    assert parse_price("18.99", "eur") == 1899
    assert parse_price("1500", "jpy") == 1500
    with pytest.raises(InvalidInput, match="JPY prices take whole units"):
        parse_price("15.5", "jpy")
    # ISK has no decimals in CLDR, but Stripe counts it in hundredths: 1500 ISK is sent as 150000.
    assert parse_price("1500", "isk") == 150000
    with pytest.raises(InvalidInput, match="ISK prices take whole units"):
        parse_price("1500.5", "isk")
    # KWD has three decimals; Stripe wants the last one 0, so two may be typed.
    assert parse_price("4.25", "kwd") == 4250
    with pytest.raises(InvalidInput, match="at most 2 decimals"):
        parse_price("4.255", "kwd")
    assert (decimals("jpy"), decimals("eur"), decimals("kwd"), decimals("isk")) == (0, 2, 3, 2)
    assert (typed_decimals("jpy"), typed_decimals("eur"), typed_decimals("isk")) == (0, 2, 0)


def test_codes_are_checked_like_stripe() -> None:
    assert check_currency(" EUR ") == "eur"
    for bad in ("xyz", "euro", "e1r", ""):
        with pytest.raises(InvalidInput, match="three-letter ISO code"):
            check_currency(bad)


def test_formatting_follows_the_locale() -> None:
    assert format_amount(1899, "eur", "de") == "18,99\xa0€"
    assert format_amount(1599, "gbp", "en") == "£15.99"
    assert format_amount(1599, "gbp") == "£15.99"  # the shop's default locale: English
    assert format_amount(1500, "jpy", "ja") == "￥1,500"
    assert format_amount(1500, "jpy") == "¥1,500"
    assert format_amount(150000, "isk") == "ISK1,500"
    assert format_amount(123456789, "eur", "fr") == "1\u202f234\u202f567,89\xa0€"
    assert format_offer(500, "eur", True, "de") == "5,00\xa0€ or more"
    assert format_amount(0, "eur", "de") == "Free"


@given(
    st.integers(min_value=0, max_value=MAX_AMOUNT),
    st.sampled_from(CURRENCIES),
)
def test_typed_text_round_trips(amount: int, currency: str) -> None:
    # Only amounts a person could type: whole units where the currency has none.
    step = 10 ** (decimals(currency) - typed_decimals(currency))
    amount -= amount % step
    assert parse_amount(to_decimal_text(amount, currency), currency) == amount
    assert as_decimal(amount, currency) * 10 ** decimals(currency) == amount


@given(
    st.integers(min_value=1, max_value=MAX_AMOUNT),
    st.sampled_from(CURRENCIES),
    st.sampled_from(LOCALES),
)
def test_what_babel_shows_parses_back_in_the_same_locale(amount: int, currency: str, locale: str) -> None:
    step = 10 ** (decimals(currency) - typed_decimals(currency))
    amount -= amount % step
    if amount == 0:
        return
    shown = format_amount(amount, currency, locale)
    number = "".join(c for c in shown if c.isdigit() or c in ".,'\u2019\u202f\xa0 ").strip(" \xa0\u202f")
    value = parse_decimal(number, locale=locale, strict=False)
    assert isinstance(value, Decimal)
    assert value == as_decimal(amount, currency)  # Decimal equality ignores trailing zeros
