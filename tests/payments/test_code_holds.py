"""Limited discount codes against slow payers and hoarders, and checkout floods (security review,
issue 20: items 3 and 5), through the real app, the real `stripe` library and the stand-in, on the
data folder and on PostgreSQL.

Time passing is shown by ageing the stored order (the shop's clock is the real one): an order made
40 minutes ago is what the shop would find 40 minutes later.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner
from webtest import TestApp

from paidpdf.clock import iso, now
from paidpdf.config import Settings
from paidpdf.content import bundles, catalog
from paidpdf.sales import promos
from paidpdf.web import create_app
from tests.cli_app import paidpdf_app
from tests.forms import form_for
from tests.payments.shop import API_KEY, OTHER, PAID, SHOP_SECRET, WEBHOOK_SECRET, Shop

BOTH_BACKENDS = True


def _browser(shop: Shop, address: str = "127.0.0.1", app: Any = None) -> TestApp:
    """Another browser on the same shop (its own cookies), from `address`."""
    return TestApp(app or shop.app.app, extra_environ={"REMOTE_ADDR": address})


def _buy_with_code(app: TestApp, code: str, status: int | str = "*") -> Any:
    page = app.get(f"/content/{PAID}?code={code}")
    return form_for(page, f"/checkout/{PAID}").submit(status=status)


def _session_of(shop: Shop, answer: Any) -> str:
    location = answer.headers["Location"]
    assert location.startswith(shop.sl.url + "/pay/cs_test_"), location
    return str(location.rsplit("/", 1)[1])


def _age(shop: Shop, order_id: str, minutes: int) -> None:
    """The order as the shop finds it `minutes` later."""
    with shop.store.unit("sales") as unit:
        order = unit.get("orders", order_id)
        assert order is not None
        unit.put("orders", {**order, "created_at": iso(now() - timedelta(minutes=minutes))})


def _deliver(shop: Shop, kind: str, session_id: str) -> None:
    """Hand the stand-in's latest event of `kind` for the session to the real webhook route."""
    found = [e for e in shop.stand_in_events(kind) if e["data"]["object"]["id"] == session_id]
    assert found, kind
    assert shop.post_event(found[-1]).status_int == 200


def _awaiting(order: dict[str, Any]) -> bool:
    return any(h["event"] == "awaiting" for h in order["history"])


def _promo_cli(shop: Shop, *args: str) -> Any:
    command = ["--data", str(shop.data_dir), "promos", *args]
    return CliRunner().invoke(paidpdf_app(), command, env=shop.cli_env())


def test_a_delayed_payment_keeps_its_codes_use_until_it_settles(shop: Shop) -> None:
    """Review item 3: the first buyer pays by a delayed method; 40 minutes later (past the old 31-minute
    reservation) a second buyer must still be refused, and the code ends at 1 of 1."""
    promos.add(shop.store, "ONE", currency="usd", percent=10, max_uses=1)
    first = shop.login()
    session_id = _session_of(shop, _buy_with_code(first, "ONE", 303))
    order = shop.order_for_session(session_id)
    shop.sl.pay(session_id, "delayed")  # complete, payment pending until settled
    _deliver(shop, "checkout.session.completed", session_id)
    assert _awaiting(shop.order(order["id"]))
    _age(shop, order["id"], 40)

    second = shop.login(OTHER, _browser(shop, "127.0.0.2"))
    refused = _buy_with_code(second, "ONE", 400)
    assert "used up" in refused.text

    shop.sl.settle(session_id, "succeeded")
    _deliver(shop, "checkout.session.async_payment_succeeded", session_id)
    assert shop.order(order["id"])["status"] == "paid"
    listed = json.loads(_promo_cli(shop, "list", "--json").stdout)
    assert [(p["code"], p["uses"], p["max_uses"]) for p in listed] == [("ONE", 1, 1)]
    assert shop.order(order["id"]).get("promo_over_limit") is None


def test_a_failed_delayed_payment_frees_the_use(shop: Shop) -> None:
    promos.add(shop.store, "ONE", currency="usd", percent=10, max_uses=1)
    session_id = _session_of(shop, _buy_with_code(shop.login(), "ONE", 303))
    shop.sl.pay(session_id, "delayed")
    _deliver(shop, "checkout.session.completed", session_id)
    second = shop.login(OTHER, _browser(shop, "127.0.0.2"))
    assert "used up" in _buy_with_code(second, "ONE", 400).text
    shop.sl.settle(session_id, "failed")
    _deliver(shop, "checkout.session.async_payment_failed", session_id)
    assert _session_of(shop, _buy_with_code(second, "ONE", 303))


