"""Webhooks: Stripe's event shape and signature (verified by the real library), retries with backoff,
delayed payments, pause / drop / resend."""

from __future__ import annotations

import json
import time

import pytest
import stripe

from paidpdf.stripe_local import StripeLocal, signature_header, start_in_thread
from tests.stripe_local.harness import SECRET, Receiver, session_params


def test_paid_checkout_sends_a_signed_completed_event(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    session = client.v1.checkout.sessions.create(params=session_params())
    stripe_local.pay(session.id)

    [event] = receiver.wait_for("checkout.session.completed")

    assert event.id.startswith("evt_")
    assert event.object == "event"
    assert event.livemode is False
    assert event.api_version == stripe.api_version
    assert event.pending_webhooks == 1
    assert event.request.id is None  # caused by the buyer, not by an API call
    obj = event.data.object
    assert obj.id == session.id
    assert (obj.status, obj.payment_status, obj.amount_total, obj.currency) == (
        "complete",
        "paid",
        1999,
        "usd",
    )
    assert obj.client_reference_id == "ord_1"
    assert obj.customer_details.email == "reader@example.com"
    assert obj.payment_intent.startswith("pi_")
    delivered = next(r for r in receiver.received if '"checkout.session.completed"' in r["body"])
    assert delivered["path"] == "/stripe/webhook"
    assert delivered["headers"]["Content-Type"].startswith("application/json")
    assert stripe_local.wait_for_deliveries(5)
    stored = client.v1.events.retrieve(event.id)
    assert stored.pending_webhooks == 0
    assert stored.data.object.id == session.id


def test_signature_matches_the_stripe_librarys_and_fails_with_another_secret(receiver: Receiver) -> None:
    payload = json.dumps({"id": "evt_1", "object": "event"})
    now = int(time.time())
    ours = signature_header(payload, SECRET, now)
    theirs = stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=now)
    assert ours == theirs
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, ours, "whsec_other")


