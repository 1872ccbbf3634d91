"""No sum ever crosses currencies: over random orders and memberships in several currencies (paid,
refunded in part or whole, disputed, pending), stored on both backends, every figure `orders stats`
shows per currency equals that currency's own orders, and only theirs."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import Result

from paidpdf.memberships import member_stats
from paidpdf.sales import sales_stats
from paidpdf.store import SALES, DataStore

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL

CURRENCIES = ["usd", "eur", "gbp", "jpy", "kwd"]
ORDER = st.fixed_dictionaries(
    {
        "currency": st.sampled_from(CURRENCIES),
        "amount": st.integers(min_value=50, max_value=99_999_999),
        "status": st.sampled_from(["paid", "paid", "paid", "refunded", "pending", "disputed", "flagged"]),
        "refund_share": st.integers(min_value=0, max_value=100),
        "item": st.sampled_from(["a", "b", "c"]),
        "day": st.integers(min_value=1, max_value=3),
    }
)
SUB = st.fixed_dictionaries(
    {
        "currency": st.sampled_from(CURRENCIES),
        "amount": st.integers(min_value=50, max_value=9_999_999),
        "interval": st.sampled_from(["month", "year"]),
    }
)


def _write(store: DataStore, rows: list[dict[str, Any]], subs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replace the orders and subscriptions with these; returns the orders as stored."""
    stored = []
    with store.unit(SALES) as unit:
        for table in ("orders", "subscriptions"):
            for old in unit.all(table):
                unit.delete(table, old["id"])
        for n, row in enumerate(rows):
            refunded = row["amount"] * row["refund_share"] // 100 if row["status"] == "paid" else 0
            order = {
                "id": f"ord_{n:04d}", "status": row["status"], "content_id": row["item"], "user_id": "usr_x",
                "amount": row["amount"], "currency": row["currency"], "refunded_amount": refunded,
                "created_at": f"2026-11-0{row['day']}T10:00:00Z",
                "paid_at": f"2026-11-0{row['day']}T10:00:01Z",
                "history": [],
            }
            stored.append(unit.insert("orders", order))
        for n, sub in enumerate(subs):
            unit.insert("subscriptions", {
                "id": f"sub_{n:04d}", "user_id": f"usr_{n}", "status": "active", "kind": "subscription",
                "access_status": "active", "amount": sub["amount"], "currency": sub["currency"],
                "interval": sub["interval"], "plan_id": "all", "created_at": "2026-11-01T00:00:00Z",
                "current_period_end": "2999-01-01T00:00:00Z", "access_until": "2999-01-01T00:00:00Z",
            })
    return stored


def _expected(orders: list[dict[str, Any]]) -> tuple[dict[str, list[int]], dict[tuple[str, str], int]]:
    per_currency: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_item: dict[tuple[str, str], int] = defaultdict(int)
    for order in orders:
        if order["status"] != "paid":
            continue
        net = order["amount"] - order["refunded_amount"]
        per_currency[order["currency"]][0] += 1
        per_currency[order["currency"]][1] += net
        per_item[(order["content_id"], order["currency"])] += net
    return dict(per_currency), dict(per_item)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ORDER, max_size=25), st.lists(SUB, max_size=6))
def test_no_sum_crosses_currencies(
    store: DataStore, rows: list[dict[str, Any]], subs: list[dict[str, Any]]
) -> None:
    orders = _write(store, rows, subs)
    stats = sales_stats.compute(store.view(SALES))
    per_currency, per_item = _expected(orders)
    assert {c: [b.sales, b.revenue] for c, b in stats.totals.items()} == per_currency
    assert {k: b.revenue for k, b in stats.per_item.items()} == per_item
    for currency in CURRENCIES:  # the days of a currency add up to that currency's total, and no more
        days = [b.revenue for (_, c), b in stats.per_day.items() if c == currency]
        assert sum(days) == (per_currency.get(currency, [0, 0])[1])
        assert stats.peak_day(currency) == max(days, default=0)
    shown = stats.as_json()
    rows_shown = [row for key in ("totals", "per_item", "per_day") for row in shown[key]]
    assert all(row["currency"] in CURRENCIES for row in rows_shown)
    mrr: dict[str, int] = defaultdict(int)
    for sub in subs:
        mrr[sub["currency"]] += sub["amount"] // 12 if sub["interval"] == "year" else sub["amount"]
    assert member_stats.compute(store.view(SALES)).mrr == dict(mrr)


def test_the_stats_command_shows_each_currency_on_its_own(
    store: DataStore, cli: Callable[..., Result]
) -> None:
    _write(store, [
        {"currency": "jpy", "amount": 800, "status": "paid", "refund_share": 0, "item": "a", "day": 1},
        {"currency": "eur", "amount": 450, "status": "paid", "refund_share": 0, "item": "a", "day": 1},
        {"currency": "eur", "amount": 1000, "status": "paid", "refund_share": 50, "item": "b", "day": 2},
    ], [])
    result = cli("orders", "stats", "--json")
    assert result.exit_code == 0, result.stderr
    totals = {t["currency"]: t["revenue"] for t in json.loads(result.stdout)["totals"]}
    assert totals == {"eur": 950, "jpy": 800}
    table = cli("orders", "stats").stdout
    assert "€9.50" in table and "¥800" in table and "1,750" not in table and "17.50" not in table
