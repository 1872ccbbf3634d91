"""Every object the stand-in returns conforms to stripe-python's typed classes (no drift from the API
version it claims): sessions (plain, expanded, expired), payment intents, charges, refunds, disputes
(open and closed) and every event it sent."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import stripe

from paidpdf.stripe_local import StripeLocal
from tests.stripe_local.harness import API_KEY, session_params
from tests.stripe_local.typed_objects import check_object, problems


def _raw(stripe_local: StripeLocal, path: str) -> dict[str, Any]:
    """The JSON exactly as sent over the wire (not the stripe library's parsed object)."""
    request = urllib.request.Request(stripe_local.url + path, headers={"Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body: dict[str, Any] = json.loads(answer.read())
    return body


def test_every_object_matches_the_typed_classes(
    stripe_local: StripeLocal, client: stripe.StripeClient
) -> None:
    paid = client.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    stripe_local.pay(paid.id)
    expired = client.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    client.v1.checkout.sessions.expire(expired.id)
    session = _raw(stripe_local, f"/v1/checkout/sessions/{paid.id}")
    intent = _raw(stripe_local, f"/v1/payment_intents/{session['payment_intent']}")
    refund = client.v1.refunds.create(params={"payment_intent": intent["id"], "amount": 100})
    dispute = stripe_local.dispute(intent["id"])
    stripe_local.close_dispute(dispute["id"], "won")
    objects = [
        session,
        _raw(stripe_local, f"/v1/checkout/sessions/{paid.id}?expand[]=line_items&expand[]=payment_intent"),
        _raw(stripe_local, f"/v1/checkout/sessions/{expired.id}"),
        *_raw(stripe_local, "/v1/checkout/sessions")["data"],
        *_raw(stripe_local, f"/v1/checkout/sessions/{paid.id}/line_items")["data"],
        intent,
        _raw(stripe_local, f"/v1/charges/{intent['latest_charge']}"),
        _raw(stripe_local, f"/v1/refunds/{refund.id}"),
        _raw(stripe_local, f"/v1/disputes/{dispute['id']}"),
    ]
    events = _raw(stripe_local, "/v1/events?limit=100")["data"]
    kinds = {e["type"] for e in events}
    assert kinds >= {"checkout.session.completed", "refund.created", "charge.dispute.closed"}
    found = [p for obj in [*objects, *events] for p in problems(obj)]
    assert found == []


def test_the_checks_catch_the_drift_they_are_for() -> None:
    """The two deviations the stand-in once had are caught (so the test above can fail)."""
    assert any("ui_mode" in p for p in check_object({"ui_mode": "hosted"}, stripe.checkout.Session, "s"))
    dispute_problems = check_object({"evidence": {}, "evidence_details": {}}, stripe.Dispute, "d")
    wanted = ("enhanced_eligibility_types", "evidence.enhanced_evidence", "submission_method")
    for name in wanted:
        assert any(name in p for p in dispute_problems), name
    assert any("not a field" in p for p in check_object({"invented": 1}, stripe.Refund, "r"))


@pytest.mark.parametrize("ui_mode", ["hosted_page"])
def test_ui_mode_hosted_page_is_accepted(client: stripe.StripeClient, ui_mode: str) -> None:
    session = client.v1.checkout.sessions.create(params=session_params(ui_mode=ui_mode))  # type: ignore[arg-type]
    assert session.ui_mode == "hosted_page"


def test_a_dispute_lists_every_evidence_key(stripe_local: StripeLocal, client: stripe.StripeClient) -> None:
    paid = client.v1.checkout.sessions.create(params=session_params())  # type: ignore[arg-type]
    stripe_local.pay(paid.id)
    intent = _raw(stripe_local, f"/v1/checkout/sessions/{paid.id}")["payment_intent"]
    dispute = _raw(stripe_local, f"/v1/disputes/{stripe_local.dispute(intent)['id']}")
    assert set(dispute["evidence"]) == set(stripe.Dispute.Evidence.__annotations__)
    assert set(dispute["evidence_details"]) == set(stripe.Dispute.EvidenceDetails.__annotations__)
