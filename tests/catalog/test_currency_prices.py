"""`content price ID 19.99 --also eur:18.99 --also gbp:15.99` and `--remove eur`, and `content add
--also-price`: explicit prices per currency, stored on both backends, shown by `content show --json`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from paidpdf.content import catalog
from paidpdf.store import DataStore, Doc

Cli = Callable[..., Result]
BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def shown(cli: Cli, item_id: str) -> dict[str, object]:
    return json.loads(ok(cli("content", "show", item_id, "--json")).stdout)


def test_prices_in_other_currencies_are_set_shown_and_removed(cli: Cli, item: Doc, store: DataStore) -> None:
    out = ok(cli("content", "price", "the-guide", "19.99", "--also", "eur:18.99", "--also", "gbp:15.99",
                 "--also", "jpy:3000")).stdout
    assert "€18.99" in out and "£15.99" in out and "¥3,000" in out
    data = shown(cli, "the-guide")
    assert data["price"] == 1999 and data["currency"] == "usd"
    assert data["prices"] == {"usd": 1999, "eur": 1899, "gbp": 1599, "jpy": 3000}
    assert catalog.get_item(store, "the-guide")["prices"] == {"eur": 1899, "gbp": 1599, "jpy": 3000}
    # A new main price keeps the others; --remove drops one; without PRICE the main price stays.
    ok(cli("content", "price", "the-guide", "21"))
    assert shown(cli, "the-guide")["prices"] == {"usd": 2100, "eur": 1899, "gbp": 1599, "jpy": 3000}
    ok(cli("content", "price", "the-guide", "--remove", "eur", "--also", "gbp:17"))
    assert shown(cli, "the-guide")["prices"] == {"usd": 2100, "gbp": 1700, "jpy": 3000}
    assert "also in" in ok(cli("content", "show", "the-guide")).stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["19.99", "--also", "jpy:15.5"], "JPY prices take whole units"),
        (["19.99", "--also", "eur:18.999"], "at most 2 decimals"),
        (["19.99", "--also", "xyz:5"], "three-letter ISO code"),
        (["19.99", "--also", "eur"], "CURRENCY:AMOUNT"),
        (["19.99", "--also", "usd:5"], "main currency"),
        (["19.99", "--also", "eur:5", "--also", "eur:6"], "named twice"),
        (["19.99", "--also", "eur:0"], "must be more than 0"),
        (["19.99", "--also", "eur:0.10"], "minimum charge"),
        (["19.99", "--remove", "eur"], "no price in EUR"),
        (["0", "--also", "eur:5"], "free item"),
    ],
)
def test_bad_prices_are_one_line_errors_and_change_nothing(
    cli: Cli, item: Doc, store: DataStore, args: list[str], message: str
) -> None:
    before = catalog.get_item(store, "the-guide")
    result = cli("content", "price", "the-guide", *args)
    assert result.exit_code != 0
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert catalog.get_item(store, "the-guide") == before


def test_add_takes_prices_in_other_currencies(cli: Cli, sample_pdf: Path) -> None:
    ok(cli("content", "add", str(sample_pdf), "--title", "Abroad", "--price", "9.99",
           "--also-price", "eur:8.99", "--also-price", "jpy:1500"))
    assert shown(cli, "abroad")["prices"] == {"usd": 999, "eur": 899, "jpy": 1500}
    refused = cli("content", "add", str(sample_pdf), "--title", "Other", "--price", "9.99",
                  "--also-price", "jpy:15.5")
    assert refused.exit_code != 0 and "JPY prices take whole units" in refused.stderr
    assert [i["id"] for i in json.loads(ok(cli("content", "list", "--json")).stdout)] == ["abroad"]


def test_pay_what_you_want_minimums_per_currency(cli: Cli, item: Doc) -> None:
    ok(cli("content", "price", "the-guide", "5+", "--also", "eur:4.50"))
    data = shown(cli, "the-guide")
    assert data["pay_what_you_want"] is True and data["prices"] == {"usd": 500, "eur": 450}


def test_bundles_plans_and_codes_take_other_currencies(
    cli: Cli, item: Doc, store: DataStore, sample_pdf: Path
) -> None:
    catalog.add_item(store, sample_pdf, title="Second", price_text="5", currency="usd")
    ok(cli("bundles", "add", "both", "--title", "Both", "--price", "12", "--items", "the-guide,second",
           "--also-price", "eur:11", "--also-price", "jpy:1800"))
    bundle = json.loads(ok(cli("bundles", "show", "both", "--json")).stdout)
    assert bundle["prices"] == {"usd": 1200, "eur": 1100, "jpy": 1800}
    ok(cli("bundles", "edit", "both", "--remove-price", "jpy", "--also-price", "gbp:9.50"))
    assert json.loads(ok(cli("bundles", "show", "both", "--json")).stdout)["prices"] == {
        "usd": 1200, "eur": 1100, "gbp": 950
    }
    ok(cli("plans", "add", "all", "--title", "All", "--price", "9.99", "--also-price", "eur:8.99"))
    ok(cli("plans", "edit", "all", "--also-price", "jpy:1200"))
    plan = json.loads(ok(cli("plans", "show", "all", "--json")).stdout)
    assert plan["prices"] == {"usd": 999, "eur": 899, "jpy": 1200}
    refused = cli("plans", "edit", "all", "--also-price", "jpy:12.5")
    assert refused.exit_code != 0 and "JPY prices take whole units" in refused.stderr
    ok(cli("promos", "add", "TWO-OFF", "--amount", "2",
           "--also-amount", "eur:1.50", "--also-amount", "jpy:300"))
    codes = json.loads(ok(cli("promos", "list", "--json")).stdout)
    assert codes[0]["amount"] == 200 and codes[0]["amounts"] == {"eur": 150, "jpy": 300}
    mixed = cli("promos", "add", "PCT", "--percent", "10", "--also-amount", "eur:1")
    assert mixed.exit_code != 0 and "--also-amount goes with --amount" in mixed.stderr
