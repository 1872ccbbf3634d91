"""The stand-in in any currency, through the real `stripe` library: codes checked like Stripe (its
error JSON), zero-decimal and three-decimal amounts, refunds in the charge's currency, and Adaptive
Pricing's `presentment_details` at the documented test rates; every object still matches the typed
classes."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
import stripe

from paidpdf.stripe_local import StripeLocal
from paidpdf.stripe_local.currencies import TEST_RATES, buyer_currency, convert
from tests.stripe_local.harness import API_KEY, session_params
from tests.stripe_local.typed_objects import problems


def priced(currency: str, amount: int, **changes: Any) -> dict[str, Any]:
    params = session_params(**changes)
    params["line_items"][0]["price_data"].update(currency=currency, unit_amount=amount)
    return params


def _raw(stripe_local: StripeLocal, path: str) -> dict[str, Any]:
    request = urllib.request.Request(stripe_local.url + path, headers={"Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body: dict[str, Any] = json.loads(answer.read())
    return body


def test_unknown_currency_codes_get_stripes_error_json(stripe_local: StripeLocal) -> None:
    body = urllib.parse.urlencode({
        "mode": "payment", "line_items[0][quantity]": "1", "line_items[0][price_data][currency]": "xyz",
        "line_items[0][price_data][unit_amount]": "500", "line_items[0][price_data][product_data][name]": "T",
        "success_url": "http://127.0.0.1/s", "cancel_url": "http://127.0.0.1/c",
    }).encode()
    request = urllib.request.Request(
        stripe_local.url + "/v1/checkout/sessions", data=body, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400
    error = json.loads(raised.value.read())["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "line_items[0][price_data][currency]"
    assert error["message"].startswith("Invalid currency: xyz. Stripe currently supports these currencies:")
    assert " eur, " in error["message"] and " jpy, " in error["message"]


@pytest.mark.parametrize(
    ("currency", "amount"), [("eur", 1899), ("gbp", 1599), ("jpy", 1500), ("krw", 20000)]
)
def test_sessions_and_payments_in_any_currency(
    stripe_local: StripeLocal, client: stripe.StripeClient, currency: str, amount: int
) -> None:
    session = client.v1.checkout.sessions.create(params=priced(currency, amount))
    assert (session.amount_total, session.currency) == (amount, currency)
    page = urllib.request.urlopen(session.url, timeout=10).read().decode()
    assert {"eur": "€18.99", "gbp": "£15.99", "jpy": "¥1,500", "krw": "₩20,000"}[currency] in page
    stripe_local.pay(session.id)
    done = client.v1.checkout.sessions.retrieve(session.id)
    intent = client.v1.payment_intents.retrieve(done.payment_intent)
    assert (intent.amount, intent.currency, intent.status) == (amount, currency, "succeeded")
    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": amount // 2})
    assert (refund.amount, refund.currency, refund.presentment_details) == (amount // 2, currency, None)
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.currency) == (amount // 2, currency)


def test_amounts_follow_stripes_per_currency_rules(client: stripe.StripeClient) -> None:
    # ISK is counted in hundredths but has no decimals: amounts must be whole krónur.
    assert client.v1.checkout.sessions.create(params=priced("isk", 150000)).amount_total == 150000
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(params=priced("isk", 150050))
    assert raised.value.param == "line_items[0][price_data][unit_amount]"
    # Three-decimal KWD amounts must end in 0.
    assert client.v1.checkout.sessions.create(params=priced("kwd", 4250)).amount_total == 4250
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(params=priced("kwd", 4255))
    # JPY's minimum charge is 50 yen, in whole yen.
    with pytest.raises(stripe.InvalidRequestError, match="at least"):
        client.v1.checkout.sessions.create(params=priced("jpy", 49))


def test_adaptive_pricing_presents_in_the_buyers_currency(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    params = priced(
        "usd", 1999, customer_email="anna+location_FR@example.com", adaptive_pricing={"enabled": True}
    )
    session = client.v1.checkout.sessions.create(params=params)
    assert session.adaptive_pricing.enabled is True and session.presentment_details is None
    stripe_local.pay(session.id)
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.amount_total, done.currency) == (1999, "usd")  # what settles stays the session's
    assert done.presentment_details.to_dict() == {"presentment_amount": 1839, "presentment_currency": "eur"}
    intent = client.v1.payment_intents.retrieve(done.payment_intent)
    assert intent.presentment_details.presentment_amount == 1839
    full = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert full.presentment_details.to_dict() == {"presentment_amount": 1839, "presentment_currency": "eur"}
    raw = [
        _raw(stripe_local, f"/v1/checkout/sessions/{session.id}"),
        _raw(stripe_local, f"/v1/payment_intents/{intent.id}"),
        _raw(stripe_local, f"/v1/refunds/{full.id}"),
    ]
    assert [p for obj in raw for p in problems(obj)] == []
    # Without the switch, or for a buyer at home, nothing is converted.
    plain = client.v1.checkout.sessions.create(
        params=priced("usd", 1999, customer_email="b+location_FR@example.com")
    )
    stripe_local.pay(plain.id)
    assert client.v1.checkout.sessions.retrieve(plain.id).presentment_details is None
    home = client.v1.checkout.sessions.create(
        params=priced("usd", 1999, customer_email="c@example.com", adaptive_pricing={"enabled": True})
    )
    stripe_local.pay(home.id)
    assert client.v1.checkout.sessions.retrieve(home.id).presentment_details is None


def test_the_test_rates_convert_exactly() -> None:
    assert convert(1999, "usd", "eur") == 1839  # 19.99 × 0.92 = 18.3908
    assert convert(1999, "usd", "jpy") == 2999  # 19.99 × 150 = 2998.5, half up
    assert convert(1000, "jpy", "usd") == 667  # 1000 / 150 = 6.666…
    assert convert(1839, "eur", "eur") == 1839
    assert buyer_currency("x+location_GB@example.com") == "gbp"
    assert buyer_currency("x+location_JP@example.com") == "jpy"
    assert buyer_currency("x@example.com") == "usd"
    assert set(TEST_RATES) >= {"usd", "eur", "gbp", "jpy"}
