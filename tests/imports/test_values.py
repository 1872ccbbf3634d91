"""The export's money and date cells: property tests (hypothesis) and the platforms' own examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paidpdf.imports import values
from paidpdf.imports.values import BadValue


@given(st.integers(min_value=0, max_value=10**12))
def test_dollars_as_gumroad_writes_them_come_back_as_the_cents(cents: int) -> None:
    # Gumroad: (cents.to_f / 100).round(2).to_s; Python's repr of the float is the same shortest form
    assert values.major_to_minor(repr(round(cents / 100, 2))) == cents
    assert values.major_to_minor(f"{cents // 100}.{cents % 100:02d}") == cents


@given(st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False))
def test_any_decimal_rounds_half_up_to_the_cent(amount: Decimal) -> None:
    text = format(amount, "f")
    expected = int((amount * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert values.major_to_minor(text) == expected
    assert isinstance(values.major_to_minor(text), int)


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["USD", "EUR", "JPY", "KWD"]))
def test_minor_units_are_taken_as_they_are(minor: int, currency: str) -> None:
    assert values.minor_amount(str(minor), currency) == minor


@given(
    st.text(max_size=12).filter(
        lambda t: not t.strip().lstrip("$€£").replace(",", "").replace(".", "", 1).lstrip("-").isdigit()
    )
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(BadValue):
        values.major_to_minor(text)


@given(st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2100, 1, 1)))
def test_every_date_form_reads_as_the_same_moment(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert values.moment(moment.strftime("%Y-%m-%d %H:%M:%S +0000")) == stamp  # Gumroad's purchase time
    assert values.moment(moment.strftime("%Y-%m-%d %H:%M:%S UTC")) == stamp
    assert values.moment(moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")) == stamp  # Lemon Squeezy's API
    assert values.moment(str(int(moment.timestamp()))) == stamp  # Payhip's epoch seconds
    assert values.moment(moment.strftime("%Y-%m-%d")) == moment.strftime("%Y-%m-%dT00:00:00Z")
    later = moment + timedelta(hours=2)
    assert values.moment(later.strftime("%Y-%m-%d %H:%M:%S +0200")) == stamp


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2024-13-01", "2024-02-30", "01/03/2024", "12", "2024-03-01 25:00"]
)
def test_bad_dates_refused(text: str) -> None:
    with pytest.raises(BadValue):
        values.moment(text)


def test_platform_examples() -> None:
    assert values.major_to_minor("39.2") == 3920 and values.major_to_minor("0.31") == 31
    assert values.major_to_minor("0.30000000000000004") == 30  # float noise in Item Price ($)
    assert values.minor_amount("9.99", "EUR") == 999  # a dashboard's major units
    assert values.minor_amount("1000", "JPY") == 1000 and values.major_to_minor("1000", "JPY") == 1000
    assert values.clean("'-xyz==") == "-xyz==" and values.clean("'plain") == "'plain"
    assert values.flag("1") and not values.flag("0") and not values.flag("")
    with pytest.raises(BadValue):
        values.flag("maybe")