def test_a_use_counted_past_the_limit_flags_the_order_and_promos_show_says_so(shop: Shop) -> None:
    """Money already paid is never refused: when a payment settles for a code whose uses were all
    counted meanwhile (here: by data from before this fix, whose reservation had lapsed), the order is
    kept paid, marked, and listed by `promos show`."""
    promos.add(shop.store, "ONE", currency="usd", percent=10, max_uses=1)
    session_id = _session_of(shop, _buy_with_code(shop.login(), "ONE", 303))
    order = shop.order_for_session(session_id)
    shop.sl.pay(session_id, "delayed")
    with shop.store.unit("sales") as unit:  # the lapsed reservation's other buyer, already counted
        code = unit.get("promos", "ONE")
        assert code is not None
        unit.put("promos", {**code, "uses": 1})
    shop.sl.settle(session_id, "succeeded")
    _deliver(shop, "checkout.session.async_payment_succeeded", session_id)

    paid = shop.order(order["id"])
    assert paid["status"] == "paid" and paid["promo_over_limit"] is True and shop.owns()
    assert any(h["event"] == "promo over limit" for h in paid["history"])
    shown = json.loads(_promo_cli(shop, "show", "ONE", "--json").stdout)
    assert shown["uses"] == 2 and shown["max_uses"] == 1 and shown["over_limit_orders"] == [order["id"]]
    table = _promo_cli(shop, "show", "ONE")
    assert table.exit_code == 0 and "OVER LIMIT" in table.stdout and order["id"] in table.stdout


def test_an_unpaid_checkout_holds_a_code_for_the_hold_then_a_newcomer_takes_it(shop: Shop) -> None:
    """Review item 5: one unpaid anonymous checkout no longer hoards a 1-use code for 31 minutes. Within
    PAIDPDF_CODE_HOLD_MINUTES (10) others are refused; after it, the newcomer's Buy expires the stale
    session at Stripe (which sends checkout.session.expired) and takes the use."""
    promos.add(shop.store, "ONE", currency="usd", percent=10, max_uses=1)
    hoarder = _browser(shop, "127.0.0.3")
    stale_id = _session_of(shop, _buy_with_code(hoarder, "ONE", 303))
    stale = shop.order_for_session(stale_id)
    newcomer = shop.login(OTHER, _browser(shop, "127.0.0.4"))
    _age(shop, stale["id"], 9)
    assert "used up" in _buy_with_code(newcomer, "ONE", 400).text  # still within the hold

    _age(shop, stale["id"], 11)
    taken = _session_of(shop, _buy_with_code(newcomer, "ONE", 303))
    assert shop.order_for_session(taken)["promo"] == "ONE"
    assert shop.client.v1.checkout.sessions.retrieve(stale_id).status == "expired"
    assert shop.order(stale["id"])["status"] == "expired"
    assert [e["data"]["object"]["id"] for e in shop.stand_in_events("checkout.session.expired")] == [stale_id]
    late = _buy_with_code(hoarder, "ONE", 400)  # the hoarder's old session is gone, and so is the use
    assert "used up" in late.text


def test_a_stale_hold_gives_way_to_a_code_that_makes_the_item_free(shop: Shop) -> None:
    """The free path (a code for the whole price: no order, the use counted at once) takes over a
    stale checkout's use the same way."""
    catalog.set_price(shop.store, PAID, "9.99", "usd")
    promos.add(shop.store, "FIVE-OFF", currency="usd", amount_text="5.00", max_uses=1)
    stale_id = _session_of(shop, _buy_with_code(_browser(shop, "127.0.0.8"), "FIVE-OFF", 303))
    _age(shop, shop.order_for_session(stale_id)["id"], 12)
    catalog.set_price(shop.store, PAID, "5.00", "usd")  # the code now takes the whole price off
    reader = shop.login(OTHER, _browser(shop, "127.0.0.9"))
    assert _buy_with_code(reader, "FIVE-OFF", 303).headers["Location"] == f"/content/{PAID}"
    assert shop.owns(PAID, OTHER) and promos.get(shop.store, "FIVE-OFF")["uses"] == 1
    assert shop.client.v1.checkout.sessions.retrieve(stale_id).status == "expired"


@pytest.mark.parametrize("method", ["delayed", "card"])
def test_a_stale_checkout_completed_meanwhile_keeps_the_use(shop: Shop, method: str) -> None:
    """The buyer completes the stale checkout just before the newcomer arrives (its webhook not yet
    delivered): Stripe refuses to expire a complete session, the shop settles it from Stripe's answer,
    and the newcomer is refused the code."""
    promos.add(shop.store, "ONE", currency="usd", percent=10, max_uses=1)
    shop.sl.drop_webhooks()
    first = _browser(shop, "127.0.0.5")
    session_id = _session_of(shop, _buy_with_code(first, "ONE", 303))
    order = shop.order_for_session(session_id)
    _age(shop, order["id"], 20)
    shop.sl.pay(session_id, method, email="slow.payer@example.com")

    newcomer = shop.login(OTHER, _browser(shop, "127.0.0.6"))
    assert "used up" in _buy_with_code(newcomer, "ONE", 400).text
    assert shop.client.v1.checkout.sessions.retrieve(session_id).status == "complete"
    settled = shop.order(order["id"])
    if method == "card":
        assert settled["status"] == "paid" and promos.get(shop.store, "ONE")["uses"] == 1
    else:
        assert settled["status"] == "pending" and _awaiting(settled)
        _age(shop, order["id"], 60)
        assert "used up" in _buy_with_code(newcomer, "ONE", 400).text