def test_retries_with_backoff_until_the_shop_answers_2xx(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    stripe_local.config.enabled_events = ["checkout.session.completed"]
    session = client.v1.checkout.sessions.create(params=session_params())
    stripe_local.pay(session.id)

    assert stripe_local.wait_for_deliveries(10)

    [delivery] = stripe_local.deliveries(type="checkout.session.completed")
    assert delivery["status"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200]
    times = [a["at"] for a in delivery["attempts"]]
    first_gap, second_gap = times[1] - times[0], times[2] - times[1]
    assert first_gap >= 0.045
    assert second_gap >= 0.09  # doubled
    assert len(receiver.events("checkout.session.completed")) == 1
    # Each attempt carries a fresh, valid signature over the same payload.
    bodies = {r["body"] for r in receiver.received}
    assert len(bodies) == 1


def test_unreachable_endpoint_fails_after_max_attempts(client: stripe.StripeClient) -> None:
    with start_in_thread(
        webhook_url="http://127.0.0.1:9/hook",
        retry_base=0.01,
        max_attempts=3,
        delivery_timeout=0.5,
        enabled_events=["checkout.session.expired"],
    ) as server:
        api = stripe.StripeClient("sk_test_x1", base_addresses={"api": server.url})
        session = api.v1.checkout.sessions.create(params=session_params())
        api.v1.checkout.sessions.expire(session.id)
        assert server.wait_for_deliveries(10)
        [delivery] = server.deliveries()
        assert delivery["status"] == "failed"
        assert len(delivery["attempts"]) == 3
        assert all(a["status"] is None and a["error"] for a in delivery["attempts"])


def test_only_enabled_events_are_delivered_but_all_are_listed(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    stripe_local.config.enabled_events = ["checkout.session.*"]
    session = client.v1.checkout.sessions.create(params=session_params())
    stripe_local.pay(session.id)
    assert stripe_local.wait_for_deliveries(5)

    assert {e.type for e in receiver.events()} == {"checkout.session.completed"}
    listed = {e.type for e in client.v1.events.list(params={"limit": 100}).data}
    assert {"charge.succeeded", "payment_intent.succeeded", "checkout.session.completed"} <= listed
    only = client.v1.events.list(params={"type": "checkout.session.*"}).data
    assert [e.type for e in only] == ["checkout.session.completed"]


def test_delayed_payment_sends_completed_unpaid_then_async_result(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    ok = client.v1.checkout.sessions.create(params=session_params())
    bad = client.v1.checkout.sessions.create(params=session_params())
    stripe_local.pay(ok.id, "delayed_success")
    stripe_local.pay(bad.id, "delayed_failure")

    succeeded = receiver.wait_for("checkout.session.async_payment_succeeded")
    failed = receiver.wait_for("checkout.session.async_payment_failed")
    completed = {e.data.object.id: e.data.object for e in receiver.wait_for("checkout.session.completed", 2)}

    assert completed[ok.id].payment_status == "unpaid"
    assert completed[bad.id].payment_status == "unpaid"
    assert succeeded[0].data.object.id == ok.id
    assert succeeded[0].data.object.payment_status == "paid"
    assert failed[0].data.object.id == bad.id
    assert client.v1.checkout.sessions.retrieve(bad.id).payment_status == "unpaid"
    intent = client.v1.payment_intents.retrieve(client.v1.checkout.sessions.retrieve(bad.id).payment_intent)
    assert intent.status == "requires_payment_method"


def test_manual_delayed_settles_when_told(client: stripe.StripeClient, stripe_local: StripeLocal) -> None:
    session = client.v1.checkout.sessions.create(params=session_params())
    stripe_local.pay(session.id, "delayed")
    time.sleep(0.2)
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "unpaid"

    stripe_local.settle(session.id, "succeeded")

    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_pause_holds_deliveries_and_resume_sends_them(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    stripe_local.pause_webhooks()
    session = client.v1.checkout.sessions.create(params=session_params())
    stripe_local.pay(session.id)
    assert stripe_local.wait_for_deliveries(5)
    assert receiver.received == []
    assert {d["status"] for d in stripe_local.deliveries()} == {"held"}

    stripe_local.resume_webhooks()

    assert stripe_local.wait_for_deliveries(5)
    assert receiver.wait_for("checkout.session.completed")
    assert {d["status"] for d in stripe_local.deliveries()} == {"delivered"}


def test_drop_loses_every_delivery_but_keeps_events(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    stripe_local.drop_webhooks()
    session = client.v1.checkout.sessions.create(params=session_params())
    stripe_local.pay(session.id)
    assert stripe_local.wait_for_deliveries(5)
    time.sleep(0.1)

    assert receiver.received == []
    assert {d["status"] for d in stripe_local.deliveries()} == {"dropped"}
    assert (
        client.v1.events.list(params={"type": "checkout.session.completed"}).data[0].data.object.id
        == session.id
    )


def test_resend_delivers_the_same_event_again(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    session = client.v1.checkout.sessions.create(params=session_params())
    stripe_local.pay(session.id)
    [event] = receiver.wait_for("checkout.session.completed")

    for _ in range(3):
        stripe_local.resend(event.id)

    again = receiver.wait_for("checkout.session.completed", 4)
    assert len(again) == 4
    assert {e.id for e in again} == {event.id}


def test_shop_down_then_back_up_gets_the_event_by_retry(client: stripe.StripeClient) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with start_in_thread(
        webhook_url=f"http://127.0.0.1:{port}/stripe/webhook",
        webhook_secret=SECRET,
        retry_base=0.1,
        max_attempts=8,
        enabled_events=["checkout.session.completed"],
    ) as server:
        api = stripe.StripeClient("sk_test_x1", base_addresses={"api": server.url})
        session = api.v1.checkout.sessions.create(params=session_params())
        server.pay(session.id)
        time.sleep(0.25)  # the first attempts hit a closed port
        shop = Receiver(port)
        try:
            [event] = shop.wait_for("checkout.session.completed")
            assert event.data.object.id == session.id
            assert server.wait_for_deliveries(5)
            [delivery] = server.deliveries()
            assert delivery["attempts"][0]["status"] is None
            assert delivery["attempts"][-1]["status"] == 200
        finally:
            shop.close()


def test_set_webhook_moves_pending_deliveries_to_the_new_url(receiver: Receiver) -> None:
    with start_in_thread(
        webhook_url="http://127.0.0.1:9/old",
        webhook_secret=SECRET,
        retry_base=0.05,
        enabled_events=["checkout.session.completed"],
    ) as server:
        server.pause_webhooks()
        api = stripe.StripeClient("sk_test_x1", base_addresses={"api": server.url})
        session = api.v1.checkout.sessions.create(params=session_params())
        server.pay(session.id)

        server.set_webhook(receiver.url)
        server.resume_webhooks()

        assert receiver.wait_for("checkout.session.completed")[0].data.object.id == session.id
        assert server.deliveries()[0]["url"] == receiver.url
