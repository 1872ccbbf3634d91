"""`orders show ORDER` (the human table): the tax rows of an order sold with tax on (net, tax and where
it is due, total, tax ids, invoice), the presentment amount of an Adaptive Pricing buyer, and neither
for a plain order."""

from __future__ import annotations

import dataclasses
from typing import Any

from typer.testing import CliRunner
from webtest import TestApp

from paidpdf.accounts import users
from paidpdf.content import catalog
from paidpdf.money import format_amount
from paidpdf.web import create_app
from tests.cli_app import paidpdf_app
from tests.payments.shop import PAID, PASSWORD, Shop

BOTH_BACKENDS = True  # every shop test here also runs on PostgreSQL


def _show(shop: Shop, order_id: str) -> str:
    """The table's rows as `label value` lines (a wide terminal, so no cell wraps)."""
    done = CliRunner().invoke(
        paidpdf_app(),
        ["--data", str(shop.data_dir), "orders", "show", order_id],
        env={**shop.cli_env(), "COLUMNS": "240"},
    )
    assert done.exit_code == 0, done.output
    rows = [[cell.strip() for cell in line.strip("│ ").split("│")] for line in done.stdout.splitlines()]
    return "\n".join(" ".join(cells) for cells in rows)


def _with(shop: Shop, **changes: Any) -> Shop:
    settings = shop.settings.replace(**changes)
    app = TestApp(create_app(settings, store=shop.store), extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    return dataclasses.replace(shop, settings=settings, app=app)


def test_a_taxed_order_shows_net_tax_place_tax_ids_and_invoice(shop: Shop) -> None:
    taxed = _with(shop, tax="stripe_tax", prices_include_tax=True)
    taxed.login()
    order, session_id = taxed.buy()
    taxed.sl.pay(session_id, country="GB", tax_id="gb_vat:GB123456789")
    taxed.app.get(f"/checkout/success?session_id={session_id}")
    stored = taxed.order(order["id"])
    assert stored["tax"] > 0 and stored["invoice"].startswith("in_")
    shown = _show(taxed, order["id"])
    net = format_amount(stored["total"] - stored["tax"], "usd")
    assert "prices tax included" in shown
    assert f"net {net}" in shown
    assert f"tax {format_amount(stored['tax'], 'usd')} (GB)" in shown
    assert f"total charged {format_amount(stored['total'], 'usd')} ({stored['total']} usd)" in shown
    assert "buyer tax ids GB123456789 (gb_vat)" in shown
    assert f"invoice {stored['invoice']}" in shown
    assert "presentment" not in shown


def test_an_adaptive_pricing_order_shows_what_the_buyer_paid_in_their_currency(shop: Shop) -> None:
    catalog.set_price(shop.store, PAID, "4.99", "usd")
    adaptive = _with(shop, adaptive_pricing=True)
    buyer = users.sign_up(shop.store, "anna+location_DE@example.com", PASSWORD)
    adaptive.login(buyer["email"])
    order, session_id = adaptive.buy()
    adaptive.sl.pay(session_id)
    adaptive.app.get(f"/checkout/success?session_id={session_id}")
    paid = adaptive.order(order["id"])
    shown = _show(adaptive, order["id"])
    expected = format_amount(paid["presentment_amount"], paid["presentment_currency"])
    assert f"buyer paid (presentment) {expected} ({paid['presentment_amount']} eur)" in shown
    assert "amount $4.99 (499 usd)" in shown
    assert "tax" not in shown.replace("tax-", "")  # sold with tax off: no tax rows


def test_a_plain_order_reads_as_before(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    shop.app.get(f"/checkout/success?session_id={session_id}")
    shown = _show(shop, order["id"])
    assert f"Order {order['id']}" in shown and "status paid" in shown and "History" in shown
    assert "net" not in shown and "presentment" not in shown and "invoice" not in shown
