"""Every Stripe Billing object the stand-in sends conforms to stripe-python's typed classes: customers,
payment methods, subscriptions (trialing, active, past due, canceled) and their items, invoices with
lines and payments, invoice payments, test clocks, portal sessions, subscription-mode Checkout
Sessions and their line items, and every event sent along the way."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import stripe

from paidpdf.stripe_local import StripeLocal
from tests.stripe_local.billing import (
    DAY,
    T0,
    advance,
    clock_customer,
    period_end,
    subscribe,
    subscription_params,
)
from tests.stripe_local.harness import API_KEY, session_params
from tests.stripe_local.typed_objects import check_object, problems


def _raw(stripe_local: StripeLocal, path: str) -> dict[str, Any]:
    request = urllib.request.Request(stripe_local.url + path, headers={"Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body: dict[str, Any] = json.loads(answer.read())
    return body


def test_every_billing_object_matches_the_typed_classes(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    clock, customer = clock_customer(client)
    trial = subscribe(client, stripe_local, customer, subscription_data={"trial_period_days": 40})
    paid = subscribe(client, stripe_local, customer)
    client.v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"}}
    )
    advance(client, clock, period_end(paid) + 3600)
    client.v1.subscriptions.update(trial.id, params={"cancel_at_period_end": True})
    canceled = subscribe(client, stripe_local, customer, subscription_data={"trial_period_days": 5})
    client.v1.subscriptions.cancel(canceled.id)
    portal = client.v1.billing_portal.sessions.create(params={"customer": customer})
    session = client.v1.checkout.sessions.list(params={"limit": 1}).data[0]
    subs = _raw(stripe_local, f"/v1/subscriptions?status=all&customer={customer}")["data"]
    assert {s["status"] for s in subs} == {"trialing", "past_due", "canceled"}
    invoices = _raw(stripe_local, f"/v1/invoices?customer={customer}&limit=100")["data"]
    assert {i["status"] for i in invoices} == {"paid", "open"}
    customer_obj = _raw(stripe_local, f"/v1/customers/{customer}")
    objects = [
        customer_obj,
        _raw(stripe_local, f"/v1/customers/{customer}?expand[]=invoice_settings.default_payment_method"),
        _raw(
            stripe_local, f"/v1/payment_methods/{customer_obj['invoice_settings']['default_payment_method']}"
        ),
        *subs,
        _raw(stripe_local, f"/v1/subscriptions/{paid.id}?expand[]=latest_invoice&expand[]=customer"),
        *invoices,
        *[_raw(stripe_local, f"/v1/invoices/{i['id']}?expand[]=payments") for i in invoices],
        *_raw(stripe_local, f"/v1/invoice_payments?invoice={invoices[0]['id']}")["data"],
        _raw(stripe_local, f"/v1/test_helpers/test_clocks/{clock}"),
        *_raw(stripe_local, "/v1/test_helpers/test_clocks")["data"],
        _raw(stripe_local, f"/v1/checkout/sessions/{session.id}?expand[]=line_items"),
        *_raw(stripe_local, f"/v1/checkout/sessions/{session.id}/line_items")["data"],
        *[item for s in subs for item in s["items"]["data"]],
        *_raw(stripe_local, "/v1/customers")["data"],
    ]
    assert portal.url.startswith(stripe_local.url + "/portal/")
    events = _raw(stripe_local, "/v1/events?limit=100")["data"]
    kinds = {e["type"] for e in events}
    assert kinds >= {
        "customer.subscription.created",
        "customer.subscription.deleted",
        "invoice.payment_failed",
        "invoice.paid",
        "billing_portal.session.created",
        "test_helpers.test_clock.ready",
    }
    found = [p for obj in [*objects, *events] for p in problems(obj)]
    found += check_object(json.loads(json.dumps(portal.to_dict())), stripe.billing_portal.Session, "portal")
    assert found == []


def test_the_checks_know_the_new_classes() -> None:
    """A period on the subscription itself (the pre-2025 shape) is caught: it belongs on the items."""
    assert any(
        "current_period_end" in p for p in check_object({"current_period_end": 1}, stripe.Subscription, "s")
    )
    assert any("subscription" in p for p in check_object({"subscription": "sub_1"}, stripe.Invoice, "i"))
    assert problems({"object": "test_helpers.test_clock"}) != []


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"mode": "payment"}, "line_items[0][price_data][recurring]"),
        ({"line_items": session_params()["line_items"]}, "line_items[0][price_data][recurring]"),
        ({"payment_intent_data": {"metadata": {"a": "b"}}}, "payment_intent_data"),
        ({"customer": "cus_x", "customer_email": "a@example.com"}, "customer"),
        ({"customer_creation": "always"}, "customer_creation"),
        ({"payment_method_collection": "if_required"}, "payment_method_collection"),
        ({"subscription_data": {"trial_period_days": 0}}, "subscription_data[trial_period_days]"),
        ({"subscription_data": {"trial_ends": 5}}, "subscription_data[trial_ends]"),
    ],
)
def test_bad_subscription_checkouts_get_stripes_400(
    client: stripe.StripeClient, changes: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=subscription_params(**changes))  # type: ignore[arg-type]
    assert raised.value.param == param
    assert client.v1.checkout.sessions.list().data == []


def test_recurring_intervals_are_checked(client: stripe.StripeClient) -> None:
    params = subscription_params()
    params["line_items"][0]["price_data"]["recurring"] = {"interval": "month", "interval_count": 13}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert raised.value.param == "line_items[0][price_data][recurring][interval_count]"


def test_an_unknown_customer_is_stripes_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=subscription_params(customer="cus_nope"))  # type: ignore[arg-type]
    assert raised.value.http_status == 404


def test_listing_subscriptions_filters_and_pages(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    _, customer = clock_customer(client)
    subs = [subscribe(client, stripe_local, customer) for _ in range(3)]
    client.v1.subscriptions.cancel(subs[0].id)
    listed = client.v1.subscriptions.list(params={"customer": customer, "limit": 1})
    assert [s.id for s in listed.data] == [subs[2].id] and listed.has_more
    after = client.v1.subscriptions.list(params={"customer": customer, "starting_after": subs[2].id})
    assert [s.id for s in after.data] == [subs[1].id]
    canceled = client.v1.subscriptions.list(params={"status": "canceled"})
    assert [s.id for s in canceled.data] == [subs[0].id]
    assert client.v1.subscriptions.list(params={"created": {"gt": T0 + 400 * DAY}}).data == []
    assert len(client.v1.subscriptions.list(params={"status": "all", "created": {"gte": T0}}).data) == 3
    events = client.v1.events.list(params={"types": ["customer.subscription.deleted"], "created": {"gte": 0}})
    assert [e.data.object["id"] for e in events.data] == [subs[0].id]


def test_a_customer_is_created_updated_and_listed(client: stripe.StripeClient) -> None:
    made = client.v1.customers.create(
        params={
            "email": "a@example.com",
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    method = client.v1.payment_methods.retrieve(str(made.invoice_settings.default_payment_method))  # type: ignore[union-attr]
    assert method.customer == made.id and method.card is not None and method.card.last4 == "4242"
    client.v1.customers.update(made.id, params={"name": "Ada", "metadata": {"user": "7"}})
    assert client.v1.customers.retrieve(made.id).name == "Ada"
    assert [c.id for c in client.v1.customers.list(params={"email": "a@example.com"}).data] == [made.id]
    with pytest.raises(stripe.CardError):
        client.v1.payment_methods.attach("pm_card_visa_chargeDeclined", params={"customer": made.id})


def test_payment_mode_takes_a_customer_or_creates_one(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    known = client.v1.customers.create(params={"email": "known@example.com"})
    with_customer = client.v1.checkout.sessions.create(
        params=session_params(customer=known.id, customer_email=None)
    )  # type: ignore[arg-type]
    created = client.v1.checkout.sessions.create(params=session_params(customer_creation="always"))  # type: ignore[arg-type]
    guest = client.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    for session in (with_customer, created, guest):
        stripe_local.pay(session.id)
    paid = [client.v1.checkout.sessions.retrieve(s.id) for s in (with_customer, created, guest)]
    assert paid[0].customer == known.id
    assert (
        paid[1].customer and client.v1.customers.retrieve(str(paid[1].customer)).email == "reader@example.com"
    )
    assert paid[2].customer is None
    assert client.v1.payment_intents.retrieve(str(paid[0].payment_intent)).customer == known.id
    assert all(p.payment_status == "paid" and p.mode == "payment" for p in paid)


def test_invoice_periods_and_test_clock_listing(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    clock, customer = clock_customer(client)
    sub = subscribe(client, stripe_local, customer)
    first_end = period_end(sub)
    advance(client, clock, first_end + 60)
    renewal = client.v1.invoices.retrieve(str(client.v1.subscriptions.retrieve(sub.id).latest_invoice))
    assert (renewal.period_start, renewal.period_end) == (T0, first_end)  # the period that ended
    line = renewal.lines.data[0]
    assert (line.period.start, line.period.end) == (first_end, first_end + 28 * DAY)  # the one paid for
    assert line.parent is not None and line.parent.subscription_item_details is not None
    assert line.parent.subscription_item_details.subscription == sub.id
    assert [c.id for c in client.v1.test_helpers.test_clocks.list().data] == [clock]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": T0})
    client.v1.test_helpers.test_clocks.delete(clock)
    assert client.v1.test_helpers.test_clocks.list().data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(customer)


def test_the_state_file_keeps_billing_and_moved_time(tmp_path: Any) -> None:
    from paidpdf.stripe_local import start_in_thread

    state = tmp_path / "state.json"
    with start_in_thread(state_path=state) as first:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": first.url})
        customer = client.v1.customers.create(params={"email": "kept@example.com"})
        sub = subscribe(client, first, customer.id)
        first.state.advance_all(40 * DAY)
        moved = first.state.now()
    with start_in_thread(state_path=state) as second:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": second.url})
        assert second.state.now() >= moved
        assert len(client.v1.invoices.list(params={"subscription": sub.id}).data) == 2
        assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_sessions_are_listed_by_subscription_and_customer(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    _, customer = clock_customer(client)
    sub = subscribe(client, stripe_local, customer)
    subscribe(client, stripe_local, client.v1.customers.create(params={"email": "o@example.com"}).id)
    by_sub = client.v1.checkout.sessions.list(params={"subscription": sub.id}).data
    assert [s.subscription for s in by_sub] == [sub.id]
    by_customer = client.v1.checkout.sessions.list(params={"customer": customer}).data
    assert [s.id for s in by_customer] == [s.id for s in by_sub]
