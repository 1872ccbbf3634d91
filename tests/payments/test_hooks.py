"""Outgoing hooks end to end (docs/hooks.md): hooks added by the real CLI, events queued by the real
order and refund paths, delivered by the real worker (in-process, and as a `paidpdf hooks deliver`
subprocess killed with -9) to a real receiver on 127.0.0.1 that verifies every signature with the
`standardwebhooks` library; SSRF targets refused. On the data folder and on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from paidpdf.clock import new_id, now_iso
from paidpdf.hooks import delivery, runner
from paidpdf.hooks.endpoints import ENDPOINTS
from paidpdf.hooks.events import DELIVERIES
from paidpdf.sales import orders
from tests.cli_app import paidpdf_app
from tests.payments.hook_receiver import Receiver
from tests.payments.shop import PAID, SHOP_SECRET, Shop, wait_until

BOTH_BACKENDS = True
QUICK = delivery.Pace(timeout=2.0, first_retry=0.05)


def _cli(shop: Shop, *args: str) -> Any:
    return CliRunner().invoke(paidpdf_app(), ["--data", str(shop.data_dir), *args], env=shop.cli_env())


def _hook(shop: Shop, receiver: Receiver, events: str = "order.paid,order.refunded") -> str:
    made = _cli(shop, "hooks", "add", receiver.url, "--events", events, "--allow-private")
    assert made.exit_code == 0, made.stderr
    receiver.secret = made.stdout.strip()
    assert receiver.secret.startswith("whsec_")
    return str(json.loads(_cli(shop, "hooks", "list", "--json").stdout)[-1]["id"])


def _orders(shop: Shop, count: int) -> list[str]:
    """Orders paid then refunded through `orders.save` (the path every order change takes), interleaved."""
    ids = [new_id("ord") for _ in range(count)]
    with shop.store.unit("sales") as unit:
        for order_id in ids:
            unit.put(
                orders.ORDERS,
                {
                    "id": order_id,
                    "status": "pending",
                    "content_id": PAID,
                    "user_id": None,
                    "buyer": "b@example.com",
                    "amount": 500,
                    "currency": "usd",
                    "created_at": now_iso(),
                    "history": [],
                },
            )
    for step in ({"status": "paid", "paid_at": now_iso()}, {"status": "refunded", "refunded_amount": 500}):
        for order_id in ids:
            with shop.store.unit("sales") as unit:
                orders.save(unit, orders.get(unit, order_id), "test", "hooks test", "test", **step)
    return ids


def _pending(shop: Shop) -> int:
    return len(shop.store.view("sales").find(DELIVERIES, "status", "pending"))


def test_a_paid_then_refunded_order_is_delivered_signed_and_in_order(shop: Shop, receiver: Receiver) -> None:
    hook_id = _hook(shop, receiver)
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    shop.app.get(f"/checkout/success?session_id={session_id}")
    assert receiver.events() == []  # queued, not sent by the request
    done = _cli(shop, "orders", "refund", order["id"], "--yes")
    assert done.exit_code == 0, done.stderr
    assert _pending(shop) == 2
    wait_until(lambda: delivery.deliver_due(shop.store, QUICK) >= 0 and len(receiver.events()) >= 2)
    got = receiver.events()
    assert [e["type"] for e in got] == ["order.paid", "order.refunded"] and receiver.bad == 0
    assert {e["data"]["id"] for e in got} == {order["id"]} and got[1]["data"]["refunded_amount"] == order[
        "amount"
    ]
    shown = json.loads(_cli(shop, "hooks", "deliveries", hook_id, "--json").stdout)
    assert [r["status"] for r in shown] == ["delivered", "delivered"]
    assert all(
        r["attempts"][-1]["status_code"] == 204 and r["attempts"][-1]["duration_ms"] >= 0 for r in shown
    )
    assert "whsec_" not in _cli(shop, "hooks", "list", "--json").stdout
    assert receiver.secret not in str(shop.store.export("sales"))  # kept sealed, never in the clear
    tested = _cli(shop, "hooks", "test", hook_id)
    assert tested.exit_code == 0 and "204" in tested.stdout and receiver.events()[-1]["type"] == "test.ping"


def test_the_receiver_down_then_up_gets_every_event_in_order_per_order(
    shop: Shop, receiver: Receiver
) -> None:
    hook_id = _hook(shop, receiver)
    receiver.down()
    ids = _orders(shop, 15)
    worker = runner.HookRunner(shop.store, QUICK, interval=0.02).start()
    try:
        wait_until(
            lambda: all(
                len(r["attempts"]) >= 2
                for r in delivery.deliveries_of(shop.store, hook_id)
                if r["type"] == "order.paid"
            ),
            timeout=20,
        )
        assert receiver.events() == []
        receiver.up()
        wait_until(
            lambda: len(receiver.events()) >= 30, timeout=30, what=lambda: f"{len(receiver.events())}/30"
        )
    finally:
        worker.stop()
    assert receiver.types_by_object() == {i: ["order.paid", "order.refunded"] for i in ids}
    assert receiver.bad == 0 and _pending(shop) == 0
    failed = [
        a
        for r in delivery.deliveries_of(shop.store, hook_id)
        for a in r["attempts"]
        if a["status_code"] is None
    ]
    assert failed and all(a["error"] for a in failed)  # each refused attempt recorded


@pytest.mark.slow
def test_serve_with_two_workers_delivers_every_event_once(shop: Shop, receiver: Receiver) -> None:
    """`paidpdf serve --workers 2` runs the worker in both processes; claims keep each event to one."""
    from paidpdf.testing.serve_process import start_serve, stop

    _hook(shop, receiver)
    ids = _orders(shop, 10)
    env = {**os.environ, **shop.cli_env(), "PAIDPDF_SECRET_KEY": SHOP_SECRET}
    env["PAIDPDF_HOOKS_FIRST_RETRY"] = "0.05"
    env.pop("PAIDPDF_BASE_URL", None)
    process, _url = start_serve(shop.data_dir, env, threads=2, workers=2)
    try:
        wait_until(lambda: _pending(shop) == 0, timeout=30, what=lambda: f"{_pending(shop)} pending")
    finally:
        stop(process)
    got = receiver.events()
    assert len(got) == len({e["id"] for e in got}) == 20 and receiver.bad == 0
    assert receiver.types_by_object() == {i: ["order.paid", "order.refunded"] for i in ids}


def test_a_kill_9_of_the_delivering_process_loses_nothing(shop: Shop, receiver: Receiver) -> None:
    _hook(shop, receiver)
    ids = _orders(shop, 5)
    env = {**os.environ, **shop.cli_env(), "PAIDPDF_HOOKS_TIMEOUT": "1", "PAIDPDF_HOOKS_FIRST_RETRY": "0.05"}
    command = [sys.executable, "-m", "paidpdf", "--data", str(shop.data_dir), "hooks", "deliver"]
    receiver.hold()  # the first delivery stays in flight
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert receiver.wait_held(), "the worker never sent"
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    receiver.release()
    second = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _pending(shop) == 0, timeout=30, what=lambda: f"{_pending(shop)} pending")
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.wait(10)
        except subprocess.TimeoutExpired:
            second.kill()
    by_order = receiver.types_by_object()
    assert set(by_order) == set(ids)
    for types in by_order.values():  # at least once, in order (the killed one may come twice)
        deduped = [t for n, t in enumerate(types) if n == 0 or types[n - 1] != t]
        assert deduped == ["order.paid", "order.refunded"], types


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/h",
        "http://10.1.2.3/h",
        "http://169.254.169.254/latest",
        "http://[::1]:8080/h",
        "http://localhost:8080/h",
        "http://192.168.0.5/h",
        "http://[fe80::1]/h",
        "http://0.0.0.0/h",
    ],
)
def test_private_targets_are_refused(shop: Shop, url: str) -> None:
    before = shop.written("sales")
    refused = _cli(shop, "hooks", "add", url, "--events", "order.paid")
    assert refused.exit_code == 2 and "refused" in refused.stderr and "Traceback" not in refused.stderr
    assert shop.written("sales") == before


def test_an_address_that_turned_private_is_refused_at_delivery(shop: Shop, receiver: Receiver) -> None:
    """DNS can change after `hooks add`: the check runs again before every POST."""
    hook_id = _hook(shop, receiver)
    with shop.store.unit("sales") as unit:  # as if its name now resolved to 127.0.0.1
        unit.put(ENDPOINTS, {**unit.get(ENDPOINTS, hook_id), "allow_private": False})
    _orders(shop, 1)
    delivery.deliver_due(shop.store, QUICK)
    rows = delivery.deliveries_of(shop.store, hook_id)
    assert receiver.events() == [] and receiver.arrived.is_set() is False
    assert rows[-1]["status"] == "pending" and "refused" in rows[-1]["attempts"][0]["error"]


def test_bad_hook_input_is_one_clear_line(shop: Shop) -> None:
    for args in (
        ["ftp://example.com/x", "--events", "order.paid"],
        ["https://example.com/x", "--events", "nope"],
    ):
        done = _cli(shop, "hooks", "add", *args)
        assert done.exit_code == 2 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert _cli(shop, "hooks", "remove", "hook_missing").exit_code == 3


def test_a_removed_hook_drops_its_queue(shop: Shop, receiver: Receiver) -> None:
    hook_id = _hook(shop, receiver)
    _orders(shop, 2)
    assert _pending(shop) == 4
    assert _cli(shop, "hooks", "remove", hook_id).exit_code == 0
    assert _pending(shop) == 0 and delivery.deliver_due(shop.store, QUICK) == 0


def test_a_membership_change_is_delivered(shop: Shop, receiver: Receiver) -> None:
    """Membership events are queued where subscriptions are saved (the Stripe webhook's unit)."""
    from tests.payments import membership_life as life

    _hook(shop, receiver, "subscription.created,subscription.updated")
    life.add_plan(shop, trial_days=7)
    sub_id = life.join(shop)
    life.deliver(shop, life.billing_events(shop))
    assert receiver.events() == []  # the webhook only queued them
    seen = len(shop.sl.events())
    life.advance(shop, 8 * life.DAY)  # the trial ends: the first charge, the subscription active
    life.deliver(shop, life.billing_events(shop, seen))
    wait_until(lambda: delivery.deliver_due(shop.store, QUICK) >= 0 and _pending(shop) == 0)
    types = receiver.types_by_object()
    assert list(types) == [sub_id] and receiver.bad == 0
    assert types[sub_id][0] == "subscription.created" and "subscription.updated" in types[sub_id]
    assert receiver.events()[-1]["data"]["status"] == "active"


def test_a_hanging_receiver_blocks_no_request_and_no_stripe_webhook(shop: Shop, receiver: Receiver) -> None:
    """The worker sends beside the site: while a receiver holds a delivery, the site's pages and the
    Stripe webhook still answer, and their changes are queued behind it."""
    _hook(shop, receiver)
    receiver.hold()
    worker = runner.HookRunner(
        shop.store, delivery.Pace(timeout=20.0, first_retry=0.05), interval=0.02
    ).start()
    try:
        shop.login()
        order, session_id = shop.buy()
        shop.sl.pay(session_id)
        shop.app.get(f"/checkout/success?session_id={session_id}")
        assert receiver.wait_held(), "order.paid was never sent"
        for event in shop.stand_in_events("checkout.session.completed"):  # Stripe's webhook, while held
            assert shop.post_event(event).status_int == 200
        done = _cli(shop, "orders", "refund", order["id"], "--yes")
        assert done.exit_code == 0, done.stderr
        assert receiver.events() == [] and _pending(shop) == 2  # still held: both queued, none lost
        receiver.release()
        wait_until(lambda: len(receiver.events()) == 2, timeout=20)
    finally:
        receiver.release()
        worker.stop()
    assert [e["type"] for e in receiver.events()] == ["order.paid", "order.refunded"]


def test_old_finished_deliveries_are_pruned_and_pending_ones_kept(shop: Shop, receiver: Receiver) -> None:
    hook_id = _hook(shop, receiver)
    _orders(shop, 2)
    assert delivery.deliver_due(shop.store, QUICK) == 2  # the two orders' order.paid; refunds wait behind
    with shop.store.unit("sales") as unit:  # the delivered ones are 31 days old
        for row in unit.find(DELIVERIES, "status", "delivered"):
            unit.put(DELIVERIES, {**row, "created_at": "2020-01-01T00:00:00.000000Z"})
    done = _cli(shop, "hooks", "deliver", "--once")
    assert done.exit_code == 0 and "pruned 2 old" in done.stdout
    left = delivery.deliveries_of(shop.store, hook_id)
    assert [r["type"] for r in left] == ["order.refunded", "order.refunded"]
