"""Memberships from the admin's side, through the real CLI, the real `stripe` library and the stand-in
(both backends): webhooks dropped for a month then `orders reconcile`; `subscriptions cancel
--refund-last` (access ends, the refund recorded once); list and show; a guest's join; a pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from paidpdf.accounts import users
from paidpdf.memberships import invoices, joins, plans, subscriptions
from paidpdf.sales import guest_checkout
from paidpdf.store import SALES
from tests.cli_app import paidpdf_app
from tests.payments.membership_life import (
    HOUR,
    PLAN,
    add_plan,
    advance,
    billing_events,
    copy_joins,
    deliver,
    join,
    make_twin,
    period_end,
    reads,
    snapshot,
    stripe_now,
)
from tests.payments.shop import Shop

BOTH_BACKENDS = True


@pytest.fixture
def twin(shop: Shop, seeded: Path, tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Shop:
    return make_twin(shop, seeded, tmp_path, backend, request)


def run(shop: Shop, *args: str) -> Result:
    return CliRunner().invoke(paidpdf_app(), ["--data", str(shop.data_dir), *args], env=shop.cli_env())


def test_webhooks_dropped_for_a_month_then_reconcile_gives_the_same_state(shop: Shop, twin: Shop) -> None:
    add_plan(shop, trial_days=0)
    add_plan(twin, trial_days=0)
    sub_id = join(shop)
    copy_joins(shop, twin)
    first = billing_events(shop)
    deliver(shop, first)
    deliver(twin, first)
    assert run(twin, "orders", "reconcile").exit_code == 0  # the last run the next one starts from
    seen = len(shop.sl.events())
    # a month of events the twin never gets: a renewal, then a cancel and the end of the period
    advance(shop, period_end(shop, sub_id) - int(stripe_now(shop).timestamp()) + HOUR)
    shop.client.v1.subscriptions.update(sub_id, params={"cancel_at_period_end": True})
    deliver(shop, billing_events(shop, seen))
    assert subscriptions.get(twin.store.view(SALES), sub_id)["period_end"] != (
        subscriptions.get(shop.store.view(SALES), sub_id)["period_end"]
    )
    result = run(twin, "orders", "reconcile")
    assert result.exit_code == 0, result.output
    assert "subscriptions changed" in result.stdout and sub_id in result.stdout
    assert snapshot(twin.store) == snapshot(shop.store)
    assert reads(shop, store=twin.store)  # paid through the renewed period
    # the end of that period, again missed by the twin: reconcile takes the access away
    seen = len(shop.sl.events())
    advance(shop, period_end(shop, sub_id) - int(stripe_now(shop).timestamp()) + HOUR)
    deliver(shop, billing_events(shop, seen))
    assert run(twin, "orders", "reconcile").exit_code == 0
    assert snapshot(twin.store) == snapshot(shop.store)
    assert subscriptions.get(twin.store.view(SALES), sub_id)["status"] == "canceled"
    assert not reads(shop, store=twin.store)
    before = snapshot(twin.store)
    assert run(twin, "orders", "reconcile").exit_code == 0
    assert snapshot(twin.store) == before


def test_refund_last_ends_access_and_records_the_refund_once(shop: Shop) -> None:
    add_plan(shop, trial_days=0)
    sub_id = join(shop)
    deliver(shop, billing_events(shop))
    assert reads(shop)
    seen = len(shop.sl.events())
    stats = json.loads(run(shop, "orders", "stats", "--json").stdout)["memberships"]
    assert stats["active_members"] == 1 and stats["mrr"] == [{"currency": "usd", "amount": 999}]
    assert "monthly recurring revenue" in run(shop, "orders", "stats").stdout
    result = run(shop, "subscriptions", "cancel", sub_id, "--refund-last", "--yes")
    assert result.exit_code == 0, result.output
    assert not reads(shop)
    stored = subscriptions.get(shop.store.view(SALES), sub_id)
    assert stored["status"] == "canceled" and stored["access_status"] == "refunded"
    # the refund's own events, twice, then the command again: still one refund of the one invoice
    later = billing_events(shop, seen)
    assert any(e["type"] == "charge.refunded" for e in later)
    deliver(shop, later + later)
    again = run(shop, "subscriptions", "cancel", sub_id, "--refund-last", "--yes")
    assert again.exit_code == 0, again.output
    (paid,) = [i for i in invoices.for_subscription(shop.store.view(SALES), sub_id) if i["amount_paid"]]
    assert paid["refunded_amount"] == 999 and len(paid["refunds"]) == 1
    made = [e for e in shop.stand_in_events("refund.created")
            if e["data"]["object"]["payment_intent"] == paid["payment_intent"]]
    assert len(made) == 1  # Stripe refunded once, too
    assert not reads(shop)
    shown = json.loads(run(shop, "subscriptions", "show", sub_id, "--json").stdout)
    assert shown["access_status"] == "refunded" and shown["invoices"][-1]["refunded_amount"] == 999
    assert any(e["type"] == "charge.refunded" for e in shown["events"])
    stats = json.loads(run(shop, "orders", "stats", "--json").stdout)["memberships"]
    assert stats["active_members"] == 0 and stats["per_month"][0]["churned"] == 1


def test_list_show_and_errors(shop: Shop) -> None:
    add_plan(shop, trial_days=7)
    sub_id = join(shop)
    deliver(shop, billing_events(shop))
    listed = json.loads(run(shop, "subscriptions", "list", "--status", "trialing", "--json").stdout)
    assert [s["id"] for s in listed] == [sub_id]
    assert json.loads(run(shop, "subscriptions", "list", "--status", "canceled", "--json").stdout) == []
    by_email = json.loads(run(shop, "subscriptions", "show", "buyer@example.com", "--json").stdout)
    assert by_email["id"] == sub_id and by_email["status"] == "trialing"
    assert "History" in run(shop, "subscriptions", "show", sub_id).stdout
    bad = run(shop, "subscriptions", "list", "--status", "happy")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    missing = run(shop, "subscriptions", "show", "sub_nope")
    assert missing.exit_code == 3 and "no subscription" in missing.stderr
    both = run(shop, "subscriptions", "cancel", sub_id, "--now", "--at-period-end", "--yes")
    assert both.exit_code == 2
    stats = json.loads(run(shop, "orders", "stats", "--json").stdout)["memberships"]
    assert stats["active_members"] == 1 and stats["mrr"] == []  # a trial is no revenue yet
    assert stats["per_month"][0]["new"] == 1
    assert run(shop, "subscriptions", "cancel", sub_id, "--yes").exit_code == 0
    stored = subscriptions.get(shop.store.view(SALES), sub_id)
    assert stored["cancel_at_period_end"] and reads(shop)  # kept until the period ends


def test_a_guest_joins_by_email(shop: Shop) -> None:
    add_plan(shop, trial_days=0)
    token = guest_checkout.token_digest(guest_checkout.new_token())
    started = joins.start_join(shop.store, shop.client, shop.settings, user=None, plan_id=PLAN,
                               guest_token=token)
    assert started.kind == "redirect" and started.join is not None
    again = joins.start_join(shop.store, shop.client, shop.settings, user=None, plan_id=PLAN,
                             guest_token=token)
    assert again.join is not None and again.join["id"] == started.join["id"]  # a double click: one join
    shop.sl.pay(str(started.join["stripe_session_id"]), email="new-member@example.com")
    deliver(shop, list(reversed(billing_events(shop))))  # even newest first
    member = users.require_user(shop.store, "new-member@example.com")
    assert reads(shop, email="new-member@example.com")
    assert member.get("member") is True  # the hint: their downloads read the record first
    (sub,) = subscriptions.find_for_user(shop.store.view(SALES), member["id"])
    assert sub["status"] == "active"


def test_a_pass_gives_its_term_once_and_a_refund_ends_it(shop: Shop) -> None:
    plans.add(shop.store, "month-pass", title="30 days", price_text="25", currency="usd", pass_text="30d")
    started = joins.start_join(shop.store, shop.client, shop.settings, user=shop.user(), plan_id="month-pass")
    assert started.join is not None and started.join["mode"] == "payment"
    shop.sl.pay(str(started.join["stripe_session_id"]))
    events = billing_events(shop)
    deliver(shop, events + events)
    (sub,) = subscriptions.find_for_user(shop.store.view(SALES), shop.user()["id"])
    assert sub["kind"] == "pass" and reads(shop)
    assert sub["access_until"] > sub["period_start"]
    seen = len(shop.sl.events())
    result = run(shop, "subscriptions", "cancel", sub["id"], "--refund-last", "--yes")
    assert result.exit_code == 0, result.output
    deliver(shop, billing_events(shop, seen))
    assert not reads(shop)
    (paid,) = invoices.for_subscription(shop.store.view(SALES), sub["id"])
    assert paid["refunded_amount"] == 2500 and len(paid["refunds"]) == 1