def test_twenty_parallel_checkouts_on_a_held_up_1_use_code_start_1(shop: Shop) -> None:
    """A stale hold freed for a crowd still starts exactly one checkout with the code."""
    import threading

    promos.add(shop.store, "ONE", currency="usd", percent=10, max_uses=1)
    stale = shop.order_for_session(_session_of(shop, _buy_with_code(_browser(shop, "127.0.0.7"), "ONE", 303)))
    _age(shop, stale["id"], 15)
    gate = threading.Barrier(20)
    statuses: list[int] = []

    def attempt(n: int) -> None:
        app = _browser(shop, f"127.0.1.{n}")
        page = app.get(f"/content/{PAID}?code=ONE")
        gate.wait()
        statuses.append(form_for(page, f"/checkout/{PAID}").submit(status="*").status_int)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [303] + [400] * 19
    live = [o for o in shop.store.view("sales").find("orders", "promo", "ONE") if o["status"] == "pending"]
    assert len(live) == 1 and shop.order(stale["id"])["status"] == "expired"


def _settings_with(shop: Shop, **env: str) -> Settings:
    base = {
        "STRIPE_SECRET_KEY": API_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": shop.sl.url,
        "PAIDPDF_SECRET_KEY": SHOP_SECRET,
    }
    if shop.settings.database_url:
        base["PAIDPDF_DATABASE_URL"] = shop.settings.database_url.reveal()
    return Settings.from_env({**base, **env}, data_dir=shop.data_dir)


def test_a_flood_of_buy_presses_from_one_address_is_throttled(shop: Shop) -> None:
    """Review item 5: 60 Buy presses from one address made 60 orders and 60 Stripe sessions. Now at most
    PAIDPDF_CHECKOUTS_PER_ADDRESS start (here set to 8); the rest get the 429 page with Retry-After,
    and nothing is written for them."""
    settings = _settings_with(shop, PAIDPDF_CHECKOUTS_PER_ADDRESS="8")
    app = create_app(settings, store=shop.store)
    sessions_before = len(shop.client.v1.checkout.sessions.list(params={"limit": 100}).data)
    answers = []
    for n in range(60):
        browser = _browser(shop, "203.0.113.9", app)  # a fresh browser (no cookies) each time
        form = form_for(browser.get(f"/content/{PAID}"), f"/checkout/{PAID}")
        answers.append(form.submit(status="*"))
        if n == 9:
            orders_after_ten = len(shop.store.view("sales").all("orders"))
    assert [a.status_int for a in answers] == [303] * 8 + [429] * 52
    refused = answers[-1]
    assert "Too many" in refused.text and "checkouts started" in refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    assert len(shop.store.view("sales").all("orders")) == orders_after_ten
    sessions = shop.client.v1.checkout.sessions.list(params={"limit": 100}).data
    assert len(sessions) - sessions_before == 8
    other_address = form_for(_browser(shop, "203.0.113.10", app).get(f"/content/{PAID}"), f"/checkout/{PAID}")
    assert other_address.submit(status="*").status_int == 303  # the limit is per address


def test_one_browser_is_throttled_on_its_own(shop: Shop) -> None:
    settings = _settings_with(shop, PAIDPDF_CHECKOUTS_PER_BROWSER="3")
    app = create_app(settings, store=shop.store)
    reader = shop.login(app=_browser(shop, "198.51.100.1", app))
    statuses = []
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"):
        reader.extra_environ["REMOTE_ADDR"] = address  # the same browser moving between networks
        form = form_for(reader.get(f"/content/{PAID}"), f"/checkout/{PAID}")
        statuses.append(form.submit(status="*").status_int)
    assert statuses == [303, 303, 303, 429]
    other = next(i["id"] for i in shop.store.view("catalog").all("content") if i["price"] and i["id"] != PAID)
    bundles.add(shop.store, "starter-set", title="Set", price_text="6", currency="usd", items=[PAID, other])
    bundle_buy = form_for(reader.get("/bundles/starter-set"), "/checkout/bundle/starter-set")
    assert bundle_buy.submit(status="*").status_int == 429  # a bundle's Buy counts the same
