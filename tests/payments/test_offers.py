"""Pay what you want and discount codes, through the real site, the real `stripe` library and the
stand-in, on the data folder and on PostgreSQL."""

from __future__ import annotations

import json
import threading
from typing import Any

from typer.testing import CliRunner

from paidpdf.accounts import users
from paidpdf.content import catalog
from paidpdf.errors import InvalidInput
from paidpdf.sales import checkout, promos
from tests.cli_app import paidpdf_app
from tests.forms import form_for
from tests.payments.shop import BUYER, PAID, PASSWORD, Shop

BOTH_BACKENDS = True


def _pay_through_webhook(shop: Shop, session_id: str) -> None:
    shop.sl.pay(session_id)
    completed = [
        e
        for e in shop.stand_in_events("checkout.session.completed")
        if e["data"]["object"]["id"] == session_id
    ]
    assert shop.post_event(completed[-1]).status_int == 200


def test_pay_what_you_want_checks_the_amount_and_charges_exactly_it(shop: Shop) -> None:
    catalog.set_price(shop.store, PAID, "5+", "usd")
    app = shop.login()
    page = app.get(f"/content/{PAID}")
    assert "$5.00 or more" in page.text and "Name your price (at least $5.00)" in page.text
    before = shop.written("sales")
    for typed, why in (
        ("3", "at least $5.00"),
        ("abc", "as a number"),
        ("1e3", "as a number"),
        ("5.001", "as a number"),
        ("1000000000", "the most one payment"),
        ("", "enter the amount"),
    ):
        form = form_for(app.get(f"/content/{PAID}"), f"/checkout/{PAID}")
        form["amount"] = typed
        refused = form.submit(status=400)
        assert why in refused.text and 'aria-invalid="true"' in refused.text, typed
    assert shop.written("sales") == before  # nothing was written for a refused amount
    form = form_for(app.get(f"/content/{PAID}"), f"/checkout/{PAID}")
    form["amount"] = "7.50"
    answer = form.submit(status=303)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    order = shop.order_for_session(session_id)
    assert order["amount"] == 750 and order["list_price"] == 750
    assert shop.client.v1.checkout.sessions.retrieve(session_id).amount_total == 750
    _pay_through_webhook(shop, session_id)
    assert shop.order(order["id"])["status"] == "paid" and shop.owns()


def test_free_or_more_downloads_free_and_takes_a_tip(shop: Shop) -> None:
    catalog.set_price(shop.store, PAID, "0+", "usd")
    app = shop.login()
    page = app.get(f"/content/{PAID}")
    assert "Free, or pay what you want" in page.text and f"/content/{PAID}/download" in page.text
    form = form_for(page, f"/checkout/{PAID}")
    form["amount"] = "0"
    assert form.submit(status=303).headers["Location"] == f"/content/{PAID}"  # free: no checkout
    form = form_for(app.get(f"/content/{PAID}"), f"/checkout/{PAID}")
    form["amount"] = "0.10"
    assert "card payments start at $0.50" in form.submit(status=400).text
    form["amount"] = "2"
    session_id = form.submit(status=303).headers["Location"].rsplit("/", 1)[1]
    assert shop.order_for_session(session_id)["amount"] == 200


def test_a_code_link_shows_the_price_and_the_order_names_it(shop: Shop) -> None:
    promos.add(shop.store, "spring-20", currency="usd", percent=20)
    promos.add(shop.store, "OTHER-ITEM", currency="usd", amount_text="1", items=["field-notes-on-city-birds"])
    app = shop.login()
    page = app.get(f"/content/{PAID}?code=Spring-20")
    assert "<s>$4.99</s> $3.99" in page.text and "Buy for $3.99" in page.text
    wrong = app.get(f"/content/{PAID}?code=OTHER-ITEM")
    assert "not valid for this item" in wrong.text and "Buy for $4.99" in wrong.text
    assert "does not exist" in app.get(f"/content/{PAID}?code=NOPE").text
    answer = form_for(page, f"/checkout/{PAID}").submit(status=303)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    order = shop.order_for_session(session_id)
    assert (order["amount"], order["list_price"], order["promo"]) == (399, 499, "SPRING-20")
    assert promos.get(shop.store, "SPRING-20")["uses"] == 0  # not yet: a use counts when paid
    _pay_through_webhook(shop, session_id)
    assert promos.get(shop.store, "SPRING-20")["uses"] == 1
    shown = CliRunner().invoke(
        paidpdf_app(),
        ["--data", str(shop.data_dir), "orders", "show", order["id"], "--json"],
        env=shop.cli_env(),
    )
    assert json.loads(shown.stdout)["promo"] == "SPRING-20"
    table = CliRunner().invoke(
        paidpdf_app(), ["--data", str(shop.data_dir), "orders", "show", order["id"]], env=shop.cli_env()
    )
    assert "SPRING-20 (list price $4.99)" in table.stdout


