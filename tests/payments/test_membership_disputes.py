"""A dispute of a membership invoice, as Stripe reports it: opened and closed on the stand-in, its signed
`charge.dispute.created` / `charge.dispute.closed` events posted to the real webhook route (replayed, and
out of order). The dispute ends the member's access at once; a won dispute gives it back while the
subscription is otherwise active, and not once it was canceled meanwhile; a lost one keeps it ended.
Both backends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from paidpdf.memberships import invoices, subscriptions
from paidpdf.store import SALES
from tests.cli_app import paidpdf_app
from tests.payments.membership_life import (
    add_plan,
    billing_events,
    copy_joins,
    deliver,
    join,
    make_twin,
    reads,
    snapshot,
)
from tests.payments.shop import Shop

BOTH_BACKENDS = True


def run(shop: Shop, *args: str) -> Result:
    return CliRunner().invoke(paidpdf_app(), ["--data", str(shop.data_dir), *args], env=shop.cli_env())


def _paid_member(shop: Shop) -> tuple[str, str]:
    """A member whose first invoice is paid; (subscription id, that invoice's PaymentIntent)."""
    add_plan(shop, trial_days=0)
    sub_id = join(shop)
    deliver(shop, billing_events(shop))
    assert reads(shop)
    (paid,) = [i for i in invoices.for_subscription(shop.store.view(SALES), sub_id) if i["amount_paid"]]
    return sub_id, str(paid["payment_intent"])


def _events_for(shop: Shop, kind: str, intent: str) -> list[dict[str, Any]]:
    return [e for e in shop.stand_in_events(kind) if intent in json.dumps(e)]


def _sub(shop: Shop, sub_id: str) -> dict[str, Any]:
    return subscriptions.get(shop.store.view(SALES), sub_id)


def test_a_dispute_ends_access_and_a_won_dispute_gives_it_back(shop: Shop) -> None:
    sub_id, intent = _paid_member(shop)
    dispute = shop.sl.dispute(intent)
    (opened,) = _events_for(shop, "charge.dispute.created", intent)
    deliver(shop, [opened, opened])
    assert not reads(shop)
    stored = _sub(shop, sub_id)
    assert stored["status"] == "active" and stored["access_status"] == "refunded"  # Stripe still bills it
    assert stored["revoked_invoices"] == [stored["latest_invoice"]]
    (invoice,) = [i for i in invoices.for_subscription(shop.store.view(SALES), sub_id) if i["amount_paid"]]
    assert invoice["disputed"] is True
    shown = json.loads(run(shop, "subscriptions", "show", sub_id, "--json").stdout)
    assert shown["access_status"] == "refunded"

    shop.sl.close_dispute(dispute["id"], "won")
    (closed,) = _events_for(shop, "charge.dispute.closed", intent)
    deliver(shop, [closed, opened, closed])  # the opening replayed after the close takes nothing back
    assert reads(shop)
    stored = _sub(shop, sub_id)
    assert stored["access_status"] == "active" and stored["revoked_invoices"] == []
    # any later Billing event recomputes from Stripe's state: the access stays
    shop.client.v1.subscriptions.update(sub_id, params={"metadata": {"note": "touched"}})
    deliver(shop, billing_events(shop)[-3:])
    assert reads(shop) and _sub(shop, sub_id)["access_status"] == "active"


def test_a_won_dispute_restores_nothing_once_the_subscription_was_canceled(shop: Shop) -> None:
    sub_id, intent = _paid_member(shop)
    dispute = shop.sl.dispute(intent)
    seen = len(shop.sl.events())
    deliver(shop, _events_for(shop, "charge.dispute.created", intent))
    assert not reads(shop)
    canceled = run(shop, "subscriptions", "cancel", sub_id, "--now", "--yes")
    assert canceled.exit_code == 0, canceled.output
    shop.sl.close_dispute(dispute["id"], "won")
    deliver(shop, list(reversed(billing_events(shop, seen))))  # cancel and close, newest first
    stored = _sub(shop, sub_id)
    assert stored["status"] == "canceled" and not reads(shop)


def test_a_lost_dispute_keeps_access_ended(shop: Shop) -> None:
    sub_id, intent = _paid_member(shop)
    dispute = shop.sl.dispute(intent)
    deliver(shop, _events_for(shop, "charge.dispute.created", intent))
    shop.sl.close_dispute(dispute["id"], "lost")
    deliver(shop, _events_for(shop, "charge.dispute.closed", intent) * 2)
    assert not reads(shop) and _sub(shop, sub_id)["access_status"] == "refunded"


def test_a_dispute_delivered_before_everything_else_ends_access_the_same(
    shop: Shop, seeded: Path, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """A twin shop gets the whole story newest first, the dispute before the invoice it disputes: the
    dispute waits for its invoice and the end state is the in-order one."""
    twin = make_twin(shop, seeded, tmp_path, backend, request)
    add_plan(twin, trial_days=0)
    _sub_id, intent = _paid_member(shop)
    copy_joins(shop, twin)
    shop.sl.dispute(intent)
    deliver(shop, _events_for(shop, "charge.dispute.created", intent))
    assert not reads(shop)
    story = billing_events(shop)
    deliver(twin, list(reversed(story)))
    assert not reads(shop, store=twin.store)
    assert snapshot(twin.store)["subscriptions"] == snapshot(shop.store)["subscriptions"]


def test_a_won_dispute_delivered_before_its_opening_leaves_access_on(
    shop: Shop, seeded: Path, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """The close (won) can reach a server before the opening: the opening, late, takes nothing away."""
    twin = make_twin(shop, seeded, tmp_path, backend, request)
    add_plan(twin, trial_days=0)
    _sub_id, intent = _paid_member(shop)
    copy_joins(shop, twin)
    dispute = shop.sl.dispute(intent)
    shop.sl.close_dispute(dispute["id"], "won")
    deliver(shop, billing_events(shop))
    assert reads(shop)
    deliver(twin, list(reversed(billing_events(shop))))  # closed, then created, then the invoice
    assert reads(shop, store=twin.store)
    assert snapshot(twin.store)["subscriptions"] == snapshot(shop.store)["subscriptions"]
