"""The hosted checkout page in subscription mode (subscribe, a card that fails later, a trial without a
card, the decline card) and the customer portal page's guards (form token, another customer's objects,
an unknown link), over real HTTP against a running stand-in."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request

import stripe

from paidpdf.stripe_local import StripeLocal
from tests.stripe_local.billing import (
    advance,
    clock_customer,
    period_end,
    portal_get,
    portal_post,
    subscription_params,
)


def _form(url: str, fields: dict[str, str]) -> tuple[int, str, str]:
    """POST a form without following redirects: (status, Location, body)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST")
    try:
        with opener.open(request, timeout=10) as answer:
            return answer.status, answer.headers.get("Location", ""), answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode()


def _token(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_the_checkout_page_subscribes_and_declines(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=subscription_params(customer_email="new@example.com"))  # type: ignore[arg-type]
    assert session.url is not None
    status, page = portal_get(session.url)
    assert status == 200 and "$9.99 every month" in page and 'value="fails_later"' in page
    assert 'value="delayed"' not in page
    status, _, page = _form(session.url, {"token": _token(page), "action": "decline"})
    assert status == 402 and "declined" in page
    status, _, _ = _form(session.url, {"token": _token(page), "action": "fails_later"})
    assert status == 402  # nothing is due later: the first payment is now, and that card fails
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    status, location, _ = _form(session.url, {"token": _token(page), "action": "pay"})
    assert status == 303 and location.endswith(f"session_id={session.id}")
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status, done.mode) == ("complete", "paid", "subscription")
    assert done.customer and done.subscription and done.invoice and done.payment_intent is None
    customer = client.v1.customers.retrieve(str(done.customer))
    assert customer.email == "new@example.com"
    assert client.v1.subscriptions.retrieve(str(done.subscription)).status == "active"


def test_a_trial_can_start_without_a_card_or_with_one_that_fails_later(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    clock, customer = clock_customer(client)
    params = subscription_params(
        customer=customer, subscription_data={"trial_period_days": 7}, payment_method_collection="if_required"
    )
    session = client.v1.checkout.sessions.create(params=params)  # type: ignore[arg-type]
    assert session.url is not None and session.amount_total == 0
    status, page = portal_get(session.url)
    assert "7-day free trial. Then $9.99 every month" in page and 'value="no_card"' in page
    status, _, _ = _form(session.url, {"token": _token(page), "action": "fails_later"})
    assert status == 303
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.payment_status == "no_payment_required"
    sub = client.v1.subscriptions.retrieve(str(done.subscription))
    assert sub.status == "trialing"
    advance(client, clock, period_end(sub) + 60)
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"


def test_the_portal_refuses_forged_forms_foreign_objects_and_unknown_links(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    from tests.stripe_local.billing import subscribe

    _, mine = clock_customer(client, "mine@example.com")
    _, theirs = clock_customer(client, "theirs@example.com")
    my_sub = subscribe(client, stripe_local, mine)
    their_sub = subscribe(client, stripe_local, theirs)
    portal = client.v1.billing_portal.sessions.create(params={"customer": mine})
    assert portal_post(portal.url, "cancel", my_sub.id, token="forged")[0] == 403
    assert portal_post(portal.url, "cancel", their_sub.id)[0] == 400
    status, page = portal_get(portal.url)
    assert status == 200 and "theirs@example.com" not in page and their_sub.id not in page
    assert portal_get(stripe_local.url + "/portal/not-a-real-token")[0] == 404
    for sub in (my_sub, their_sub):
        assert client.v1.subscriptions.retrieve(sub.id).cancel_at_period_end is False
    assert portal_post(portal.url, "cancel", my_sub.id)[0] == 200
    assert client.v1.subscriptions.retrieve(my_sub.id).cancel_at_period_end is True
    assert portal_post(portal.url, "resume", my_sub.id)[0] == 200
    assert client.v1.subscriptions.retrieve(my_sub.id).cancel_at_period_end is False
    status, page = portal_post(portal.url, "card", card="0341")
    assert status == 200 and "ending in 0341" in page
