"""The order domain on real storage: one idempotent fulfil, mismatches, refunds, disputes, ordering."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paidpdf.errors import InvalidInput
from paidpdf.ownership import library
from paidpdf.sales import fulfilment, orders, refunds
from paidpdf.store import DataStore, Doc, Store, open_store
from paidpdf.testing.stripe_objects import session_for
from tests.payments.helpers import add_item, add_user

BOTH_BACKENDS = True  # every shop test here also runs on PostgreSQL


def pending_order(store: Store, user_id: str, buyer: str) -> Doc:
    """The pending order every test here starts from: the $19.99 "guide", in test mode."""
    return orders.create_pending(
        store, user_id=user_id, buyer=buyer, content_id="guide", amount=1999, currency="usd", livemode=False
    )


@pytest.fixture
def order(store: Store) -> Doc:
    add_item(store)
    user = add_user(store)
    return pending_order(store, user["id"], user["email"])


def entries(store: Store) -> list[Doc]:
    return store.view("sales").all("library")


def test_fulfil_grants_once_however_often_it_is_called(store: Store, order: Doc) -> None:
    session = session_for(order)
    outcomes = [fulfilment.fulfil(store, session, livemode=False).action for _ in range(10)]
    assert outcomes == ["fulfilled"] + ["already"] * 9
    stored = orders.get(store.view("sales"), order["id"])
    assert stored["status"] == "paid" and stored["paid_at"]
    assert stored["stripe_payment_intent"] == session["payment_intent"]
    assert [e["order_id"] for e in entries(store)] == [order["id"]]
    assert library.owns(store.view("sales"), order["user_id"], "guide")


def test_concurrent_fulfil_yields_one_entry(store: Store, order: Doc) -> None:
    session = session_for(order)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def go() -> None:
        barrier.wait()
        # each thread its own store object, as separate server processes would have
        own = open_store(store.root, getattr(store, "url", None))
        results.append(fulfilment.fulfil(own, session, livemode=False).action)
        getattr(own, "close", lambda: None)()

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["already"] * 7 + ["fulfilled"]
    assert len(entries(store)) == 1
    paid_events = [h for h in orders.get(store.view("sales"), order["id"])["history"] if h["event"] == "paid"]
    assert len(paid_events) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"amount_total": 1}, "amount_total"),
        ({"currency": "eur"}, "currency"),
        ({"livemode": True}, "livemode"),
        ({"mode": "subscription"}, "mode"),
        ({"metadata": {"order_id": "ord_other"}}, "metadata.order_id"),
    ],
)
def test_mismatch_flags_and_grants_nothing(
    store: Store, order: Doc, change: dict[str, object], reason: str
) -> None:
    outcome = fulfilment.fulfil(store, session_for(order, **change), livemode=False)
    assert outcome.action == "flagged"
    stored = orders.get(store.view("sales"), order["id"])
    assert stored["status"] == "flagged" and reason in stored["flag_reason"]
    assert entries(store) == []
    # a later, correct delivery does not override the admin's review
    assert fulfilment.fulfil(store, session_for(order), livemode=False).action == "already"
    assert entries(store) == []


def test_session_of_another_order_grants_nothing(store: Store, order: Doc) -> None:
    session = session_for(order, client_reference_id="ord_nope", metadata={"order_id": "ord_nope"}, id="cs_x")
    assert fulfilment.fulfil(store, session, livemode=False).action == "ignored"
    assert entries(store) == []


def test_delayed_payment_waits_then_fulfils(store: Store, order: Doc) -> None:
    unpaid = session_for(order, payment_status="unpaid")
    assert fulfilment.fulfil(store, unpaid, livemode=False, event_id="evt_1").action == "processing"
    assert orders.get(store.view("sales"), order["id"])["status"] == "pending"
    assert entries(store) == []
    assert (
        fulfilment.fulfil(store, session_for(order), livemode=False, event_id="evt_2").action == "fulfilled"
    )
    assert len(entries(store)) == 1


def test_delayed_payment_failure(store: Store, order: Doc) -> None:
    assert (
        fulfilment.fail(store, session_for(order, payment_status="unpaid"), event_id="evt_f").action
        == "failed"
    )
    assert orders.get(store.view("sales"), order["id"])["status"] == "failed"
    assert entries(store) == []


def test_expired_then_paid_late_still_fulfils(store: Store, order: Doc) -> None:
    assert (
        fulfilment.expire(store, session_for(order, status="expired", payment_status="unpaid")).action
        == "expired"
    )
    assert orders.get(store.view("sales"), order["id"])["status"] == "expired"
    assert fulfilment.fulfil(store, session_for(order), livemode=False).action == "fulfilled"
    assert len(entries(store)) == 1


def test_same_event_id_processed_once(store: Store, order: Doc) -> None:
    session = session_for(order)
    actions = [
        fulfilment.fulfil(store, session, livemode=False, event_id="evt_same").action for _ in range(10)
    ]
    assert actions == ["fulfilled"] + ["duplicate"] * 9
    assert store.view("sales").get("events", "evt_same")["outcome"] == "fulfilled"


def _charge(order: Doc, amount_refunded: int) -> dict[str, object]:
    return {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_" + order["id"][4:],
        "amount": order["amount"],
        "amount_refunded": amount_refunded,
        "refunded": amount_refunded >= order["amount"],
        "currency": "usd",
    }


def test_full_refund_revokes_partial_keeps(store: Store, order: Doc) -> None:
    fulfilment.fulfil(store, session_for(order), livemode=False)
    refunds.apply_charge_event(store, "evt_p", "charge.refunded", _charge(order, 500))
    stored = orders.get(store.view("sales"), order["id"])
    assert stored["status"] == "paid" and stored["refunded_amount"] == 500
    assert library.owns(store.view("sales"), order["user_id"], "guide")
    refunds.apply_charge_event(store, "evt_f", "charge.refunded", _charge(order, 1999))
    stored = orders.get(store.view("sales"), order["id"])
    assert stored["status"] == "refunded" and stored["refunded_amount"] == 1999
    assert not library.owns(store.view("sales"), order["user_id"], "guide")
    assert (
        refunds.apply_charge_event(store, "evt_f", "charge.refunded", _charge(order, 1999)).action
        == "duplicate"
    )


def test_refund_revokes_only_that_purchase(store: Store, order: Doc) -> None:
    fulfilment.fulfil(store, session_for(order), livemode=False)
    with store.unit("sales") as unit:  # an admin gift replaced the bought entry: a refund must not touch it
        library.remove(unit, order["user_id"], "guide", "test")
        library.add(unit, order["user_id"], "guide", "granted")
    refunds.apply_charge_event(store, "evt_r", "charge.refunded", _charge(order, 1999))
    assert library.owns(store.view("sales"), order["user_id"], "guide")


def test_refund_before_completion_is_applied_when_paid(store: Store, order: Doc) -> None:
    outcome = refunds.apply_charge_event(store, "evt_r", "charge.refunded", _charge(order, 1999))
    assert outcome.action == "deferred"
    assert entries(store) == []
    assert fulfilment.fulfil(store, session_for(order), livemode=False).action == "fulfilled"
    stored = orders.get(store.view("sales"), order["id"])
    assert stored["status"] == "refunded"
    assert not library.owns(store.view("sales"), order["user_id"], "guide")
    assert store.view("sales").all("deferred") == []


def test_dispute_revokes_and_won_dispute_restores(store: Store, order: Doc) -> None:
    fulfilment.fulfil(store, session_for(order), livemode=False)
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "payment_intent": "pi_" + order["id"][4:],
        "status": "needs_response",
    }
    refunds.apply_charge_event(store, "evt_d1", "charge.dispute.created", dispute)
    assert orders.get(store.view("sales"), order["id"])["status"] == "disputed"
    assert not library.owns(store.view("sales"), order["user_id"], "guide")
    refunds.apply_charge_event(store, "evt_d2", "charge.dispute.closed", {**dispute, "status": "won"})
    assert orders.get(store.view("sales"), order["id"])["status"] == "paid"
    assert library.owns(store.view("sales"), order["user_id"], "guide")


def test_lost_dispute_keeps_access_revoked(store: Store, order: Doc) -> None:
    fulfilment.fulfil(store, session_for(order), livemode=False)
    dispute = {"id": "dp_1", "payment_intent": "pi_" + order["id"][4:], "status": "needs_response"}
    refunds.apply_charge_event(store, "evt_d1", "charge.dispute.created", dispute)
    refunds.apply_charge_event(store, "evt_d2", "charge.dispute.closed", {**dispute, "status": "lost"})
    assert orders.get(store.view("sales"), order["id"])["status"] == "disputed"
    assert not library.owns(store.view("sales"), order["user_id"], "guide")


def test_double_click_reuses_the_pending_order(store: Store, order: Doc) -> None:
    again = pending_order(store, order["user_id"], order["buyer"])
    assert again["id"] == order["id"]
    assert store.view("sales").count("orders") == 1


def test_bad_amount(store: Store, order: Doc) -> None:
    with pytest.raises(InvalidInput):
        orders.create_pending(
            store, user_id="u", buyer="b", content_id="guide", amount=0, currency="usd", livemode=False
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amounts=st.lists(st.integers(min_value=1, max_value=1999), min_size=0, max_size=4),
    order_of_events=st.randoms(use_true_random=False),
    repeats=st.integers(min_value=1, max_value=3),
)
def test_refunds_in_any_order_and_repeated(
    fresh_store: Callable[[], DataStore], amounts: list[int], order_of_events: Any, repeats: int
) -> None:
    """Whatever the order and repetition of refund events (and of the payment itself), access is kept
    exactly when less than the full amount was refunded, and every refund counts once."""
    store = fresh_store()
    add_item(store)
    user = add_user(store)
    order = pending_order(store, user["id"], user["email"])
    pi = "pi_" + order["id"][4:]
    events: list[tuple[str, str, dict[str, Any]]] = [
        (
            f"evt_r{i}",
            "refund.created",
            {"id": f"re_{i}", "payment_intent": pi, "amount": amount, "status": "succeeded"},
        )
        for i, amount in enumerate(amounts)
    ]
    events.append(("evt_paid", "checkout.session.completed", session_for(order)))
    events = events * repeats
    order_of_events.shuffle(events)
    for event_id, kind, obj in events:
        if kind == "checkout.session.completed":
            fulfilment.fulfil(store, obj, livemode=False, event_id=event_id)
        else:
            refunds.apply_charge_event(store, event_id, kind, obj)
    stored = orders.get(store.view("sales"), order["id"])
    total = sum(amounts)
    assert stored["refunded_amount"] == total
    full = total >= 1999
    assert stored["status"] == ("refunded" if full else "paid")
    assert library.owns(store.view("sales"), user["id"], "guide") is (not full)
    assert [h["event"] for h in stored["history"]].count("paid") == 1
