"""Tax arithmetic on integers: the tax a refund gives back, the rate the report infers, and the
facts an order keeps from a completed session."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise

from hypothesis import example, given
from hypothesis import strategies as st

from paidpdf.clock import iso
from paidpdf.sales.tax_amounts import refunded_tax, session_facts
from paidpdf.sales.tax_report import inferred_rate, membership_sales, tax_report
from paidpdf.stripe_local.tax_rates import COUNTRY_BPS, US_STATE_BPS, tax_of

AMOUNT = st.integers(min_value=0, max_value=99_999_999)


@given(st.data())
def test_refunds_give_back_their_tax_share_never_more_than_collected(data: st.DataObject) -> None:
    total = data.draw(st.integers(min_value=1, max_value=99_999_999), "total")
    tax = data.draw(st.integers(min_value=0, max_value=total), "tax")
    parts = data.draw(st.lists(st.integers(min_value=1, max_value=total), max_size=6), "refunds")
    given_back = 0
    refunded = 0
    for part in parts:  # each refund's share is the growth of the cumulative share
        refunded = min(total, refunded + part)
        share = refunded_tax(tax, total, refunded) - given_back
        assert isinstance(share, int) and share >= 0
        given_back += share
        assert given_back <= tax
        assert given_back * total <= tax * refunded  # rounded down: never ahead of the proportion
    assert refunded_tax(tax, total, total) == tax  # a full refund gives back exactly what was collected
    assert refunded_tax(tax, total, total + 5) == tax


@given(AMOUNT, AMOUNT, AMOUNT)
def test_refunded_tax_is_bounded(tax: int, total: int, refunded: int) -> None:
    back = refunded_tax(tax, total, refunded)
    assert 0 <= back <= max(tax, 0)
    if total and tax <= total:
        assert back <= refunded


RATES = sorted({*COUNTRY_BPS.values(), *US_STATE_BPS.values()})


@given(st.integers(min_value=1_000, max_value=99_999_999), st.sampled_from(RATES), st.booleans())
@example(1140, 810, True)  # 85 of tax on 10.55: 8% and 8.1% both give it
def test_the_report_infers_each_test_rate_from_integer_amounts(
    amount: int, bps: int, inclusive: bool
) -> None:
    mode = "inclusive" if inclusive else "exclusive"
    tax = tax_of(amount, bps, mode)
    net = amount - tax if inclusive else amount
    expected = f"{bps / 100:.2f}".rstrip("0").rstrip(".")
    shown = inferred_rate(tax, net)
    assert shown is not None
    # the rate shown always gives back the tax charged, to the minor unit Stripe rounds to
    assert abs(tax_of(amount, int(Decimal(shown) * 100), mode) - tax) <= 1
    if net >= 20_000:  # below, a rounded tax fits a simpler rate too (8.1% of 10.55 is 0.85, as is 8%)
        assert shown == expected


def test_no_tax_has_no_rate() -> None:
    assert inferred_rate(0, 1000) is None and inferred_rate(5, 0) is None


def test_session_facts_keep_stripe_integers_and_drop_junk() -> None:
    session = {
        "amount_subtotal": 499,
        "amount_total": 499,
        "total_details": {"amount_discount": 0, "amount_tax": 80, "amount_shipping": 0},
        "customer_details": {
            "address": {"country": "de", "state": None},
            "tax_ids": [{"type": "eu_vat", "value": "DE123456789"}, "junk", {"type": "x"}],
        },
        "invoice": "in_123",
    }
    facts = session_facts(session)
    assert facts["subtotal"] == 499 and facts["tax"] == 80 and facts["total"] == 499
    assert facts["buyer_country"] == "DE" and facts["tax_ids"] == [{"type": "eu_vat", "value": "DE123456789"}]
    assert facts["invoice"] == "in_123"
    odd = session_facts({"amount_total": 1.5, "total_details": {"amount_tax": True}, "invoice": {"id": "x"}})
    assert odd["total"] == 0 and odd["tax"] == 0 and odd["invoice"] is None and odd["buyer_country"] is None


INVOICE = st.fixed_dictionaries(
    {
        "amount_paid": st.integers(min_value=0, max_value=99_999),
        "tax": st.integers(min_value=0, max_value=20_000),
        "currency": st.sampled_from(["usd", "eur", "jpy"]),
        "buyer_country": st.sampled_from(["DE", "FR", "US"]),
        "tax_behavior": st.sampled_from(["inclusive", "exclusive", None]),
        "paid_at": st.sampled_from(["2026-11-02T10:00:00Z", None]),
    }
)


@given(st.lists(INVOICE, max_size=12))
def test_membership_invoices_count_per_currency_and_an_invoice_for_nothing_is_no_sale(
    invoices: list[dict[str, object]],
) -> None:
    """`membership_sales` keeps each paid invoice with money in its own currency's rows: the report's
    sums per currency equal the invoices' own sums per currency, never mixed."""
    rows = tax_report(
        membership_sales(invoices),
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    sold = [i for i in invoices if i["paid_at"] and int(str(i["amount_paid"])) > 0]
    for currency in ("usd", "eur", "jpy"):
        mine = [i for i in sold if i["currency"] == currency]
        theirs = [r for r in rows if r["currency"] == currency]
        assert sum(r["sales"] for r in theirs) == len(mine)
        assert sum(r["gross"] for r in theirs) == sum(int(str(i["amount_paid"])) for i in mine)


@given(
    st.integers(min_value=1, max_value=1_000_000),
    st.integers(min_value=0, max_value=2_500),
    st.lists(st.integers(min_value=1, max_value=400_000), min_size=1, max_size=4),
)
def test_each_period_reports_its_own_refunds_and_the_periods_add_up(
    net: int, bps: int, refunds: list[int]
) -> None:
    """Refunds spread over months: each month's report counts only the refunds made in it (a partial
    refund in October is not counted again in January), a past month's report reads the same later,
    and the months together give back exactly the tax share of everything refunded."""
    tax = net * bps // 10_000
    total = net + tax
    months = [datetime(2026, 10 + i, 1, tzinfo=UTC) if i < 3 else datetime(2027, i - 2, 1, tzinfo=UTC)
              for i in range(len(refunds) + 1)]
    steps, running = [], 0
    for month, amount in zip(months, refunds, strict=False):
        running = min(total, running + amount)
        steps.append([iso(month.replace(day=15)), running])
    order = {"paid_at": iso(months[0].replace(day=2)), "currency": "eur", "amount": net,
             "total": total, "tax": tax, "tax_behavior": "exclusive", "buyer_country": "DE",
             "refunded_amount": running, "refund_steps": steps}
    reported = [tax_report([order], start, end) for start, end in pairwise(months)]
    assert sum(r["refunded"] for rows in reported for r in rows) == running
    assert sum(r["refunded_tax"] for rows in reported for r in rows) == refunded_tax(tax, total, running)
    previous = 0
    for rows, (_, by_then) in zip(reported, steps, strict=True):  # each month: its own refund only
        assert sum(r["refunded"] for r in rows) == by_then - previous
        previous = by_then
