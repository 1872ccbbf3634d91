"""A membership's whole life through the real `stripe` library against the stand-in on a test clock:
trial, first charge, renewals, a failed renewal (past due), recovery through the portal page over
HTTP, cancel at period end, deleted at the end; every event received signed by a real endpoint."""

from __future__ import annotations

import stripe

from paidpdf.stripe_local import StripeLocal
from tests.stripe_local.billing import (
    DAY,
    T0,
    advance,
    clock_customer,
    period_end,
    portal_get,
    portal_post,
    subscribe,
)
from tests.stripe_local.harness import Receiver

HOUR = 3600


def test_a_whole_membership_life(
    stripe_local: StripeLocal, client: stripe.StripeClient, receiver: Receiver
) -> None:
    clock, customer = clock_customer(client)
    sub = subscribe(client, stripe_local, customer, subscription_data={"trial_period_days": 14})
    assert sub.status == "trialing"
    assert sub.trial_end == T0 + 14 * DAY == period_end(sub)
    first = client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert (first.billing_reason, first.status, first.amount_paid) == ("subscription_create", "paid", 0)

    # trial ends: the first charge; then three renewals, a month apart on the calendar
    ends = []
    for _ in range(4):
        advance(client, clock, period_end(sub) + HOUR)
        sub = client.v1.subscriptions.retrieve(sub.id)
        assert sub.status == "active"
        invoice = client.v1.invoices.retrieve(str(sub.latest_invoice), params={"expand": ["payments"]})
        assert (invoice.billing_reason, invoice.status, invoice.amount_paid) == (
            "subscription_cycle",
            "paid",
            999,
        )
        assert invoice.payments is not None
        assert (
            client.v1.payment_intents.retrieve(str(invoice.payments.data[0].payment.payment_intent)).status
            == "succeeded"
        )
        ends.append(period_end(sub))
    assert [e - s for s, e in zip([T0 + 14 * DAY, *ends], ends, strict=False)] == [
        31 * DAY,
        28 * DAY,
        31 * DAY,
        30 * DAY,
    ]

    # a renewal fails: past due, the invoice open with its next retry scheduled
    client.v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"}}
    )
    advance(client, clock, period_end(sub) + HOUR)
    sub = client.v1.subscriptions.retrieve(sub.id)
    failed = client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert sub.status == "past_due"
    assert (failed.status, failed.attempt_count) == ("open", 1)
    assert failed.next_payment_attempt == ends[-1] + 3 * DAY

    # recovery through the portal page: a declined card first, then a good one
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer, "return_url": "http://127.0.0.1:8080/account"}
    )
    status, page = portal_get(portal.url)
    assert status == 200 and "Pay invoice" in page and failed.id in page
    assert portal_post(portal.url, "pay", failed.id, "0002")[0] == 402
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    status, page = portal_post(portal.url, "pay", failed.id, "4242")
    assert status == 200 and "is paid" in page
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "active"
    assert client.v1.invoices.retrieve(failed.id).status == "paid"

    # cancel at period end in the portal: still active until then, canceled exactly at the end
    assert portal_post(portal.url, "cancel", sub.id)[0] == 200
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.cancel_at_period_end is True and sub.status == "active" and sub.cancel_at == period_end(sub)
    end = period_end(sub)
    advance(client, clock, end - 1)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    advance(client, clock, end + HOUR)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert (sub.status, sub.ended_at) == ("canceled", end)
    assert client.v1.subscriptions.list(params={"customer": customer}).data == []
    assert [
        s.id for s in client.v1.subscriptions.list(params={"customer": customer, "status": "all"}).data
    ] == [sub.id]

    # the events, as a real endpoint received them (signatures verified by the stripe library)
    assert stripe_local.wait_for_deliveries()
    events = receiver.events()
    types = [e.type for e in events]
    for wanted in (
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
    ):
        assert wanted in types, wanted
    assert types.count("customer.subscription.deleted") == 1
    assert types.count("invoice.paid") == 1 + 4 + 1  # the trial's, four cycles, the recovered one
    deleted = next(e for e in events if e.type == "customer.subscription.deleted")
    assert deleted.data.object["id"] == sub.id and deleted.data.object["status"] == "canceled"
    updated = [e for e in events if e.type == "customer.subscription.updated"]
    assert any(
        (e.data.to_dict().get("previous_attributes") or {}).get("status") == "past_due" for e in updated
    )


def test_retries_follow_the_schedule_then_cancel(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    clock, customer = clock_customer(client)
    sub = subscribe(client, stripe_local, customer)
    assert sub.status == "active"
    client.v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"}}
    )
    end = period_end(sub)
    advance(client, clock, end + HOUR)
    invoice = client.v1.invoices.retrieve(str(client.v1.subscriptions.retrieve(sub.id).latest_invoice))
    moments = [end]
    for gap in (3, 5, 7):  # the documented schedule: days after the previous attempt
        assert invoice.next_payment_attempt == moments[-1] + gap * DAY
        assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
        moments.append(moments[-1] + gap * DAY)
        advance(client, clock, moments[-1] + HOUR)
        invoice = client.v1.invoices.retrieve(invoice.id)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert (sub.status, sub.ended_at) == ("canceled", moments[-1])
    assert sub.cancellation_details is not None and sub.cancellation_details.reason == "payment_failed"
    assert (invoice.status, invoice.attempt_count, invoice.next_payment_attempt) == ("open", 4, None)
    assert len(stripe_local.events("invoice.payment_failed")) == 4


