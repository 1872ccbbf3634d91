"""Outgoing hooks against a real receiver that fails (docs/hooks.md, "Delivery guarantees"): the retry
schedule, second by second, with time moved the way the project's tests move it (the `now` the domain
takes, here `delivery.deliver_due(..., now=)`), up to the give-up at exactly 3 days; and a `kill -9`
of `paidpdf serve` (the worker thread every server runs) in the middle of a POST: the restarted
server delivers the event, with the same `webhook-id`, so a receiver that drops duplicates has it
once. On the data folder and on PostgreSQL."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import pytest

from paidpdf.hooks import delivery
from paidpdf.hooks.events import DELIVERIES, parse
from paidpdf.store import SALES, Doc
from paidpdf.testing.serve_process import start_serve, stop
from tests.payments.hook_receiver import Receiver
from tests.payments.shop import SHOP_SECRET, Shop, wait_until
from tests.payments.test_hooks import _hook, _orders, _pending

BOTH_BACKENDS = True
#: Seconds between attempts with the default pace (5 s, doubling, at most 10 hours apart), the last
#: one cut to land exactly 3 days (259,200 s) after the event was queued.
SCHEDULE = [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240, 20480,
            36000, 36000, 36000, 36000, 36000, 36000, 2245]


def _row(shop: Shop, kind: str) -> Doc:
    (row,) = [r for r in shop.store.view(SALES).all(DELIVERIES) if r["type"] == kind]
    return row


def test_retries_back_off_exponentially_and_give_up_exactly_3_days_after(
    shop: Shop, receiver: Receiver
) -> None:
    hook_id = _hook(shop, receiver)
    receiver.failing = True
    _orders(shop, 1)  # its order.paid, then its order.refunded waiting behind it
    pace = delivery.Pace(timeout=2.0)  # the production pace: first retry after 5 seconds
    created = parse(_row(shop, "order.paid")["created_at"])
    moment, gaps = created, []
    while True:
        delivery.deliver_due(shop.store, pace, now=moment)
        row = _row(shop, "order.paid")
        if row["status"] != "pending":
            break
        next_at = parse(row["next_at"])
        gaps.append(round((next_at - moment).total_seconds()))
        early = delivery.deliver_due(shop.store, pace, now=next_at - timedelta(seconds=1))
        assert early == 0 and len(receiver.arrivals) == len(gaps)  # nothing is sent before its time
        moment = next_at
    assert gaps == SCHEDULE and sum(gaps) == 3 * 24 * 3600
    assert moment - created == delivery.GIVE_UP_AFTER  # the last try at exactly 3 days, then failed
    assert row["status"] == "failed" and len(row["attempts"]) == len(SCHEDULE) + 1
    assert {a["status_code"] for a in row["attempts"]} == {503}
    assert receiver.arrivals == [row["event_id"]] * (len(SCHEDULE) + 1)  # one id on every retry
    assert receiver.bad == 0 and receiver.events() == []
    # given up: never sent again; the order's next event goes now
    receiver.failing = False
    assert delivery.deliver_due(shop.store, pace, now=moment + timedelta(days=1)) == 1
    assert [e["type"] for e in receiver.events()] == ["order.refunded"]
    assert receiver.arrivals.count(row["event_id"]) == len(SCHEDULE) + 1
    shown = delivery.deliveries_of(shop.store, hook_id)
    assert [(r["type"], r["status"]) for r in shown] == [
        ("order.refunded", "delivered"), ("order.paid", "failed"),
    ]


@pytest.mark.slow
def test_a_kill_9_of_serve_mid_delivery_delivers_the_event_after_restart_with_the_same_id(
    shop: Shop, receiver: Receiver
) -> None:
    _hook(shop, receiver, "order.paid")
    (order_id,) = _orders(shop, 1)
    env = {**os.environ, **shop.cli_env(), "PAIDPDF_SECRET_KEY": SHOP_SECRET}
    env.update({"PAIDPDF_HOOKS_TIMEOUT": "1", "PAIDPDF_HOOKS_FIRST_RETRY": "0.05"})
    env.pop("PAIDPDF_BASE_URL", None)
    receiver.hold()  # the server's POST stays in flight
    first, _url = start_serve(shop.data_dir, env, threads=2)
    try:
        assert receiver.wait_held(), "the server's worker never sent"
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        stop(first)
    receiver.release()  # the receiver answers a sender that is gone: nothing recorded it
    row = _row(shop, "order.paid")
    assert row["status"] == "pending" and row["attempts"] == [] and row.get("claimed_until")
    second, _url = start_serve(shop.data_dir, env, threads=2)
    try:
        wait_until(lambda: _pending(shop) == 0, timeout=30, what=lambda: f"{_pending(shop)} pending")
    finally:
        stop(second)
    row = _row(shop, "order.paid")
    assert row["status"] == "delivered" and [a["status_code"] for a in row["attempts"]] == [204]
    assert receiver.arrivals == [row["event_id"], row["event_id"]]  # sent twice, one id
    got = receiver.events()
    assert {e["id"] for e in got} == {row["event_id"]} and receiver.bad == 0
    deduped = {e["id"]: e for e in got}  # what a receiver that drops repeated ids keeps
    assert [(e["type"], e["data"]["id"]) for e in deduped.values()] == [("order.paid", order_id)]
