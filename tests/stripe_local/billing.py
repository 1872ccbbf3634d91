"""Helpers for the Stripe Billing tests of the stand-in: subscription-mode Checkout parameters, a test
clock's customer, and the portal page driven over real HTTP like a browser would."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import stripe

from paidpdf.stripe_local import StripeLocal

#: 2026-01-01 00:00:00 UTC: where the tests' test clocks start.
T0 = 1_767_225_600
DAY = 86400


def subscription_params(**changes: Any) -> dict[str, Any]:
    """What the shop sends to start a membership (a monthly plan), with per-test changes."""
    params: dict[str, Any] = {
        "mode": "subscription",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 999,
                    "recurring": {"interval": "month"},
                    "product_data": {"name": "All-access pass", "metadata": {"plan_id": "all-access"}},
                },
            }
        ],
        "client_reference_id": "mem_1",
        "metadata": {"plan_id": "all-access"},
        "subscription_data": {"metadata": {"plan_id": "all-access"}},
        "success_url": "http://127.0.0.1:8080/membership/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://127.0.0.1:8080/membership",
    }
    params.update(changes)
    return params


def clock_customer(client: stripe.StripeClient, email: str = "member@example.com") -> tuple[str, str]:
    """A test clock frozen at T0 and a customer on it: (clock id, customer id)."""
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": T0, "name": email})
    customer = client.v1.customers.create(params={"email": email, "test_clock": clock.id})
    return clock.id, customer.id


def subscribe(
    client: stripe.StripeClient,
    stripe_local: StripeLocal,
    customer: str,
    method: str = "card",
    **changes: Any,
) -> stripe.Subscription:
    session = client.v1.checkout.sessions.create(params=subscription_params(customer=customer, **changes))  # type: ignore[arg-type]
    stripe_local.pay(session.id, method)
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert isinstance(paid.subscription, str)
    return client.v1.subscriptions.retrieve(paid.subscription)


def advance(client: stripe.StripeClient, clock: str, to: int) -> None:
    found = client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": to})
    assert found.status == "ready" and found.frozen_time == to


def period_end(sub: stripe.Subscription) -> int:
    return int(sub["items"]["data"][0]["current_period_end"])


def portal_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def portal_post(
    url: str, action: str, target: str = "", card: str = "", token: str | None = None
) -> tuple[int, str]:
    """Submit one portal form as a browser would: the form token read from the page itself."""
    if token is None:
        _, page = portal_get(url)
        found = re.search(r'name="token" value="([^"]+)"', page)
        assert found, "the portal page has no form token"
        token = found.group(1)
    body = urllib.parse.urlencode({"token": token, "action": action, "target": target, "card": card}).encode()
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")