def test_promos_cli_adds_lists_and_disables_with_clear_errors(shop: Shop) -> None:
    def run(*args: str) -> Any:
        return CliRunner().invoke(
            paidpdf_app(), ["--data", str(shop.data_dir), "promos", *args], env=shop.cli_env()
        )

    assert (
        run("add", "WELCOME", "--amount", "1.50", "--until", "2099-12-31", "--max-uses", "3").exit_code == 0
    )
    listed = json.loads(run("list", "--json").stdout)
    assert listed == [
        {
            "code": "WELCOME",
            "percent": None,
            "amount": 150,
            "currency": "usd",
            "amounts": {},
            "items": None,
            "until": "2100-01-01T00:00:00Z",
            "max_uses": 3,
            "uses": 0,
            "disabled": False,
            "created_at": listed[0]["created_at"],
        }
    ]
    before = shop.written("sales")
    for args, message in (
        (("add", "WELCOME", "--percent", "5"), "already exists"),
        (("add", "X", "--percent", "5"), "2 to 32"),
        (("add", "NEW", "--percent", "5", "--amount", "1"), "either --percent or --amount"),
        (("add", "NEW", "--percent", "101"), "1 to 100"),
        (("add", "NEW", "--amount", "1.001"), "USD prices take"),
        (("add", "NEW", "--percent", "5", "--until", "2001-01-01"), "in the past"),
        (("add", "NEW", "--percent", "5", "--items", "no-such-item"), "no item"),
        (("disable", "NOPE"), "no code"),
    ):
        failed = run(*args)
        assert failed.exit_code != 0 and message in failed.stderr and "Traceback" not in failed.stderr, args
    assert shop.written("sales") == before
    assert run("disable", "welcome").exit_code == 0
    app = shop.login()
    assert "no longer valid" in app.get(f"/content/{PAID}?code=WELCOME").text


def test_a_code_limited_to_5_pays_at_most_5_of_20_concurrent_checkouts(shop: Shop) -> None:
    promos.add(shop.store, "FIVE", currency="usd", percent=50, max_uses=5)
    buyers = [users.sign_up(shop.store, f"rush{n:02d}@example.com", PASSWORD) for n in range(20)]
    started: list[Any] = []
    refused: list[str] = []
    gate = threading.Barrier(len(buyers))

    def attempt(user: dict[str, Any]) -> None:
        gate.wait()
        try:
            started.append(
                checkout.start_checkout(
                    shop.store, shop.client, shop.settings, user=user, content_id=PAID, code="FIVE"
                )
            )
        except InvalidInput as exc:
            refused.append(exc.message)

    threads = [threading.Thread(target=attempt, args=(u,)) for u in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(started) == 5 and len(refused) == 15
    assert set(refused) == {"this discount code has been used up"}
    for start in started:
        _pay_through_webhook(shop, start.order["stripe_session_id"])
    paid = [o for o in shop.store.view("sales").find("orders", "promo", "FIVE") if o["status"] == "paid"]
    assert len(paid) == 5 and promos.get(shop.store, "FIVE")["uses"] == 5
    late = shop.login(BUYER)
    refused_page = late.get(f"/content/{PAID}?code=FIVE")
    assert refused_page.status_int == 200  # the price shows; the Buy says why
    answer = form_for(refused_page, f"/checkout/{PAID}").submit(status=400)
    assert "used up" in answer.text


def test_an_expired_checkout_frees_its_reservation(shop: Shop) -> None:
    promos.add(shop.store, "ONE", currency="usd", percent=10, max_uses=1)
    first = users.sign_up(shop.store, "first@example.com", PASSWORD)
    second = users.sign_up(shop.store, "second@example.com", PASSWORD)
    held = checkout.start_checkout(
        shop.store, shop.client, shop.settings, user=first, content_id=PAID, code="ONE"
    )
    session = shop.client.v1.checkout.sessions.retrieve(held.order["stripe_session_id"])
    assert session.expires_at - session.created <= 31 * 60 + 5  # the shortest session Stripe allows
    try:
        checkout.start_checkout(
            shop.store, shop.client, shop.settings, user=second, content_id=PAID, code="ONE"
        )
        raise AssertionError("the code's one use is reserved")
    except InvalidInput as exc:
        assert "used up" in exc.message
    shop.sl.expire(held.order["stripe_session_id"])
    (expired,) = shop.stand_in_events("checkout.session.expired")
    shop.post_event(expired)
    again = checkout.start_checkout(
        shop.store, shop.client, shop.settings, user=second, content_id=PAID, code="ONE"
    )
    assert again.kind == "redirect" and again.order["promo"] == "ONE"


def test_a_code_for_the_whole_price_grants_at_once_and_counts(shop: Shop) -> None:
    promos.add(shop.store, "GIFT", currency="usd", percent=100, max_uses=1)
    app = shop.login()
    page = app.get(f"/content/{PAID}?code=GIFT")
    answer = form_for(page, f"/checkout/{PAID}").submit(status=303)
    assert answer.headers["Location"] == f"/content/{PAID}"
    assert shop.owns() and promos.get(shop.store, "GIFT")["uses"] == 1
    assert [e["source"] for e in shop.entries()] == ["promo"]
    assert not shop.store.view("sales").find("orders", "promo", "GIFT")  # nothing to pay, no order
