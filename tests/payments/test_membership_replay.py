"""A member's life through the real `stripe` library and the stand-in (both backends): trial, first
charge, three renewals, a failed renewal (access kept while past due), recovery through the portal,
cancel at period end, access ends exactly at the period end. Every event goes to the real webhook
route; replaying them all three times and in reverse order, to a shop that saw none, ends in the same
state and access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paidpdf.content import catalog
from paidpdf.memberships import records, subscriptions
from paidpdf.store import SALES
from tests.payments.membership_life import (
    DAY,
    HOUR,
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
from tests.payments.shop import PAID, Shop
from tests.stripe_local.billing import portal_post

BOTH_BACKENDS = True


@pytest.fixture
def twin(shop: Shop, seeded: Path, tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Shop:
    return make_twin(shop, seeded, tmp_path, backend, request)


def test_a_whole_life_and_its_events_replayed_in_any_order(shop: Shop, twin: Shop) -> None:
    add_plan(shop)
    add_plan(twin)
    sub_id = join(shop)
    copy_joins(shop, twin)  # the twin started the same join, and then lost every event
    deliver(shop, billing_events(shop))
    stored = subscriptions.get(shop.store.view(SALES), sub_id)
    assert stored["status"] == "trialing" and reads(shop)
    assert not shop.owns(PAID)  # read through the membership, never put in the library

    seen = len(shop.sl.events())
    for _ in range(4):  # the trial ends (first charge), then three renewals
        advance(shop, period_end(shop, sub_id) - int(stripe_now(shop).timestamp()) + HOUR)
        deliver(shop, billing_events(shop, seen))
        seen = len(shop.sl.events())
        assert subscriptions.get(shop.store.view(SALES), sub_id)["status"] == "active" and reads(shop)
    paid = [i for i in shop.store.view(SALES).all("invoices") if i["amount_paid"] == 999]
    assert len(paid) == 4 and len({i["id"] for i in paid}) == 4

    # a renewal fails: past due, access kept while Stripe retries
    customer = str(stored["customer"])
    shop.client.v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"}}
    )
    advance(shop, period_end(shop, sub_id) - int(stripe_now(shop).timestamp()) + HOUR)
    deliver(shop, billing_events(shop, seen))
    seen = len(shop.sl.events())
    failed = subscriptions.get(shop.store.view(SALES), sub_id)
    assert failed["status"] == "past_due" and reads(shop)

    # recovery through the portal page
    portal = shop.client.v1.billing_portal.sessions.create(
        params={"customer": customer, "return_url": "http://127.0.0.1/library"}
    )
    assert portal_post(portal.url, "pay", str(failed["latest_invoice"]), "4242")[0] == 200
    deliver(shop, billing_events(shop, seen))
    seen = len(shop.sl.events())
    assert subscriptions.get(shop.store.view(SALES), sub_id)["status"] == "active" and reads(shop)

    # an item added mid-membership is covered
    catalog.tag(shop.store, "field-notes-on-city-birds", ["birds"])
    assert reads(shop, item="field-notes-on-city-birds")

    # cancel at period end: access until exactly the period end, then nothing
    shop.client.v1.subscriptions.update(sub_id, params={"cancel_at_period_end": True})
    deliver(shop, billing_events(shop, seen))
    seen = len(shop.sl.events())
    ending = subscriptions.get(shop.store.view(SALES), sub_id)
    end = datetime.strptime(ending["period_end"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert ending["access_until"] == ending["period_end"]
    item = catalog.get_item(shop.store, PAID)
    view, user = shop.store.view(SALES), shop.user()["id"]
    assert records.covering(view, user, item, at=end - timedelta(seconds=1)) is not None
    assert records.covering(view, user, item, at=end) is None
    advance(shop, int(end.timestamp()) - int(stripe_now(shop).timestamp()) + DAY)
    deliver(shop, billing_events(shop, seen))
    final = subscriptions.get(shop.store.view(SALES), sub_id)
    assert final["status"] == "canceled" and not reads(shop)
    in_order = snapshot(shop.store)

    # every event of that life, three times over and newest first, to a shop that saw none
    everything = billing_events(shop)
    outcomes = deliver(twin, list(reversed(everything)) * 3)
    assert "created" in outcomes
    assert snapshot(twin.store) == in_order
    assert not reads(shop, store=twin.store)
    # and in order once more to the first shop: nothing changes
    deliver(shop, everything)
    assert snapshot(shop.store) == in_order
