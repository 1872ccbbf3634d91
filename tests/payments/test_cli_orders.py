"""`paidpdf orders list/show/stats` on real data files (orders made through the real domain)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from typer.testing import Result

from paidpdf.sales import fulfilment, orders
from paidpdf.store import Doc, Store
from paidpdf.testing.stripe_objects import session_for
from tests.payments.helpers import add_item, add_user

Cli = Callable[..., Result]
BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL


@pytest.fixture
def sold(store: Store) -> list[Doc]:
    add_item(store, "guide", 1999)
    add_item(store, "atlas", 500)
    alice = add_user(store, "alice@example.com", "usr_alice")
    bob = add_user(store, "bob@example.com", "usr_bob")
    made = []
    for user, item, amount in ((alice, "guide", 1999), (bob, "guide", 1999), (bob, "atlas", 500)):
        order = orders.create_pending(
            store,
            user_id=user["id"],
            buyer=user["email"],
            content_id=item,
            amount=amount,
            currency="usd",
            livemode=False,
        )
        made.append(order)
    fulfilment.fulfil(store, session_for(made[0]), livemode=False)
    fulfilment.fulfil(store, session_for(made[2]), livemode=False)
    return made


def test_list_json_filters(cli: Cli, sold: list[Doc]) -> None:
    result = cli("orders", "list", "--json", "--status", "paid")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["id"] for r in rows} == {sold[0]["id"], sold[2]["id"]}
    assert all(isinstance(r["amount"], int) for r in rows)
    for key in (
        "id",
        "status",
        "content_id",
        "buyer",
        "amount",
        "currency",
        "stripe_session_id",
        "stripe_payment_intent",
        "created_at",
        "paid_at",
    ):
        assert key in rows[0]
    bob = json.loads(cli("orders", "list", "--json", "--user", "BOB@example.com").stdout)
    assert {r["id"] for r in bob} == {sold[1]["id"], sold[2]["id"]}
    atlas = json.loads(cli("orders", "list", "--json", "--content", "atlas").stdout)
    assert [r["id"] for r in atlas] == [sold[2]["id"]]
    assert json.loads(cli("orders", "list", "--json", "--since", "2999-01-01").stdout) == []


def test_list_csv_has_integer_and_decimal_amounts(cli: Cli, sold: list[Doc]) -> None:
    result = cli("orders", "list", "--csv", "--content", "guide")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["amount"], r["amount_decimal"]) for r in rows] == [("1999", "19.99"), ("1999", "19.99")]


def test_bad_input_is_one_line_and_nonzero(cli: Cli, sold: list[Doc]) -> None:
    for args in (
        ("orders", "list", "--status", "nope"),
        ("orders", "list", "--since", "yesterday"),
        ("orders", "list", "--json", "--csv"),
        ("orders", "show", "ord_missing"),
    ):
        result = cli(*args)
        assert result.exit_code != 0
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr


def test_show_has_stripe_ids_and_history(cli: Cli, sold: list[Doc]) -> None:
    shown = json.loads(cli("orders", "show", sold[0]["id"], "--json").stdout)
    assert shown["status"] == "paid"
    assert shown["stripe_payment_intent"] == "pi_" + sold[0]["id"][4:]
    assert [h["event"] for h in shown["history"]] == ["created", "paid"]
    people = cli("orders", "show", sold[0]["id"])
    assert people.exit_code == 0 and "History" in people.stdout and "pi_" in people.stdout


def test_stats(cli: Cli, sold: list[Doc]) -> None:
    stats = json.loads(cli("orders", "stats", "--json").stdout)
    assert stats["totals"] == [{"currency": "usd", "sales": 2, "revenue": 2499}]
    assert {(r["content_id"], r["revenue"]) for r in stats["per_item"]} == {("guide", 1999), ("atlas", 500)}
    assert stats["statuses"] == {"paid": 2, "pending": 1}
    people = cli("orders", "stats")
    assert people.exit_code == 0 and "$24.99" in people.stdout and "Per day" in people.stdout


def test_refund_refuses_unpaid_and_without_yes(cli: Cli, sold: list[Doc]) -> None:
    result = cli("orders", "refund", sold[1]["id"], "--yes")
    assert result.exit_code == 4 and "only paid orders can be refunded" in result.stderr
    result = cli("orders", "refund", sold[0]["id"])
    assert result.exit_code != 0 and "--yes" in result.stderr


@pytest.fixture
def many(store: Store) -> list[Doc]:
    reader = add_user(store, "reader@example.com", "usr_reader")
    made = []
    for n in range(57):  # one pending order per item (a second Buy of one item reuses its order)
        add_item(store, f"guide-{n}", 1999)
        made.append(orders.create_pending(
            store, user_id=reader["id"], buyer=reader["email"], content_id=f"guide-{n}", amount=1999,
            currency="usd", livemode=False,
        ))
    return made


def test_tables_show_the_newest_page_and_say_how_many_there_are(cli: Cli, many: list[Doc]) -> None:
    result = cli("orders", "list")
    assert result.exit_code == 0, result.stderr
    assert "showing the newest 50 of 57 orders" in result.stdout
    assert result.stdout.count("$19.99") == 50
    everything = cli("orders", "list", "--limit", "0")
    assert "57 order(s)" in everything.stdout and everything.stdout.count("$19.99") == 57
    three = cli("orders", "list", "--limit", "3").stdout
    assert "showing the newest 3 of 57" in three and three.count("$19.99") == 3


def test_json_and_csv_stream_every_order_unless_limited(cli: Cli, many: list[Doc]) -> None:
    ordered = [o["id"] for o in sorted(many, key=lambda o: (o["created_at"], o["id"]))]
    assert [r["id"] for r in json.loads(cli("orders", "list", "--json").stdout)] == ordered
    limited = json.loads(cli("orders", "list", "--json", "--limit", "2").stdout)
    assert [r["id"] for r in limited] == ordered[-2:]
    rows = list(csv.DictReader(io.StringIO(cli("orders", "list", "--csv").stdout)))
    assert [r["id"] for r in rows] == ordered
    assert json.loads(cli("orders", "list", "--json", "--status", "refunded").stdout) == []
