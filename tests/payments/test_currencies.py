"""Buying in the visitor's currency end to end: the real app, the real `stripe` library and the local
stand-in. A EUR checkout ends in a EUR order in the library and refunds in EUR; JPY has no decimals;
with Adaptive Pricing the order keeps what the buyer saw and what settled; stats never add currencies."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner
from webtest import TestApp

from paidpdf.accounts import users
from paidpdf.content import catalog
from paidpdf.memberships import plans
from paidpdf.web import create_app
from tests.cli_app import paidpdf_app
from tests.forms import form_for
from tests.payments.shop import PAID, PASSWORD, Shop

BOTH_BACKENDS = True  # every shop test here also runs on PostgreSQL


def cli(shop: Shop, *args: str) -> Any:
    return CliRunner().invoke(paidpdf_app(), ["--data", str(shop.data_dir), *args], env=shop.cli_env())


def choose(app: TestApp, code: str) -> None:
    app.get("/currency", {"c": code, "next": "/"}, status=303)


def pay_in(shop: Shop, app: TestApp, currency: str, content_id: str = PAID) -> tuple[dict[str, Any], str]:
    choose(app, currency)
    order, session_id = shop.buy(content_id, app=app)
    shop.sl.pay(session_id)
    done = app.get(f"/checkout/success?session_id={session_id}")
    assert "Thank you" in done.text
    return shop.order(order["id"]), session_id


def test_a_eur_purchase_ends_in_the_library_as_a_eur_order_and_refunds_in_eur(shop: Shop) -> None:
    catalog.set_price(shop.store, PAID, "4.99", "usd", also=["eur:4.50", "jpy:800"])
    app = shop.login()
    choose(app, "eur")
    assert "Buy for €4.50" in app.get(f"/content/{PAID}").text
    order, session_id = shop.buy(app=app)
    assert (order["amount"], order["currency"], order["status"]) == (450, "eur", "pending")
    session = shop.client.v1.checkout.sessions.retrieve(session_id)
    assert (session.amount_total, session.currency) == (450, "eur")
    (line,) = shop.client.v1.checkout.sessions.line_items.list(session_id).data
    assert (line.price.unit_amount, line.price.currency) == (450, "eur")
    shop.sl.pay(session_id)
    assert "Thank you" in app.get(f"/checkout/success?session_id={session_id}").text
    paid = shop.order(order["id"])
    assert (paid["status"], paid["amount"], paid["currency"]) == ("paid", 450, "eur")
    assert shop.owns() and "presentment_currency" not in paid
    intent = shop.client.v1.payment_intents.retrieve(paid["stripe_payment_intent"])
    assert (intent.amount, intent.currency) == (450, "eur")
    shown = json.loads(cli(shop, "orders", "show", order["id"], "--json").stdout)
    assert (shown["amount"], shown["currency"]) == (450, "eur")
    refunded = cli(shop, "orders", "refund", order["id"], "--yes")
    assert refunded.exit_code == 0, refunded.stderr
    assert "€4.50" in refunded.stdout
    events = shop.stand_in_events("charge.refunded")
    assert [(e["data"]["object"]["amount_refunded"], e["data"]["object"]["currency"]) for e in events] == [
        (450, "eur")
    ]
    for event in events:
        shop.post_event(event)
    final = shop.order(order["id"])
    assert (final["status"], final["refunded_amount"], final["currency"]) == ("refunded", 450, "eur")
    assert not shop.owns()


def test_jpy_has_no_decimals_and_stats_keep_each_currency(shop: Shop) -> None:
    catalog.set_price(shop.store, PAID, "4.99", "usd", also=["eur:4.50", "jpy:800"])
    app = shop.login()
    yen, _ = pay_in(shop, app, "jpy")
    assert (yen["amount"], yen["currency"]) == (800, "jpy")
    other = users.sign_up(shop.store, "second@example.com", PASSWORD)
    second = shop.login(other["email"], TestApp(app.app, extra_environ={"REMOTE_ADDR": "127.0.0.2"}))
    euro, _ = pay_in(shop, second, "eur")
    assert (euro["amount"], euro["currency"]) == (450, "eur")
    stats = json.loads(cli(shop, "orders", "stats", "--json").stdout)
    totals = {t["currency"]: (t["sales"], t["revenue"]) for t in stats["totals"]}
    assert totals == {"eur": (1, 450), "jpy": (1, 800)}
    per_item = {(r["content_id"], r["currency"]): r["revenue"] for r in stats["per_item"]}
    assert per_item == {(PAID, "eur"): 450, (PAID, "jpy"): 800}
    table = cli(shop, "orders", "stats").stdout
    assert "€4.50" in table and "¥800" in table


def test_adaptive_pricing_keeps_the_presentment_and_the_settlement(shop: Shop) -> None:
    catalog.set_price(shop.store, PAID, "4.99", "usd", also=["eur:4.50"])
    adaptive = create_app(shop.settings.replace(adaptive_pricing=True), store=shop.store)
    app = TestApp(adaptive, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    buyer = users.sign_up(shop.store, "anna+location_DE@example.com", PASSWORD)
    shop.login(buyer["email"], app)
    order, session_id = shop.buy(app=app)
    assert (order["amount"], order["currency"]) == (499, "usd")
    session = shop.client.v1.checkout.sessions.retrieve(session_id)
    assert session.adaptive_pricing is not None and session.adaptive_pricing.enabled is True
    shop.sl.pay(session_id)
    app.get(f"/checkout/success?session_id={session_id}")
    paid = shop.order(order["id"])
    # 4.99 USD at the stand-in's test rate (0.92 EUR per USD) is 4.59 EUR, rounded half up.
    assert (paid["amount"], paid["currency"]) == (499, "usd")
    assert (paid["presentment_amount"], paid["presentment_currency"]) == (459, "eur")
    done = shop.client.v1.checkout.sessions.retrieve(session_id)
    assert done.presentment_details is not None
    assert (done.presentment_details.presentment_amount, done.presentment_details.presentment_currency) == (
        459, "eur"
    )
    # An explicit EUR price is charged as it is: no Adaptive Pricing on that session.
    other = users.sign_up(shop.store, "ben+location_DE@example.com", PASSWORD)
    second = shop.login(other["email"], TestApp(adaptive, extra_environ={"REMOTE_ADDR": "127.0.0.3"}))
    choose(second, "eur")
    fixed, fixed_session = shop.buy(app=second)
    assert (fixed["amount"], fixed["currency"]) == (450, "eur")
    assert shop.client.v1.checkout.sessions.retrieve(fixed_session).adaptive_pricing is None


def test_a_plan_is_joined_in_the_visitors_currency(shop: Shop) -> None:
    plans.add(shop.store, "monthly", title="Monthly", price_text="9", currency="usd", also=["eur:8"])
    app = shop.login()
    choose(app, "eur")
    page = app.get("/membership")
    assert "€8.00" in page.text
    answer = form_for(page, "/membership/join/monthly").submit(status=303)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    session = shop.client.v1.checkout.sessions.retrieve(session_id)
    assert (session.amount_total, session.currency, session.mode) == (800, "eur", "subscription")

