"""Webhooks delivered by the stand-in over real HTTP to the real shop server (waitress on 127.0.0.1),
refunds and disputes end to end, dropped webhooks caught up by `orders reconcile`, the shop down while
the stand-in retries."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from paidpdf.admin.site_server import build_server, server_url
from paidpdf.store import Doc
from tests.cli_app import paidpdf_app
from tests.payments.shop import PAID, WEBHOOK_SECRET, Shop, wait_until

BOTH_BACKENDS = True  # every shop test here also runs on PostgreSQL


@pytest.fixture
def cli_env(shop: Shop) -> Iterator[dict[str, str]]:
    yield shop.cli_env()


def summary(stdout: str, label: str) -> int:
    """A count from the reconcile summary table."""
    match = re.search(re.escape(label) + r"\s*│\s*(\d+)", stdout)
    assert match, f"{label!r} not in {stdout}"
    return int(match.group(1))


def run_cli(shop: Shop, env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(paidpdf_app(), ["--data", str(shop.data_dir), *args], env=env)


def reconcile(shop: Shop, env: dict[str, str]) -> Result:
    """`paidpdf orders reconcile` over everything the stand-in holds (its sessions all date from now)."""
    return run_cli(shop, env, "orders", "reconcile", "--since", "2000-01-01")


def paid_by_webhook(shop: Shop) -> Doc:
    """Serve the shop, buy as the reader and pay at the stand-in; the order is paid only through the
    webhook (the success page is never visited)."""
    shop.serve()
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    wait_until(lambda: shop.order(order["id"])["status"] == "paid", what="webhook fulfilment")
    return order


def test_webhook_alone_fulfils_without_the_success_page(shop: Shop) -> None:
    order = paid_by_webhook(shop)
    assert shop.owns() and len(shop.entries()) == 1
    assert shop.sl.state.wait_idle(10)
    event_id = shop.stand_in_events("checkout.session.completed")[0]["id"]
    duplicate = shop.sl.resend(event_id)  # a duplicate delivery
    assert shop.sl.state.wait_idle(10)
    delivered = [d for d in shop.sl.deliveries(event=event_id) if d["status"] == "delivered"]
    assert duplicate["id"] in {d["id"] for d in delivered} and len(delivered) == 2  # the shop took both
    assert len(shop.entries()) == 1
    assert [h["event"] for h in shop.order(order["id"])["history"]].count("paid") == 1


def test_full_refund_from_the_cli_revokes(shop: Shop, cli_env: dict[str, str]) -> None:
    order = paid_by_webhook(shop)
    result = run_cli(shop, cli_env, "orders", "refund", order["id"], "--yes")
    assert result.exit_code == 0, result.stderr
    assert shop.order(order["id"])["status"] == "refunded" and not shop.owns()
    assert shop.app.get(f"/content/{PAID}/download", status="*").status_int == 403
    assert shop.sl.state.wait_idle(10)  # charge.refunded + refund.created arrive afterwards: no change
    stored = shop.order(order["id"])
    assert stored["status"] == "refunded" and stored["refunded_amount"] == order["amount"]
    again = run_cli(shop, cli_env, "orders", "refund", order["id"], "--yes")
    assert again.exit_code == 4 and "only paid orders" in again.stderr


def test_partial_refund_keeps_access_dispute_revokes_won_restores(shop: Shop) -> None:
    order = paid_by_webhook(shop)
    intent = shop.order(order["id"])["stripe_payment_intent"]
    shop.client.v1.refunds.create(params={"payment_intent": intent, "amount": 100})
    wait_until(lambda: shop.order(order["id"])["refunded_amount"] == 100, what="partial refund")
    assert shop.order(order["id"])["status"] == "paid" and shop.owns()
    dispute = shop.sl.dispute(intent)
    wait_until(lambda: shop.order(order["id"])["status"] == "disputed", what="dispute")
    assert not shop.owns()
    shop.sl.close_dispute(dispute["id"], "won")
    wait_until(lambda: shop.order(order["id"])["status"] == "paid", what="dispute won")
    assert shop.owns()
    assert shop.app.get(f"/content/{PAID}/download").status_int == 200


def test_events_out_of_order_refund_before_completion(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    intent = shop.client.v1.checkout.sessions.retrieve(session_id).payment_intent
    shop.client.v1.refunds.create(params={"payment_intent": intent})
    for kind in ("charge.refunded", "refund.created", "checkout.session.completed"):  # reversed order
        for event in shop.stand_in_events(kind):
            assert shop.post_event(event).status_int == 200
    stored = shop.order(order["id"])
    assert stored["status"] == "refunded" and not shop.owns()
    assert len(shop.entries()) == 1 and shop.entries()[0]["revoked_at"]


def test_dropped_webhooks_then_reconcile(shop: Shop, cli_env: dict[str, str]) -> None:
    shop.serve()
    shop.sl.drop_webhooks()
    shop.login()
    paid, s1 = shop.buy()
    shop.sl.pay(s1)
    expired, s2 = shop.buy("watercolour-in-ten-lessons")
    shop.sl.expire(s2)
    assert shop.sl.state.wait_idle(10)
    assert shop.order(paid["id"])["status"] == "pending"
    first = reconcile(shop, cli_env)
    assert first.exit_code == 0, first.stderr
    assert summary(first.stdout, "fulfilled (missed before)") == 1
    assert summary(first.stdout, "expired (closed)") == 1
    assert shop.order(paid["id"])["status"] == "paid" and len(shop.entries()) == 1
    assert shop.order(expired["id"])["status"] == "expired"
    second = reconcile(shop, cli_env)
    assert second.exit_code == 0 and summary(second.stdout, "fulfilled (missed before)") == 0
    assert summary(second.stdout, "already up to date") == 2
    assert len(shop.entries()) == 1
    assert [h["event"] for h in shop.order(paid["id"])["history"]].count("paid") == 1


def test_shop_down_while_the_stand_in_retries(shop: Shop) -> None:
    with socket.socket() as probe:  # a port with nothing listening yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    shop.sl.set_webhook(f"http://127.0.0.1:{port}/stripe/webhook", WEBHOOK_SECRET)
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    wait_until(
        lambda: any(
            d["attempts"] and d["status"] != "delivered" and len(d["attempts"]) >= 2
            for d in shop.sl.deliveries(type="checkout.session.completed")
        ),
        what="failed delivery attempts",
    )
    assert shop.order(order["id"])["status"] == "pending"
    server = build_server(shop.settings, host="127.0.0.1", port=port, store=shop.store)
    shop.servers.append(server)
    threading.Thread(target=server.run, daemon=True).start()
    assert server_url(server).endswith(f":{port}")
    wait_until(
        lambda: shop.order(order["id"])["status"] == "paid",
        timeout=20,
        what=lambda: f"delivery after restart: {shop.sl.deliveries(type='checkout.session.completed')}",
    )
    assert len(shop.entries()) == 1
    assert shop.sl.state.wait_idle(10)  # the stand-in records the 2xx just after the shop answered
    (delivery,) = shop.sl.deliveries(type="checkout.session.completed")
    assert delivery["status"] == "delivered" and len(delivery["attempts"]) >= 3
    json.dumps(delivery)  # plain data


def test_reconcile_replays_dropped_dispute_events(shop: Shop, cli_env: dict[str, str]) -> None:
    shop.serve()
    shop.sl.drop_webhooks()
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    intent = shop.client.v1.checkout.sessions.retrieve(session_id).payment_intent
    dispute = shop.sl.dispute(intent)
    assert reconcile(shop, cli_env).exit_code == 0
    assert shop.order(order["id"])["status"] == "disputed" and not shop.owns()
    shop.sl.close_dispute(dispute["id"], "won")
    result = reconcile(shop, cli_env)
    assert result.exit_code == 0, result.stderr
    assert shop.order(order["id"])["status"] == "paid" and shop.owns()
    again = reconcile(shop, cli_env)
    assert summary(again.stdout, "refund/dispute events applied (of 2)") == 0
    assert shop.order(order["id"])["status"] == "paid" and len(shop.entries()) == 1


def test_refund_with_stripe_unreachable_is_one_line_and_changes_nothing(
    shop: Shop, cli_env: dict[str, str]
) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    shop.app.get(f"/checkout/success?session_id={session_id}")
    shop.drain_mail()  # the receipt's own writes, beside the request, are done
    before = shop.written("sales")
    shop.sl.stop()
    result = run_cli(shop, cli_env, "orders", "refund", order["id"], "--yes")
    assert result.exit_code == 8
    assert result.stderr == "Error: Stripe could not be reached (network error); please try again\n"
    assert shop.written("sales") == before
    assert shop.owns()
