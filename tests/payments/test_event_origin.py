"""Events that are not this shop's are refused before anything changes (livemode, Connect accounts),
refunds in another currency than their order are flagged instead of applied, and hostile bodies or
timestamps on correctly signed webhooks are 4xx, never 5xx."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paidpdf.sales import orders
from tests.payments.shop import WEBHOOK_SECRET, Shop

BOTH_BACKENDS = True  # every shop test here also runs on PostgreSQL


def _paid(shop: Shop) -> tuple[dict[str, Any], dict[str, Any]]:
    """A paid order through the real flow, and its checkout.session.completed event."""
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    (completed,) = shop.stand_in_events("checkout.session.completed")
    return order, completed


def _sales(shop: Shop) -> bytes:
    return shop.written("sales")


@pytest.mark.parametrize(
    ("change", "why"),
    [({"livemode": True}, "not from test mode"), ({"account": "acct_1Connected"}, "connected account")],
)
def test_foreign_events_are_refused_and_change_nothing(shop: Shop, change: dict[str, Any], why: str) -> None:
    order, completed = _paid(shop)
    before = _sales(shop)
    answer = shop.post_event({**completed, **change}, status=400)
    assert why in answer.json["error"]
    assert _sales(shop) == before and shop.entries() == []
    shop.post_event(completed, status=200)  # the real one still counts: the refused id was not recorded
    shop.drain_mail()  # its receipt is written beside the request
    assert shop.order(order["id"])["status"] == "paid" and len(shop.entries()) == 1
    intent = shop.order(order["id"])["stripe_payment_intent"]
    assert shop.client.v1.refunds.create(params={"payment_intent": intent}).status == "succeeded"
    (refunded,) = shop.stand_in_events("charge.refunded")
    before = _sales(shop)
    shop.post_event({**refunded, **change}, status=400)  # refunds and disputes are checked too
    assert _sales(shop) == before and shop.owns()
    shop.post_event(refunded, status=200)
    assert shop.order(order["id"])["status"] == "refunded" and not shop.owns()


def test_a_refund_in_another_currency_is_flagged_not_applied(shop: Shop) -> None:
    order, completed = _paid(shop)
    shop.post_event(completed, status=200)
    shop.drain_mail()  # its receipt (recorded in the order's history) is written beside the request
    intent = shop.order(order["id"])["stripe_payment_intent"]
    shop.client.v1.refunds.create(params={"payment_intent": intent})
    (refunded,) = shop.stand_in_events("charge.refunded")
    refunded["data"]["object"]["currency"] = "eur"
    shop.post_event(refunded, status=200)
    flagged = shop.order(order["id"])
    assert flagged["status"] == "paid" and shop.owns()  # access kept, the money not counted
    assert "eur" in flagged["flag"] and flagged["history"][-1]["event"] == "flagged"
    assert not flagged.get("refunded_amount")


def test_a_signed_array_or_string_body_is_a_400(shop: Shop) -> None:
    huge = '{"id": "evt_2", "type": "charge.refunded", "livemode": false, "data": {"object": {"amount": %s}}}'
    for body in (
        "[1, 2]",
        '"text"',
        "12",
        "null",
        '{"id": "evt_1", "type": "x", "data": []}',
        huge % ("9" * 30),  # found by the fuzz test: an integer no storage can hold
        huge % "NaN",
        "[" * 5000 + "]" * 5000,
    ):
        header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
        answer = shop.app.post(
            "/stripe/webhook", body.encode(), headers={"Stripe-Signature": header}, status="*"
        )
        assert answer.status_int == 400, (body, answer.status)


def test_future_timestamps_beyond_the_tolerance_are_refused(shop: Shop) -> None:
    _order, completed = _paid(shop)
    answer = shop.post_event(completed, timestamp=int(time.time()) + 3600, status=400)
    assert "future" in answer.json["error"] and not shop.owns()
    shop.post_event(completed, timestamp=int(time.time()) + 60, status=200)  # clock skew within it is fine


def test_a_refused_webhook_is_one_log_line(shop: Shop, caplog: pytest.LogCaptureFixture) -> None:
    body = "[1, 2]"
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    with caplog.at_level(logging.INFO, logger="paidpdf"):
        shop.app.post("/stripe/webhook", body.encode(), headers={"Stripe-Signature": header}, status=400)
    lines = [r for r in caplog.records if r.name.startswith("paidpdf")]
    assert len(lines) == 1 and "400" in lines[0].getMessage() and "refused" in lines[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)


def test_an_ignored_event_is_one_log_line(shop: Shop, caplog: pytest.LogCaptureFixture) -> None:
    _paid(shop)
    (created,) = shop.stand_in_events("payment_intent.created")
    with caplog.at_level(logging.INFO):
        shop.post_event(created, status=200)
        shop.post_event(created, status=200)  # the repeat too
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and all("/stripe/webhook 200" in line for line in lines), lines
    assert "ignored" in lines[0] and "duplicate" in lines[1]


def _real_objects(shop: Shop) -> dict[str, dict[str, Any]]:
    """A pending order's completed session and a refunded charge of the shop (made once per shop, kept
    on the shop itself so no other test's shop can ever be handed them)."""
    made: dict[str, dict[str, Any]] | None = getattr(shop, "_fuzz_objects", None)
    if made is None:
        _order, completed = _paid(shop)
        intent = completed["data"]["object"]["payment_intent"]
        shop.client.v1.refunds.create(params={"payment_intent": intent})
        (refunded,) = shop.stand_in_events("charge.refunded")
        made = {
            "checkout.session.completed": completed["data"]["object"],
            "charge.refunded": refunded["data"]["object"],
        }
        shop._fuzz_objects = made  # type: ignore[attr-defined]
    return made


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=2**63) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=JSON,
    shape=st.sampled_from(["raw", "event", "object", "tampered"]),
    kind=st.sampled_from(["checkout.session.completed", "charge.refunded", "charge.dispute.created", "x.y"]),
    event_id=st.uuids(),
)
def test_no_signed_body_is_ever_a_5xx(shop: Shop, body: Any, shape: str, kind: str, event_id: Any) -> None:
    """Fuzz: whatever JSON a (correctly signed) webhook carries, the answer is 2xx or 4xx."""
    head = {"id": f"evt_{event_id.hex}", "type": kind, "livemode": False}
    if shape == "tampered":  # a real object of this shop's with fields replaced by anything
        real = _real_objects(shop)[kind if kind in ("charge.refunded",) else "checkout.session.completed"]
        replaced = body if isinstance(body, dict) else {"amount_total": body, "metadata": body}
        body = {**head, "data": {"object": {**real, **{k: v for k, v in replaced.items() if k != "id"}}}}
    elif shape == "event":
        body = {**head, "data": body}
    elif shape == "object":
        body = {**head, "data": {"object": body}}
    payload = json.dumps(body)
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    signed = {"Stripe-Signature": header}
    answer = shop.app.post("/stripe/webhook", payload.encode(), headers=signed, status="*")
    assert answer.status_int < 500, (payload, answer.text)
    assert shop.store.view(orders.SALES).count(orders.ORDERS) >= 0  # the data file still reads
