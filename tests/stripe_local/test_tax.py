"""The stand-in's tax: Managed Payments' refused parameters, `automatic_tax` from the test rates
(inclusive and exclusive), the buyer's address and tax ids, and `invoice_creation`'s invoice."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from paidpdf.stripe_local import StripeLocal, tax_rates
from tests.stripe_local.harness import API_KEY, session_params
from tests.stripe_local.typed_objects import problems


def _priced(behavior: str, *, tax_code: str | None = "txcd_10302000", amount: int = 1999) -> dict[str, Any]:
    product: dict[str, Any] = {"name": "The Field Guide"}
    if tax_code:
        product["tax_code"] = tax_code
    price = {"currency": "eur", "unit_amount": amount, "product_data": product, "tax_behavior": behavior}
    return {"line_items": [{"quantity": 1, "price_data": price}]}


def _raw(sl: StripeLocal, path: str) -> dict[str, Any]:
    request = urllib.request.Request(sl.url + path, headers={"Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body: dict[str, Any] = json.loads(answer.read())
    return body


MANAGED_REFUSED = [
    ("automatic_tax", {"automatic_tax": {"enabled": True}}),
    ("tax_id_collection", {"tax_id_collection": {"enabled": True}}),
    ("invoice_creation", {"invoice_creation": {"enabled": True}}),
    ("shipping_address_collection", {"shipping_address_collection": {"allowed_countries": ["DE"]}}),
    (
        "payment_intent_data[receipt_email]",
        {"payment_intent_data": {"receipt_email": "a@example.com", "metadata": {"order_id": "ord_1"}}},
    ),
]


@pytest.mark.parametrize(("param", "extra"), MANAGED_REFUSED, ids=[p for p, _ in MANAGED_REFUSED])
def test_managed_payments_refuses_what_stripe_manages(
    client: stripe.StripeClient, param: str, extra: dict[str, Any]
) -> None:
    sent = session_params(**_priced("inclusive"), managed_payments={"enabled": True}, **extra)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create(params=sent)  # type: ignore[arg-type]
    assert refused.value.param == param and "managed_payments" in str(refused.value)


@pytest.mark.parametrize("code", [None, "txcd_99999999"])
def test_managed_payments_needs_an_eligible_tax_code(client: stripe.StripeClient, code: str | None) -> None:
    sent = session_params(**_priced("inclusive", tax_code=code), managed_payments={"enabled": True})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create(params=sent)  # type: ignore[arg-type]
    assert refused.value.param == "line_items[0][price_data][product_data][tax_code]"


def test_managed_session_with_an_ebook_code_computes_vat(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    sent = session_params(**_priced("inclusive"), managed_payments={"enabled": True})
    session = client.v1.checkout.sessions.create(params=sent)  # type: ignore[arg-type]
    paid = stripe_local.pay(session.id, country="FR")
    assert paid["managed_payments"] == {"enabled": True}
    assert paid["total_details"]["amount_tax"] == 333 and paid["amount_total"] == 1999  # 1999 / 1.2
    assert problems(_raw(stripe_local, f"/v1/checkout/sessions/{session.id}")) == []


def test_inclusive_german_vat_stays_inside_the_price(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    sent = session_params(
        **_priced("inclusive", amount=499),
        automatic_tax={"enabled": True},
        billing_address_collection="required",
        tax_id_collection={"enabled": True},
    )
    session = client.v1.checkout.sessions.create(params=sent)  # type: ignore[arg-type]
    assert (
        session.automatic_tax.enabled is True and session.automatic_tax.status == "requires_location_inputs"
    )
    paid = stripe_local.pay(session.id, country="de")
    assert paid["amount_total"] == 499 and paid["total_details"]["amount_tax"] == 80  # 419 net + 80 VAT
    assert paid["customer_details"]["address"]["country"] == "DE"
    intent = client.v1.payment_intents.retrieve(paid["payment_intent"])
    assert intent.amount == 499
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert items.data[0].amount_tax == 80 and items.data[0].price.tax_behavior == "inclusive"


def test_exclusive_tax_is_added_on_top_and_charged(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    sent = session_params(**_priced("exclusive", amount=1000), automatic_tax={"enabled": True})
    session = client.v1.checkout.sessions.create(params=sent)  # type: ignore[arg-type]
    assert session.amount_total == 1000  # no address yet: no tax yet
    paid = stripe_local.pay(session.id, country="US", state="WA")
    assert paid["total_details"]["amount_tax"] == 65 and paid["amount_total"] == 1065
    assert client.v1.payment_intents.retrieve(paid["payment_intent"]).amount == 1065


def test_an_eu_business_with_a_vat_id_pays_no_vat(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    sent = session_params(
        **_priced("exclusive"), automatic_tax={"enabled": True}, tax_id_collection={"enabled": True}
    )
    session = client.v1.checkout.sessions.create(params=sent)  # type: ignore[arg-type]
    paid = stripe_local.pay(session.id, country="AT", tax_id="eu_vat:ATU12345678")
    assert paid["total_details"]["amount_tax"] == 0 and paid["amount_total"] == 1999
    assert paid["customer_details"]["tax_ids"] == [{"type": "eu_vat", "value": "ATU12345678"}]


def test_invoice_creation_issues_a_paid_invoice_with_a_hosted_page(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    sent = session_params(
        **_priced("inclusive", amount=499),
        automatic_tax={"enabled": True},
        invoice_creation={"enabled": True},
    )
    session = client.v1.checkout.sessions.create(params=sent)  # type: ignore[arg-type]
    paid = stripe_local.pay(session.id, country="DE")
    invoice = client.v1.invoices.retrieve(paid["invoice"])
    assert invoice.status == "paid" and invoice.total == 499 and invoice.total_excluding_tax == 419
    page = urllib.request.urlopen(str(invoice.hosted_invoice_url), timeout=10).read().decode()
    assert "€0.80" in page and "€4.99" in page and invoice.number in page
    wrong = str(invoice.hosted_invoice_url)[:-3] + "xyz"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(wrong, timeout=10)
    assert missing.value.code == 404
    assert problems(_raw(stripe_local, f"/v1/invoices/{invoice.id}")) == []
    assert problems(_raw(stripe_local, f"/v1/checkout/sessions/{session.id}")) == []


def test_invoice_creation_is_for_payment_mode_only(client: stripe.StripeClient) -> None:
    price = {
        "currency": "usd",
        "unit_amount": 500,
        "product_data": {"name": "Club"},
        "recurring": {"interval": "month"},
    }
    sent = session_params(
        mode="subscription",
        line_items=[{"quantity": 1, "price_data": price}],
        invoice_creation={"enabled": True},
    )
    sent.pop("payment_intent_data")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create(params=sent)  # type: ignore[arg-type]
    assert refused.value.param == "invoice_creation"


@given(
    st.integers(min_value=1, max_value=99_999_999),
    st.sampled_from(sorted(set(tax_rates.COUNTRY_BPS.values()))),
)
def test_inclusive_tax_splits_the_price_exactly(amount: int, bps: int) -> None:
    tax = tax_rates.tax_of(amount, bps, "inclusive")
    net = amount - tax
    assert 0 <= tax < amount or amount == tax == 0
    assert abs(net * (10_000 + bps) - amount * 10_000) <= (10_000 + bps) // 2 + 1  # net is the rounded net


def test_the_test_page_asks_a_taxed_session_for_country_and_tax_id() -> None:
    """The hosted page: country, state and tax id fields when the session asks; the tax is computed
    from what the buyer types, and the paid page links the invoice."""
    import webtest
    from stripe._encode import _api_encode

    from paidpdf.stripe_local import Config, StandIn, create_app

    core = StandIn(Config(public_url="http://stripe.test", async_delay=0.05))
    try:
        app = webtest.TestApp(create_app(core.config, core), extra_environ={"HTTP_HOST": "stripe.test"})

        def create(params: dict[str, Any]) -> dict[str, Any]:  # form-encoded, as the stripe library sends
            form = [(k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in _api_encode(params)]
            answer = app.post("/v1/checkout/sessions", form, headers={"Authorization": f"Bearer {API_KEY}"})
            return dict(answer.json)

        plain = create(session_params())
        assert 'name="country"' not in app.get(f"/pay/{plain['id']}").text
        sent = session_params(
            **_priced("exclusive", amount=1000),
            automatic_tax={"enabled": True},
            tax_id_collection={"enabled": True},
            invoice_creation={"enabled": True},
        )
        session = create(sent)
        page = app.get(f"/pay/{session['id']}")
        assert 'name="country"' in page.text and 'name="tax_id"' in page.text
        assert "calculated from your billing address" in page.text
        form = page.forms[0]
        form["country"] = "fi"
        form["tax_id"] = "vat:FI123"
        refused = form.submit("action", value="pay", status=400)
        assert "tax_id must be TYPE:VALUE" in refused.text
        form = app.get(f"/pay/{session['id']}").forms[0]
        form["country"] = "FI"
        assert form.submit("action", value="pay").status_int == 303
        paid = core.get_session(session["id"])
        assert paid["total_details"]["amount_tax"] == 255 and paid["amount_total"] == 1255  # 25.5%
        done = app.get(f"/pay/{session['id']}").text
        assert "View your invoice" in done and "€2.55" in done
    finally:
        core.close()