def test_a_trial_without_a_card_falls_past_due_at_its_end(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    clock, customer = clock_customer(client)
    sub = subscribe(
        client,
        stripe_local,
        customer,
        "no_card",
        subscription_data={"trial_period_days": 7},
        payment_method_collection="if_required",
    )
    assert sub.status == "trialing"
    assert client.v1.customers.retrieve(customer).invoice_settings.default_payment_method is None  # type: ignore[union-attr]
    advance(client, clock, T0 + 7 * DAY + HOUR)
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    client.v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )
    paid = client.v1.invoices.pay(str(client.v1.subscriptions.retrieve(sub.id).latest_invoice))
    assert paid.status == "paid"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_an_invoice_payment_is_refunded_and_disputed_like_any_payment(
    stripe_local: StripeLocal, client: stripe.StripeClient, receiver: Receiver
) -> None:
    _, customer = clock_customer(client)
    sub = subscribe(client, stripe_local, customer)
    invoice = client.v1.invoices.retrieve(str(sub.latest_invoice), params={"expand": ["payments"]})
    assert invoice.payments is not None
    intent = str(invoice.payments.data[0].payment.payment_intent)
    found = client.v1.invoice_payments.list(
        params={"payment": {"type": "payment_intent", "payment_intent": intent}}
    )
    assert [p.invoice for p in found.data] == [invoice.id]
    refund = client.v1.refunds.create(params={"payment_intent": intent})
    assert refund.amount == 999 and refund.status == "succeeded"
    second = subscribe(client, stripe_local, customer)
    other = client.v1.invoices.retrieve(str(second.latest_invoice), params={"expand": ["payments"]})
    assert other.payments is not None
    dispute = stripe_local.dispute(str(other.payments.data[0].payment.payment_intent))
    assert dispute["amount"] == 999
    receiver.wait_for("charge.dispute.created")
    refunded = receiver.wait_for("charge.refunded")
    assert refunded[0].data.object["payment_intent"] == intent
    assert refunded[0].data.object["customer"] == customer


def test_time_moves_for_every_clock_through_the_control(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    """`/_local/advance` (what `paidpdf stripe-local advance 31d` calls) moves test clocks and
    customers without one alike."""
    clock, on_clock = clock_customer(client)
    plain = client.v1.customers.create(params={"email": "plain@example.com"})
    subs = [subscribe(client, stripe_local, c) for c in (on_clock, plain.id)]
    result = stripe_local.state.advance_all(32 * DAY)
    assert result["test_clocks"] == 1 and result["steps"] >= 2
    assert client.v1.test_helpers.test_clocks.retrieve(clock).frozen_time == T0 + 32 * DAY
    for sub in subs:
        invoices = client.v1.invoices.list(params={"subscription": sub.id}).data
        assert [i.billing_reason for i in invoices] == ["subscription_cycle", "subscription_create"]
        assert all(i.status == "paid" for i in invoices)


def test_after_the_last_retry_an_unpaid_setting_keeps_it_unpaid_until_paid(receiver: Receiver) -> None:
    """`Config.after_final_retry="unpaid"` (Stripe's other account setting): no cancel, `unpaid`, and
    a renewal falling due meanwhile is invoiced but not attempted; paying every open invoice reactivates."""
    from paidpdf.stripe_local import start_in_thread
    from tests.stripe_local.harness import API_KEY

    with start_in_thread(after_final_retry="unpaid", invoice_retry_days=(1, 1)) as running:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": running.url})
        clock, customer = clock_customer(client)
        sub = subscribe(client, running, customer)
        client.v1.customers.update(
            customer, params={"invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"}}
        )
        end = period_end(sub)
        advance(client, clock, end + 2 * DAY + HOUR)  # the renewal and its two retries fail
        sub = client.v1.subscriptions.retrieve(sub.id)
        assert sub.status == "unpaid"
        failed = client.v1.invoices.retrieve(str(sub.latest_invoice))
        assert (failed.attempt_count, failed.next_payment_attempt) == (3, None)
        advance(client, clock, period_end(sub) + HOUR)
        sub = client.v1.subscriptions.retrieve(sub.id)
        unattempted = client.v1.invoices.retrieve(str(sub.latest_invoice))
        assert (sub.status, unattempted.status, unattempted.attempt_count) == ("unpaid", "open", 0)
        client.v1.invoices.pay(failed.id, params={"payment_method": "pm_card_visa"})
        assert client.v1.subscriptions.retrieve(sub.id).status == "unpaid"  # one invoice still open
        client.v1.invoices.pay(unattempted.id, params={"payment_method": "pm_card_visa"})
        assert client.v1.subscriptions.retrieve(sub.id).status == "active"
