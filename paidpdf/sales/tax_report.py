"""The tax report (`paidpdf orders tax-report`): what an EU OSS or a US state return asks for, from the
orders' own figures (Stripe's amounts, kept at fulfilment by `tax_amounts.session_facts`).

One row per currency, place (country, or with `by="jurisdiction"` a US state as `US-WA`) and rate:
sales (count, gross charged, net of tax, tax), and the refunds made in the period (count, refunded,
the tax share given back, `tax_amounts.refunded_tax`). Amounts are never added across currencies: the
currency is part of every row's key. A sale counts in the period it was paid in; a refund in the period
of its latest refund (a sale paid in October and refunded in January is in both reports).

Stripe's session gives the tax amount, not the rate: the rate is inferred as the simplest percentage
(whole, else half, quarter, tenth, hundredth of a percent) whose tax on the net amount rounds to that
tax (docs/tax.md). Orders paid with tax off appear too, with no tax and no rate.

Membership invoices (first and renewals, and a pass's payment) are sales too: `membership_sales` reads
the invoices the memberships keep into the same shape, so they count per currency, place and rate
beside the orders, their refunds in the period of the refund.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from paidpdf.clock import parse_iso
from paidpdf.sales.tax_amounts import charged, refunded_tax

BY = ("country", "jurisdiction")


def inferred_rate(tax: int, net: int) -> str | None:
    """The rate as text (`19`, `25.5`, `8.1`, in percent) of `tax` on `net`, or None without tax."""
    if tax <= 0 or net <= 0:
        return None
    exact = Fraction(tax, net) * 100
    # Stripe rounds to the minor unit: the tax (exclusive) or the net (inclusive, which moves the
    # tax by up to (1 + rate) / 2 units); 0.65 of a unit covers both for rates up to 30%.
    low, high = Fraction(20 * tax - 13, 20 * net) * 100, Fraction(20 * tax + 13, 20 * net) * 100
    for step in (Fraction(1), Fraction(1, 2), Fraction(1, 4), Fraction(1, 10), Fraction(1, 100)):
        nearest = round(exact / step) * step
        if low <= nearest <= high:
            return _percent(nearest)
    return _percent(round(exact * 100) / Fraction(100))


def _percent(value: Fraction) -> str:
    return f"{Decimal(value.numerator) / Decimal(value.denominator):.2f}".rstrip("0").rstrip(".")


def _place(order: Mapping[str, Any], by: str) -> str:
    country = str(order.get("buyer_country") or "") or "unknown"
    state = order.get("buyer_state")
    if by == "jurisdiction" and country == "US" and isinstance(state, str) and state:
        return f"US-{state}"
    return country


def _refund_steps(order: Mapping[str, Any]) -> list[tuple[datetime, int]]:
    """(when, refunded total by then) of each refund change; an order refunded before the steps were
    kept has one step: its latest refund's time and its refunded total."""
    steps = [(parse_iso(str(at)), int(total)) for at, total in order.get("refund_steps") or []]
    if steps:
        return steps
    stamps = [h["at"] for h in order.get("history") or [] if h.get("event") == "refund" and h.get("at")]
    refunded = int(order.get("refunded_amount") or 0)
    return [(parse_iso(max(stamps)), refunded)] if stamps and refunded else []


def _refunded_by(steps: list[tuple[datetime, int]], moment: datetime) -> int:
    """The refunded total just before `moment` (the latest step before it: a failed refund lowers it)."""
    found = [total for at, total in steps if at < moment]
    return found[-1] if found else 0


def _in(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def tax_report(
    orders: Iterable[Mapping[str, Any]], start: datetime, end: datetime, by: str = "country"
) -> list[dict[str, Any]]:
    """The report's rows for sales paid, and refunds made, from `start` (included) to `end` (excluded)."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for order in orders:
        if not order.get("paid_at"):
            continue
        total = charged(order)
        tax = int(order.get("tax") or 0)
        steps = _refund_steps(order)
        before, by_end = _refunded_by(steps, start), _refunded_by(steps, end)
        sold = _in(parse_iso(str(order["paid_at"])), start, end)
        refunded_now = by_end != before  # refunds made (or failed back) in this period, and only those
        if not sold and not refunded_now:
            continue
        rate = inferred_rate(tax, total - tax) if order.get("tax_behavior") else None
        key = (str(order["currency"]), _place(order, by), rate or "")
        row = rows.setdefault(key, _empty(*key))
        if sold:
            row["sales"] += 1
            row["gross"] += total
            row["net"] += total - tax
            row["tax"] += tax
        if refunded_now:
            # the period's share: what was back by its end less what was back by its start (exact, and
            # never more tax than collected however the refunds are spread over periods)
            row["refunds"] += 1 if by_end > before else 0
            row["refunded"] += min(by_end, total) - min(before, total)
            row["refunded_tax"] += refunded_tax(tax, total, by_end) - refunded_tax(tax, total, before)
    for row in rows.values():
        row["tax_due"] = row["tax"] - row["refunded_tax"]
        row["net_after_refunds"] = row["net"] - (row["refunded"] - row["refunded_tax"])
    return [rows[k] for k in sorted(rows)]


def membership_sales(invoices: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Paid membership invoices (`memberships.invoices`) as the report reads a sale; an invoice for
    nothing (a trial's first) is no sale."""
    for inv in invoices:
        paid = int(inv.get("amount_paid") or 0)
        if not inv.get("paid_at") or paid <= 0:
            continue
        refunded_at = inv.get("refunded_at")
        yield {
            "paid_at": inv["paid_at"],
            "amount": paid,
            "total": paid,
            "tax": int(inv.get("tax") or 0),
            "tax_behavior": inv.get("tax_behavior"),
            "currency": str(inv["currency"]),
            "buyer_country": inv.get("buyer_country"),
            "buyer_state": inv.get("buyer_state"),
            "refunded_amount": int(inv.get("refunded_amount") or 0),
            "history": [{"event": "refund", "at": refunded_at}] if refunded_at else [],
        }


def _empty(currency: str, place: str, rate: str) -> dict[str, Any]:
    return {
        "currency": currency,
        "place": place,
        "rate": rate or None,
        "sales": 0,
        "gross": 0,
        "net": 0,
        "tax": 0,
        "refunds": 0,
        "refunded": 0,
        "refunded_tax": 0,
    }
