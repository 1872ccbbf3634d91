"""Bundles: the CLI, the page, buying one through Stripe, and a full refund taking back exactly what
the bundle gave, on the data folder and on PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from paidpdf.content import bundles
from paidpdf.ownership import library
from tests.cli_app import paidpdf_app
from tests.forms import form_for
from tests.payments.shop import FREE, PAID, Shop

BOTH_BACKENDS = True
SET = "starter-set"


def cli(shop: Shop, *args: str) -> Any:
    return CliRunner().invoke(paidpdf_app(), ["--data", str(shop.data_dir), *args], env=shop.cli_env())


def _other_paid(shop: Shop) -> str:
    priced = [i for i in shop.store.view("catalog").all("content") if i["price"] and i["id"] != PAID]
    return str(priced[0]["id"])


def test_bundles_cli_checks_everything_first(shop: Shop) -> None:
    second = _other_paid(shop)
    before = shop.written("catalog")
    for args, message in (
        (("bundles", "add", SET, "--title", "Set", "--price", "9", "--items", PAID), "2 to 100"),
        (
            ("bundles", "add", SET, "--title", "Set", "--price", "9", "--items", f"{PAID},nope"),
            "no item 'nope'",
        ),
        (
            ("bundles", "add", PAID, "--title", "Set", "--price", "9", "--items", f"{PAID},{second}"),
            "already exists",
        ),
        (
            ("bundles", "add", SET, "--title", "Set", "--price", "0", "--items", f"{PAID},{second}"),
            "needs a price",
        ),
        (("bundles", "add", SET, "--title", "Set", "--price", "9.999", "--items", f"{PAID},{second}"), "USD"),
        (("bundles", "edit", "nope", "--price", "3"), "no bundle"),
    ):
        failed = cli(shop, *args)
        assert failed.exit_code != 0 and message in failed.stderr and "Traceback" not in failed.stderr, args
    assert shop.written("catalog") == before
    made = cli(
        shop,
        "bundles",
        "add",
        SET,
        "--title",
        "Starter set",
        "--price",
        "7.99",
        "--items",
        f"{PAID},{second}",
    )
    assert made.exit_code == 0, made.stderr
    listed = json.loads(cli(shop, "bundles", "list", "--json").stdout)
    assert [(b["id"], b["price"], b["items"]) for b in listed] == [(SET, 799, [PAID, second])]
    assert cli(shop, "bundles", "edit", SET, "--price", "6.50").exit_code == 0
    assert json.loads(cli(shop, "bundles", "show", SET, "--json").stdout)["price"] == 650
    assert cli(shop, "bundles", "retire", SET).exit_code == 0
    assert json.loads(cli(shop, "bundles", "list", "--json").stdout) == []
    assert len(json.loads(cli(shop, "bundles", "list", "--all", "--json").stdout)) == 1
    id_clash = cli(shop, "content", "add", "x.pdf", "--title", "x", "--price", "1", "--id", SET)
    assert id_clash.exit_code != 0


def test_buying_a_bundle_grants_each_item_and_a_refund_takes_back_only_those(shop: Shop) -> None:
    second = _other_paid(shop)
    bundles.add(
        shop.store, SET, title="Starter set", price_text="6", currency="usd", items=[PAID, second, FREE]
    )
    buyer = shop.user()
    library.grant(shop.store, buyer["id"], second)  # owned another way before: must stay
    app = shop.login()
    front = app.get("/").text
    assert f'href="/bundles/{SET}"' in front and "Starter set" in front
    assert shop.store.view("catalog").get("content", PAID)["title"] in front.split("Bundles", 1)[1]
    page = app.get(f"/bundles/{SET}")
    assert "Starter set" in page.text and "instead of" in page.text and "You already own some" in page.text
    answer = form_for(page, f"/checkout/bundle/{SET}").submit(status=303)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    order = shop.order_for_session(session_id)
    assert (order["content_id"], order["amount"], order["bundle_items"]) == (SET, 600, [PAID, second, FREE])
    shop.sl.pay(session_id)
    done = app.get(f"/checkout/success?session_id={session_id}")
    assert 'in <a href="/library">your library</a>' in done.text
    view = shop.store.view("sales")
    sources = {i: library.entry(view, buyer["id"], i) for i in (PAID, second, FREE)}
    assert sources[PAID]["order_id"] == order["id"] and sources[FREE]["order_id"] == order["id"]
    assert sources[second]["source"] == "granted"
    assert "You own every item" in app.get(f"/bundles/{SET}").text
    # the webhook arriving now grants nothing more
    (completed,) = shop.stand_in_events("checkout.session.completed")
    assert shop.post_event(completed).json["outcome"] == "already"
    refunded = cli(shop, "orders", "refund", order["id"], "--yes")
    assert refunded.exit_code == 0, refunded.stderr
    for event in shop.stand_in_events("charge.refunded"):
        shop.post_event(event)
    view = shop.store.view("sales")
    assert not library.owns(view, buyer["id"], PAID) and not library.owns(view, buyer["id"], FREE)
    assert library.owns(view, buyer["id"], second)  # the gift stays
    assert shop.order(order["id"])["status"] == "refunded"


def test_a_guest_buys_a_bundle(shop: Shop) -> None:
    second = _other_paid(shop)
    bundles.add(shop.store, SET, title="Starter set", price_text="6", currency="usd", items=[PAID, second])
    guest = shop.app
    page = guest.get(f"/bundles/{SET}")
    assert "No account needed" in page.text
    answer = form_for(page, f"/checkout/bundle/{SET}").submit(status=303)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    shop.sl.pay(session_id, email="bundle.guest@example.com")
    (completed,) = shop.stand_in_events("checkout.session.completed")
    shop.post_event(completed)
    assert shop.owns(PAID, "bundle.guest@example.com") and shop.owns(second, "bundle.guest@example.com")
    guest.get("/bundles/nope", status=404)
    guest.get("/bundles/..%2Fetc", status=404)
