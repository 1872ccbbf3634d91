"""Prices typed by admins become exact integer minor units; everything else is refused clearly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paidpdf.errors import InvalidInput
from paidpdf.money import (
    MAX_AMOUNT,
    ZERO_DECIMAL,
    format_amount,
    format_figure,
    parse_amount,
    parse_price,
    to_decimal_text,
)

PAID_USD = st.decimals(min_value=Decimal("0.50"), max_value=Decimal("999999.99"), places=2)


@given(PAID_USD)
@example(Decimal("19.99"))
@example(Decimal("0.29") + Decimal("0.50"))
@example(Decimal("1.10"))
@example(Decimal("999999.99"))
def test_two_place_decimals_become_exact_cents(value: Decimal) -> None:
    expected = int(value * 100)
    assert Decimal(expected) == value * 100
    assert parse_price(format(value, "f")) == expected
    # The same amount typed without trailing zeros ("19.9", "20") is the same price.
    assert parse_price(format(value.normalize(), "f")) == expected


def test_the_classic_float_traps_are_exact() -> None:
    assert parse_price("19.99") == 1999
    assert parse_amount("0.29") == 29  # float: int(0.29 * 100) == 28
    assert parse_amount("1.15") == 115  # float: int(1.15 * 100) == 114
    assert parse_price("4.35") == 435  # float: int(4.35 * 100) == 434
    assert parse_price("0.50") == 50
    assert parse_price(" 7.5 ") == 750


@given(st.integers(min_value=50, max_value=MAX_AMOUNT))
def test_decimal_text_round_trips(amount: int) -> None:
    assert parse_price(to_decimal_text(amount, "usd")) == amount


@given(
    st.integers(min_value=50, max_value=MAX_AMOUNT),
    st.sampled_from(["usd", "eur", "gbp", "jpy", "sek", "isk", "huf", "idr"]),
)
@example(150050, "isk")  # CLDR shows ISK, HUF and IDR with no decimals where Stripe counts two
@example(123456, "huf")
def test_what_people_see_parses_back(amount: int, currency: str) -> None:
    if currency == "gbp" and amount < 30:
        return
    for shown in (format_amount(amount, currency), format_figure(amount, currency)):
        digits = "".join(c for c in shown if c.isdigit() or c == ".")
        assert Decimal(digits) == Decimal(to_decimal_text(amount, currency))  # never rounded for display


@given(st.integers(min_value=50, max_value=MAX_AMOUNT), st.sampled_from(sorted(ZERO_DECIMAL)))
def test_zero_decimal_currencies_take_whole_units(amount: int, currency: str) -> None:
    assert parse_price(str(amount), currency) == amount
    assert parse_price(f"{amount}.00", currency) == amount
    with pytest.raises(InvalidInput, match="whole units"):
        parse_price(f"{amount}.5", currency)


@given(st.text(max_size=40))
@example("1.00000000000000000000000000001")
@example("9" * 5000)
def test_any_text_is_a_valid_amount_or_a_clear_error(text: str) -> None:
    try:
        amount = parse_price(text)
    except InvalidInput as exc:
        assert "\n" not in str(exc)
        assert len(str(exc)) < 160
        return
    assert isinstance(amount, int)
    assert amount == 0 or 50 <= amount <= MAX_AMOUNT


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-1", "plain amount"),
        ("1.999", "at most 2 decimals"),
        ("abc", "plain amount"),
        ("nan", "plain amount"),
        ("NaN", "plain amount"),
        ("inf", "plain amount"),
        ("1e3", "plain amount"),
        ("0.10", "minimum charge"),
        ("0.49", "minimum charge"),
        ("1000000", "too large"),
        ("99999999999999999999", "too large"),
        ("1,000", "plain amount"),
        ("$5", "plain amount"),
        ("+5", "plain amount"),
        (".5", "plain amount"),
        ("5.", "plain amount"),
        ("05", "plain amount"),
        ("", "plain amount"),
        ("１２", "plain amount"),
        ("1.00000000000000000000000000001", "at most 2 decimals"),
    ],
)
def test_bad_prices_are_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_price(text)


def test_zero_and_free_mean_free() -> None:
    assert parse_price("0") == 0
    assert parse_price("0.00") == 0
    assert parse_price("free") == 0
    assert parse_price("FREE") == 0
    assert format_amount(0, "usd") == "Free"


def test_formatting() -> None:
    assert format_amount(0, "usd") == "Free" and format_figure(0, "usd") == "$0.00"  # a price / a figure
    assert format_figure(0, "jpy") == "¥0" and format_amount(150000, "isk") == "ISK1,500"
    assert format_amount(1999, "usd") == "$19.99"
    assert format_amount(123456789, "eur") == "€1,234,567.89"
    assert format_amount(500, "jpy") == "¥500"
    assert format_amount(1999, "sek") == "SEK19.99"  # CLDR's English pattern, through Babel
    assert to_decimal_text(5, "usd") == "0.05"
    assert to_decimal_text(500, "jpy") == "500"
