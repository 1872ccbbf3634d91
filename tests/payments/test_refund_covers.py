"""An item stays while anything still covers it: a refund, a dispute or an admin revoke takes back only
its own cover, never an item that another paid order, a bundle or a gift still pays for. Driven
through the real site, the real `stripe` library against the stand-in, the real webhook and the real
CLI, on the data folder and on PostgreSQL; events are posted twice and out of order."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner
from webtest import TestApp

from paidpdf.content import bundles
from paidpdf.ownership import library
from paidpdf.store import Doc
from tests.cli_app import paidpdf_app
from tests.forms import form_for
from tests.payments.shop import PAID, Shop

BOTH_BACKENDS = True
SET = "starter-set"


def cli(shop: Shop, *args: str) -> Any:
    return CliRunner().invoke(paidpdf_app(), ["--data", str(shop.data_dir), *args], env=shop.cli_env())


def _second(shop: Shop) -> str:
    priced = [i for i in shop.store.view("catalog").all("content") if i["price"] and i["id"] != PAID]
    return str(priced[0]["id"])


def _bundle(shop: Shop) -> str:
    second = _second(shop)
    bundles.add(shop.store, SET, title="Starter set", price_text="6", currency="usd", items=[PAID, second])
    return second


def _pay(shop: Shop, app: TestApp, page_path: str, action: str) -> Doc:
    """Press Buy on a page, pay at the stand-in and come back to the success page."""
    answer = form_for(app.get(page_path), action).submit(status=303)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    shop.sl.pay(session_id)
    app.get(f"/checkout/success?session_id={session_id}")
    order = shop.order_for_session(session_id)
    assert order["status"] == "paid"
    return order


def _buy_single(shop: Shop, app: TestApp) -> Doc:
    return _pay(shop, app, f"/content/{PAID}", f"/checkout/{PAID}")


def _buy_bundle(shop: Shop, app: TestApp) -> Doc:
    return _pay(shop, app, f"/bundles/{SET}", f"/checkout/bundle/{SET}")


def _intent(order: Doc) -> str:
    return str(order["stripe_payment_intent"])


def _events_for(shop: Shop, kind: str, order: Doc) -> list[dict[str, Any]]:
    return [e for e in shop.stand_in_events(kind) if json.dumps(e).count(_intent(order))]


def _refund(shop: Shop, order: Doc) -> None:
    """`orders refund` (revokes at once), then its webhooks, each delivered twice."""
    done = cli(shop, "orders", "refund", order["id"], "--yes")
    assert done.exit_code == 0, done.stderr
    events = [e for kind in ("charge.refunded", "refund.created") for e in _events_for(shop, kind, order)]
    assert events
    for event in [*events, *reversed(events)]:
        shop.post_event(event, status=200)
    assert shop.order(order["id"])["status"] == "refunded"


def _can_download(shop: Shop, app: TestApp, content_id: str) -> bool:
    return app.get(f"/content/{content_id}/download", status="*").status_int == 200


def test_refunding_the_single_order_keeps_an_item_the_paid_bundle_covers(shop: Shop) -> None:
    second = _bundle(shop)
    app = shop.login()
    single = _buy_single(shop, app)
    bundle = _buy_bundle(shop, app)

    _refund(shop, single)
    assert shop.owns(PAID) and shop.owns(second)  # the paid bundle still covers PAID
    assert _can_download(shop, app, PAID)
    assert f"/content/{PAID}" in app.get("/library").text

    _refund(shop, bundle)  # now nothing covers either item
    assert not shop.owns(PAID) and not shop.owns(second)
    assert not _can_download(shop, app, PAID)


def test_refunding_a_bundle_keeps_an_item_granted_with_the_cli(shop: Shop) -> None:
    second = _bundle(shop)
    app = shop.login()
    bundle = _buy_bundle(shop, app)

    granted = cli(shop, "users", "grant", "buyer@example.com", PAID)
    assert granted.exit_code == 0, granted.stderr
    assert "Granted" in granted.stdout and "nothing changed" not in granted.stdout
    again = cli(shop, "users", "grant", "buyer@example.com", PAID)
    assert again.exit_code == 0 and "nothing changed" in again.stdout
    shown = json.loads(cli(shop, "users", "show", "buyer@example.com", "--json").stdout)
    row = next(r for r in shown["library"] if r["content_id"] == PAID)
    assert sorted(c["kind"] for c in row["covers"]) == ["bought", "granted"]

    _refund(shop, bundle)
    assert shop.owns(PAID) and not shop.owns(second)  # the gift stays, the bundle's other item goes
    assert _can_download(shop, app, PAID)
    shown = json.loads(cli(shop, "users", "show", "buyer@example.com", "--json").stdout)
    row = next(r for r in shown["library"] if r["content_id"] == PAID)
    assert [c["kind"] for c in row["covers"]] == ["granted"] and row["revoked"] is False


def test_a_dispute_takes_back_only_what_nothing_else_covers_and_a_won_dispute_restores_it(shop: Shop) -> None:
    second = _bundle(shop)
    app = shop.login()
    single = _buy_single(shop, app)
    bundle = _buy_bundle(shop, app)

    on_single = shop.sl.dispute(_intent(single))
    (opened,) = _events_for(shop, "charge.dispute.created", single)
    for _ in range(2):
        shop.post_event(opened, status=200)
    assert shop.order(single["id"])["status"] == "disputed"
    assert shop.owns(PAID) and shop.owns(second)  # the paid bundle still covers PAID

    on_bundle = shop.sl.dispute(_intent(bundle))
    (opened_bundle,) = _events_for(shop, "charge.dispute.created", bundle)
    shop.post_event(opened_bundle, status=200)
    assert not shop.owns(PAID) and not shop.owns(second)  # nothing live covers them now

    shop.sl.close_dispute(on_single["id"], "won")
    (closed,) = _events_for(shop, "charge.dispute.closed", single)
    for event in (closed, opened, closed):  # replays after the close change nothing more
        shop.post_event(event, status=200)
    assert shop.order(single["id"])["status"] == "paid"
    assert shop.owns(PAID) and not shop.owns(second)
    shop.sl.close_dispute(on_bundle["id"], "lost")
    for event in _events_for(shop, "charge.dispute.closed", bundle):
        shop.post_event(event, status=200)
    assert shop.owns(PAID) and not shop.owns(second)


def test_an_admin_revoke_ends_every_cover_and_a_later_refund_brings_nothing_back(shop: Shop) -> None:
    _bundle(shop)
    app = shop.login()
    single = _buy_single(shop, app)
    _buy_bundle(shop, app)
    assert cli(shop, "users", "grant", "buyer@example.com", PAID).exit_code == 0

    revoked = cli(shop, "users", "revoke", "buyer@example.com", PAID)
    assert revoked.exit_code == 0, revoked.stderr
    assert not shop.owns(PAID) and not _can_download(shop, app, PAID)
    _refund(shop, single)
    assert not shop.owns(PAID)


def test_entries_written_before_covers_existed_keep_a_paid_bundle_in_mind(shop: Shop) -> None:
    """A shop of the previous release recorded one source per entry: the item bought alone, then in
    a bundle, has an entry naming only the single order. Refunding that order keeps the item."""
    second = _bundle(shop)
    app = shop.login()
    single = _buy_single(shop, app)
    _buy_bundle(shop, app)
    buyer = shop.user()
    with shop.store.unit("sales") as unit:  # as the previous release wrote it
        old = library.entry(unit, buyer["id"], PAID)
        assert old is not None
        legacy = {k: v for k, v in old.items() if k != "covers"}
        unit.put("library", {**legacy, "source": "bought", "order_id": single["id"]})

    _refund(shop, single)
    assert shop.owns(PAID) and shop.owns(second)


def test_reconcile_applies_a_missed_refund_by_the_same_rule(shop: Shop) -> None:
    """A refund made in the Stripe dashboard whose webhook never arrived: `orders reconcile` replays it,
    and the item the paid bundle covers stays."""
    second = _bundle(shop)
    app = shop.login()
    single = _buy_single(shop, app)
    _buy_bundle(shop, app)
    shop.client.v1.refunds.create(params={"payment_intent": _intent(single)})
    done = cli(shop, "orders", "reconcile", "--since", "2000-01-01")
    assert done.exit_code == 0, done.stderr
    assert shop.order(single["id"])["status"] == "refunded"
    assert shop.owns(PAID) and shop.owns(second)
