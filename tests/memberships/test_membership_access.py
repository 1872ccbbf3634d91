"""The membership record and the access check on real stores (both backends): a state applied in one
unit (`subscriptions.apply_state`) decides what the reader may read through ONE lookup of their record;
covered items by tag (later tags too), time-bound access, past due keeps access, canceled and refunded
give nothing, items bought separately stay, retired items are never covered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paidpdf.clock import iso, now
from paidpdf.content import catalog
from paidpdf.errors import AccessDenied
from paidpdf.memberships import plans, records, subscriptions
from paidpdf.memberships.stripe_state import SubscriptionState
from paidpdf.ownership import access, library
from paidpdf.store import SALES, DataStore, Doc
from tests.payments.helpers import add_item, add_user

BOTH_BACKENDS = True


ANCHOR = now()  # Stripe reports one period's bounds identically however often it is asked


def state(status: str = "active", *, days: int = 20, cancel: bool = False, sub_id: str = "sub_test_1",
          latest: str = "in_1") -> SubscriptionState:
    return SubscriptionState(
        id=sub_id, customer="cus_1", status=status, period_start=iso(ANCHOR - timedelta(days=10)),
        period_end=iso(ANCHOR + timedelta(days=days)), cancel_at_period_end=cancel, canceled_at=None,
        ended_at=None, trial_end=None, latest_invoice=latest, amount=999, currency="usd",
        interval="month", livemode=False, metadata={},
    )


def apply(store: DataStore, user: Doc, plan: Doc, st: SubscriptionState) -> subscriptions.Change:
    with store.unit(SALES) as unit:
        return subscriptions.apply_state(unit, st, user_id=user["id"], email=user["email"], plan=plan,
                                         source="test")


@pytest.fixture
def shop(store: DataStore) -> tuple[DataStore, Doc, Doc, Doc]:
    add_item(store, "guide")
    add_item(store, "atlas")
    catalog.tag(store, "guide", ["baking"])
    reader = add_user(store)
    everything = plans.add(store, "all-access", title="All access", price_text="9.99", currency="usd")
    return store, reader, everything, plans.add(
        store, "bakers", title="Bakers", price_text="5", currency="usd", covers="tag:baking"
    )


def test_an_active_membership_opens_every_covered_item_and_not_its_library(shop: tuple) -> None:
    store, reader, everything, _ = shop
    assert not access.shelf_item(store, reader, "guide").can_download
    change = apply(store, reader, everything, state())
    assert change.action == "created" and change.notices == ["welcome"]
    shelf = access.shelf_item(store, reader, "atlas")
    assert shelf.can_download and not shelf.owned and shelf.included_in == "All access"
    assert access.downloadable_item(store, reader, "atlas")["id"] == "atlas"
    assert not library.owns(store.view(SALES), reader["id"], "atlas")  # read through the membership only
    assert [title for title, _ in access.included_items(store, reader)] == ["All access"]
    assert apply(store, reader, everything, state()).action == "unchanged"  # the same state twice: no write


def test_a_tag_plan_covers_items_tagged_later_only(shop: tuple) -> None:
    store, reader, _, bakers = shop
    apply(store, reader, bakers, state())
    assert access.shelf_item(store, reader, "guide").can_download
    assert not access.shelf_item(store, reader, "atlas").can_download
    catalog.tag(store, "atlas", ["baking"])
    add_item(store, "new-one")
    catalog.tag(store, "new-one", ["baking"])
    assert access.shelf_item(store, reader, "atlas").can_download
    assert access.shelf_item(store, reader, "new-one").included_in == "Bakers"


@pytest.mark.parametrize(("status", "reads"), [
    ("trialing", True), ("past_due", True), ("unpaid", False), ("canceled", False), ("incomplete", False),
])
def test_statuses(shop: tuple, status: str, reads: bool) -> None:
    store, reader, everything, _ = shop
    apply(store, reader, everything, state(status))
    assert access.shelf_item(store, reader, "atlas").can_download is reads


def test_access_ends_exactly_at_the_period_end_when_set_to_cancel(shop: tuple) -> None:
    store, reader, everything, _ = shop
    change = apply(store, reader, everything, state(cancel=True, days=3))
    end = change.subscription["period_end"]
    assert change.subscription["access_until"] == end
    view = store.view(SALES)
    item = catalog.get_item(store, "atlas")
    from paidpdf.clock import parse_iso

    assert records.covering(view, reader["id"], item, at=parse_iso(end) - timedelta(seconds=1)) is not None
    assert records.covering(view, reader["id"], item, at=parse_iso(end)) is None
    # a renewing membership keeps a grace past the period end, for a renewal event that is late
    renewing = apply(store, reader, everything, state(days=3)).subscription
    grace = parse_iso(renewing["access_until"]) - parse_iso(renewing["period_end"])
    assert grace == subscriptions.RENEWAL_GRACE


def test_a_period_over_gives_nothing_without_any_event(shop: tuple) -> None:
    store, reader, everything, _ = shop
    apply(store, reader, everything, state(cancel=True, days=-1))
    with pytest.raises(AccessDenied):
        access.downloadable_item(store, reader, "atlas")


def test_bought_items_stay_and_retired_items_are_never_covered(shop: tuple) -> None:
    store, reader, everything, _ = shop
    with store.unit(SALES) as unit:
        library.add(unit, reader["id"], "guide", "granted")
    apply(store, reader, everything, state())
    catalog.retire(store, "atlas")
    item = catalog.get_item(store, "atlas")
    assert records.covering(store.view(SALES), reader["id"], item) is None
    apply(store, reader, everything, state("canceled"))
    assert access.shelf_item(store, reader, "guide").owned
    assert access.downloadable_item(store, reader, "guide")["id"] == "guide"


def test_a_refunded_latest_invoice_ends_access_until_a_new_one_is_paid(shop: tuple) -> None:
    store, reader, everything, _ = shop
    sub = apply(store, reader, everything, state(latest="in_1")).subscription
    with store.unit(SALES) as unit:
        subscriptions.revoke_invoice(unit, sub, "in_1", "refunded", "test")
        subscriptions.revoke_invoice(unit, unit.get("subscriptions", sub["id"]), "in_1", "refunded", "again")
    assert not access.shelf_item(store, reader, "atlas").can_download
    stored = subscriptions.get(store.view(SALES), sub["id"])
    assert stored["revoked_invoices"] == ["in_1"] and stored["access_status"] == "refunded"
    # the same state again (a replayed event) does not give access back
    apply(store, reader, everything, state(latest="in_1"))
    assert not access.shelf_item(store, reader, "atlas").can_download
    apply(store, reader, everything, state(latest="in_2", days=50))
    assert access.shelf_item(store, reader, "atlas").can_download


def test_notices_are_queued_once_per_occasion(shop: tuple) -> None:
    from paidpdf.memberships import notices

    store, reader, everything, _ = shop
    for _ in range(3):
        apply(store, reader, everything, state())
        apply(store, reader, everything, state("past_due", latest="in_2"))
        apply(store, reader, everything, state("active", cancel=True, latest="in_2"))
        apply(store, reader, everything, state("canceled", cancel=True, latest="in_2"))
    kinds = sorted(n["kind"] for n in store.view(SALES).all(notices.NOTICES))
    assert kinds == ["access_ended", "cancel_confirmed", "payment_failed", "welcome"]
    first = notices.due(store.view(SALES))[0]
    assert notices.claim(store, first["id"]) is not None
    assert notices.claim(store, first["id"]) is None  # another sender cannot take it too


def test_the_member_hint_only_orders_the_lookups(shop: tuple) -> None:
    """`member` on the account makes a download read the record first; stale or not, it never grants."""
    store, reader, everything, _ = shop
    hinted = {**reader, records.MEMBER_HINT: True}
    with store.unit(SALES) as unit:
        library.add(unit, reader["id"], "guide", "granted")
    assert access.downloadable_item(store, hinted, "guide")["id"] == "guide"  # owned, no membership
    with pytest.raises(AccessDenied):
        access.downloadable_item(store, hinted, "atlas")
    apply(store, reader, everything, state())
    assert access.downloadable_item(store, hinted, "atlas")["id"] == "atlas"
    assert not library.owns(store.view(SALES), reader["id"], "atlas")
    apply(store, reader, everything, state("canceled"))
    with pytest.raises(AccessDenied):
        access.downloadable_item(store, hinted, "atlas")
    assert access.downloadable_item(store, hinted, "guide")["id"] == "guide"
    records.mark_member(store, reader["id"])
    records.mark_member(store, reader["id"])
    from paidpdf.accounts import users

    assert (users.get_user(store, reader["id"]) or {}).get(records.MEMBER_HINT) is True
