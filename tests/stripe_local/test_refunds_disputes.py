"""Refunds (full, partial, refused) and disputes, through the real library and the /_local controls."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
import stripe

from paidpdf.stripe_local import ApiError, StripeLocal
from tests.stripe_local.harness import API_KEY, Receiver, session_params


def _paid(client: stripe.StripeClient, stripe_local: StripeLocal, amount: int = 1999) -> stripe.PaymentIntent:
    params = session_params()
    params["line_items"][0]["price_data"]["unit_amount"] = amount
    session = client.v1.checkout.sessions.create(params=params)
    stripe_local.pay(session.id)
    return client.v1.payment_intents.retrieve(client.v1.checkout.sessions.retrieve(session.id).payment_intent)


def test_payment_intent_carries_metadata_and_latest_charge(
    client: stripe.StripeClient, stripe_local: StripeLocal
) -> None:
    intent = _paid(client, stripe_local)

    assert intent.id.startswith("pi_")
    assert intent.metadata.to_dict() == {"order_id": "ord_1"}
    assert (intent.status, intent.amount, intent.amount_received, intent.currency) == (
        "succeeded",
        1999,
        1999,
        "usd",
    )
    expanded = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
    assert expanded.latest_charge.id == intent.latest_charge
    assert expanded.latest_charge.payment_intent == intent.id


def test_full_refund_marks_the_charge_refunded_and_sends_events(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    intent = _paid(client, stripe_local)

    refund = client.v1.refunds.create(params={"payment_intent": intent.id}, options={"idempotency_key": "r1"})

    assert refund.id.startswith("re_")
    assert (refund.object, refund.amount, refund.status) == ("refund", 1999, "succeeded")
    assert (refund.payment_intent, refund.charge) == (intent.id, intent.latest_charge)
    assert client.v1.refunds.retrieve(refund.id).amount == 1999
    [event] = receiver.wait_for("charge.refunded")
    charge = event.data.object
    assert charge.object == "charge"
    assert (charge.payment_intent, charge.amount_refunded, charge.refunded) == (intent.id, 1999, True)
    assert event.data.previous_attributes.amount_refunded == 0
    assert event.request.idempotency_key == "r1"
    assert receiver.wait_for("refund.created")[0].data.object.id == refund.id
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    assert caught.value.code == "charge_already_refunded"


def test_partial_refunds_add_up_and_cannot_exceed_the_charge(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    intent = _paid(client, stripe_local)

    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500})
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (500, False)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create(params={"charge": charge.id, "amount": 1500})
    assert (caught.value.param, caught.value.code) == ("amount", "amount_too_large")
    client.v1.refunds.create(params={"charge": charge.id, "amount": 1499})

    events = receiver.wait_for("charge.refunded", 2)
    assert sorted(e.data.object.amount_refunded for e in events) == [500, 1999]
    assert client.v1.charges.retrieve(charge.id).refunded is True


def test_refund_needs_a_paid_payment(client: stripe.StripeClient, stripe_local: StripeLocal) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.refunds.create(params={})
    assert missing.value.code == "parameter_missing"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.refunds.create(params={"payment_intent": "pi_unknown"})
    assert (unknown.value.http_status, unknown.value.code) == (404, "resource_missing")
    session = client.v1.checkout.sessions.create(params=session_params())
    stripe_local.pay(session.id, "delayed")
    pending = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    with pytest.raises(stripe.InvalidRequestError) as processing:
        client.v1.refunds.create(params={"payment_intent": pending})
    assert processing.value.code == "charge_not_refundable"


def test_dispute_created_then_closed(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    intent = _paid(client, stripe_local)

    dispute = stripe_local.dispute(intent.id)

    assert dispute["id"].startswith("dp_")
    assert (dispute["payment_intent"], dispute["charge"], dispute["amount"]) == (
        intent.id,
        intent.latest_charge,
        1999,
    )
    assert dispute["status"] == "needs_response"
    [created] = receiver.wait_for("charge.dispute.created")
    assert created.data.object.object == "dispute"
    assert created.data.object.payment_intent == intent.id
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    assert refused.value.code == "charge_disputed"
    with pytest.raises(ApiError):
        stripe_local.dispute(intent.id)  # one open dispute per charge

    closed = stripe_local.close_dispute(dispute["id"], "won")

    assert closed["status"] == "won"
    [event] = receiver.wait_for("charge.dispute.closed")
    assert event.data.object.status == "won"
    assert client.v1.disputes.retrieve(dispute["id"]).status == "won"
    with pytest.raises(ApiError):
        stripe_local.close_dispute(dispute["id"], "lost")


def _control(
    stripe_local: StripeLocal, path: str, form: dict[str, str] | None = None, key: str = API_KEY
) -> tuple[int, Any]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(
        f"{stripe_local.url}{path}", data=data, headers={"Authorization": f"Bearer {key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_local_controls_over_http(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    assert "POST /_local/sessions/{id}/pay" in _control(stripe_local, "/_local")[1]["controls"]
    assert _control(stripe_local, "/_local", key="wrong")[0] == 401
    session = client.v1.checkout.sessions.create(params=session_params())

    status, declined = _control(stripe_local, f"/_local/sessions/{session.id}/pay", {"method": "decline"})
    assert status == 402
    assert (declined["error"]["type"], declined["error"]["code"]) == ("card_error", "card_declined")
    status, paid = _control(stripe_local, f"/_local/sessions/{session.id}/pay", {"method": "card"})
    assert (status, paid["payment_status"]) == (200, "paid")

    status, dispute = _control(stripe_local, "/_local/disputes", {"payment_intent": paid["payment_intent"]})
    assert status == 200
    status, closed = _control(stripe_local, f"/_local/disputes/{dispute['id']}/close", {"outcome": "lost"})
    assert (status, closed["status"]) == (200, "lost")

    other = client.v1.checkout.sessions.create(params=session_params())
    status, expired = _control(stripe_local, f"/_local/sessions/{other.id}/expire", {})
    assert (status, expired["status"]) == (200, "expired")

    assert _control(stripe_local, "/_local/webhooks/pause", {})[1]["mode"] == "paused"
    assert _control(stripe_local, "/_local/webhooks/resume", {})[1]["mode"] == "on"
    assert stripe_local.wait_for_deliveries(5)
    status, listed = _control(stripe_local, "/_local/deliveries?type=charge.dispute.closed")
    assert status == 200
    [delivery] = listed["data"]
    assert delivery["status"] == "delivered"
    assert delivery["attempts"][0]["status"] == 200
    status, resent = _control(stripe_local, f"/_local/events/{delivery['event']}/resend", {})
    assert (status, resent["event"]) == (200, delivery["event"])
    assert len(receiver.wait_for("charge.dispute.closed", 2)) == 2
    assert _control(stripe_local, "/_local/sessions/cs_test_nope/pay", {})[0] == 404
