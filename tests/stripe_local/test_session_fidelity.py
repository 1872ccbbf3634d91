"""A Checkout Session as Stripe sends it, field by field: every field of stripe-python's typed
`checkout.Session` is present (open, paid, expired; payment and subscription; taxed), `url` is null once
the session is complete, `locale` is one of Stripe's and nothing else, and `invoice_creation` has
Stripe's default in each mode."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Literal, get_args, get_origin

import pytest
import stripe

from paidpdf.stripe_local import StripeLocal
from paidpdf.stripe_local.page_locales import LOCALES, PORTAL_LOCALES
from tests.stripe_local.billing import T0, subscription_params
from tests.stripe_local.harness import API_KEY, session_params
from tests.stripe_local.typed_objects import absent, fields, problems

#: Fields Stripe only sends when expanded (`expand[]=line_items`, `expand[]=total_details.breakdown`).
INCLUDABLE = frozenset({"checkout.session.line_items", "checkout.session.total_details.breakdown"})
#: Maps keyed by kind that hold only the kinds in use.
SPARSE = frozenset({"checkout.session.payment_method_options"})


def _raw(sl: StripeLocal, path: str) -> dict[str, Any]:
    request = urllib.request.Request(sl.url + path, headers={"Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body: dict[str, Any] = json.loads(answer.read())
    return body


def _taxed() -> dict[str, Any]:
    price = {
        "currency": "eur",
        "unit_amount": 1999,
        "tax_behavior": "exclusive",
        "product_data": {"name": "The Field Guide"},
    }
    return {
        "line_items": [{"quantity": 1, "price_data": price}],
        "automatic_tax": {"enabled": True},
        "tax_id_collection": {"enabled": True},
        "invoice_creation": {"enabled": True},
    }


def test_every_field_of_the_typed_session_is_sent(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    customer = client.v1.customers.create(params={"email": "member@example.com"})
    open_ = client.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    paid = client.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    stripe_local.pay(paid.id)
    taxed = client.v1.checkout.sessions.create(params=session_params(**_taxed()))  # type: ignore[arg-type]
    stripe_local.pay(taxed.id, country="DE", tax_id="eu_vat:DE123456789")
    expired = client.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    client.v1.checkout.sessions.expire(expired.id)
    member = client.v1.checkout.sessions.create(params=subscription_params(customer=customer.id))  # type: ignore[arg-type]
    stripe_local.pay(member.id)
    sessions = [
        _raw(stripe_local, f"/v1/checkout/sessions/{s.id}") for s in (open_, paid, taxed, expired, member)
    ]
    expanded = _raw(stripe_local, f"/v1/checkout/sessions/{paid.id}?expand[]=line_items")
    walk = {"omitted": INCLUDABLE, "sparse": SPARSE}
    missing = [p for s in sessions for p in absent(s, stripe.checkout.Session, "checkout.session", **walk)]
    missing += absent(expanded, stripe.checkout.Session, "checkout.session", INCLUDABLE - {
        "checkout.session.line_items"}, SPARSE)
    assert sorted(set(missing)) == []
    assert [p for s in [*sessions, expanded] for p in problems(s)] == []
    assert sessions[1]["collected_information"] == {
        "business_name": None, "individual_name": None, "shipping_details": None,
    }
    assert sessions[0]["collected_information"] is None and sessions[0]["discounts"] == []
    assert sessions[4]["saved_payment_method_options"]["allow_redisplay_filters"] == ["always"]
    assert sessions[1]["saved_payment_method_options"] is None


def test_the_walk_finds_a_missing_nested_field() -> None:
    """`absent` can fail: a nested object without one of its fields, and a top-level field left out."""
    found = absent({"automatic_tax": {"enabled": False}}, stripe.checkout.Session, "s")
    assert "s.automatic_tax.provider: absent" in found
    assert "s.wallet_options: absent" in found


def test_url_is_null_once_the_session_is_complete(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    assert session.url is not None
    stripe_local.pay(session.id)
    assert client.v1.checkout.sessions.retrieve(session.id).url is None
    customer = client.v1.customers.create(params={"email": "member@example.com"})
    member = client.v1.checkout.sessions.create(params=subscription_params(customer=customer.id))  # type: ignore[arg-type]
    assert member.url is not None
    stripe_local.pay(member.id)
    done = client.v1.checkout.sessions.retrieve(member.id)
    assert (done.status, done.url) == ("complete", None)


def test_the_locales_are_stripes() -> None:
    for cls, ours in ((stripe.checkout.Session, LOCALES), (stripe.billing_portal.Session, PORTAL_LOCALES)):
        annotation = fields(cls)["locale"]
        typed = {v for a in get_args(annotation) if get_origin(a) is Literal for v in get_args(a)}
        assert len(typed) > 40 and set(ours) == typed


def test_the_portal_refuses_a_locale_stripe_has_not(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "member@example.com"})
    made = client.v1.billing_portal.sessions.create(params={"customer": customer.id, "locale": "en-AU"})
    assert made.locale == "en-AU"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.billing_portal.sessions.create(params={"customer": customer.id, "locale": "hi-IN"})
    assert refused.value.param == "locale"


@pytest.mark.parametrize("locale", ["auto", "de", "en-GB", "es-419", "fr-CA", "zh-TW"])
def test_a_stripe_locale_is_kept(client: stripe.StripeClient, locale: str) -> None:
    session = client.v1.checkout.sessions.create(params=session_params(locale=locale))  # type: ignore[arg-type]
    assert session.locale == locale


@pytest.mark.parametrize("locale", ["de_DE", "de-DE", "pt-PT", "EN", "klingon", ""])
def test_any_other_locale_is_refused_as_stripe_does(stripe_local: StripeLocal, locale: str) -> None:
    body = urllib.parse.urlencode({**_flat(session_params()), "locale": locale}).encode()
    request = urllib.request.Request(
        stripe_local.url + "/v1/checkout/sessions", data=body, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    if locale == "":  # an empty value is Stripe's "unset": no locale, no error
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.loads(answer.read())["locale"] is None
        return
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    error = json.loads(refused.value.read())["error"]
    assert refused.value.code == 400
    assert (error["type"], error["param"]) == ("invalid_request_error", "locale")
    assert error["message"].startswith("Invalid locale: must be one of auto, bg, cs")


def _flat(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Stripe's form encoding of nested parameters (`line_items[0][quantity]=1`)."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            flat.update(_flat(value, name))
        elif isinstance(value, list):
            for index, element in enumerate(value):
                flat.update(_flat({str(index): element}, name))
        else:
            flat[name] = str(value)
    return flat


def test_invoice_creation_defaults_as_on_stripe(client: stripe.StripeClient) -> None:
    payment = client.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    assert payment.invoice_creation is not None
    assert payment.invoice_creation.enabled is False
    data = payment.invoice_creation.invoice_data
    assert (data.account_tax_ids, data.custom_fields, data.description, data.footer) == (None,) * 4
    assert (data.issuer, data.rendering_options, data.metadata.to_dict()) == (None, None, {})
    asked = client.v1.checkout.sessions.create(params=session_params(invoice_creation={"enabled": True}))  # type: ignore[arg-type]
    assert asked.invoice_creation is not None and asked.invoice_creation.enabled is True
    customer = client.v1.customers.create(params={"email": "member@example.com"})
    member = client.v1.checkout.sessions.create(params=subscription_params(customer=customer.id))  # type: ignore[arg-type]
    assert member.invoice_creation is None


def test_a_taxed_trial_subscription_taxes_its_renewal_not_its_free_first_invoice(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": T0})
    customer = client.v1.customers.create(params={"email": "member@example.com", "test_clock": clock.id})
    price = {"currency": "eur", "unit_amount": 1000, "tax_behavior": "inclusive",
             "product_data": {"name": "Club"}, "recurring": {"interval": "month"}}
    session = client.v1.checkout.sessions.create(params=subscription_params(  # type: ignore[arg-type]
        customer=customer.id, line_items=[{"quantity": 1, "price_data": price}],
        automatic_tax={"enabled": True}, subscription_data={"trial_period_days": 7},
    ))
    stripe_local.pay(session.id, country="FR")
    done = _raw(stripe_local, f"/v1/checkout/sessions/{session.id}")
    assert (done["amount_total"], done["total_details"]["amount_tax"]) == (0, 0)
    assert done["customer_details"]["address"]["country"] == "FR"
    sub = _raw(stripe_local, f"/v1/subscriptions/{done['subscription']}")
    assert sub["automatic_tax"]["enabled"] is True and problems(sub) == []
    first = _raw(stripe_local, f"/v1/invoices/{done['invoice']}")
    assert (first["total"], [t["amount"] for t in first["total_taxes"]]) == (0, [0])
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": T0 + 8 * 86400})
    renewal = _raw(stripe_local, f"/v1/subscriptions/{sub['id']}")["latest_invoice"]
    second = _raw(stripe_local, f"/v1/invoices/{renewal}")
    assert second["billing_reason"] == "subscription_cycle" and second["status"] == "paid"
    assert [(t["amount"], t["tax_behavior"], t["taxability_reason"]) for t in second["total_taxes"]] == [
        (167, "inclusive", "standard_rated")  # 10.00 incl. 20% FR VAT: net 8.33
    ]
    assert (second["total"], second["total_excluding_tax"], second["amount_paid"]) == (1000, 833, 1000)
    assert second["lines"]["data"][0]["taxes"][0]["taxable_amount"] == 833
    assert problems(second) == []
