"""The hosted test checkout page: rendered safely, its POST forms (pay three ways, cancel), the email it
collects when the session has none, redirects to the shop's URLs."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
import stripe
import webtest

from paidpdf.stripe_local import Config, StandIn, create_app
from tests.stripe_local.harness import API_KEY, session_params


@pytest.fixture
def standin() -> Iterator[StandIn]:
    core = StandIn(Config(public_url="http://stripe.test", async_delay=0.05))
    yield core
    core.close()


@pytest.fixture
def app(standin: StandIn) -> webtest.TestApp:
    # The stand-in answers only requests that name its own address (its public URL here).
    return webtest.TestApp(create_app(standin.config, standin), extra_environ={"HTTP_HOST": "stripe.test"})


def test_requests_naming_another_host_are_refused(standin: StandIn) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends `Host: evil.example`."""
    other = webtest.TestApp(create_app(standin.config, standin), extra_environ={"HTTP_HOST": "evil.example"})
    auth = {"Authorization": f"Bearer {API_KEY}"}
    answer = other.post("/v1/checkout/sessions", {"mode": "payment"}, headers=auth, status=421)
    assert answer.json["error"]["message"] == "unknown Host"
    assert other.get("/_local", status=421) and standin.list_sessions({})["data"] == []


def _session(app: webtest.TestApp, **changes: object) -> dict[str, object]:
    """Create a session over the wire (form-encoded like the stripe library) and return its JSON."""
    params = session_params(**changes)
    item = params["line_items"][0]
    form = {
        "mode": "payment",
        "line_items[0][quantity]": str(item["quantity"]),
        "line_items[0][price_data][currency]": item["price_data"]["currency"],
        "line_items[0][price_data][unit_amount]": str(item["price_data"]["unit_amount"]),
        "line_items[0][price_data][product_data][name]": item["price_data"]["product_data"]["name"],
        **({"customer_email": params["customer_email"]} if params["customer_email"] else {}),
        "success_url": params["success_url"],
        "cancel_url": params["cancel_url"],
    }
    response = app.post("/v1/checkout/sessions", form, headers={"Authorization": f"Bearer {API_KEY}"})
    return dict(response.json)


def test_page_shows_item_amount_and_its_post_forms(app: webtest.TestApp) -> None:
    session = _session(app)
    page = app.get(f"/pay/{session['id']}")

    assert page.status_int == 200
    assert "The Field Guide" in page.text
    assert "$19.99" in page.text
    assert "reader@example.com" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    buttons = [[b.value_if_submitted() for b in f.fields["action"]] for f in page.forms.values()]
    assert buttons == [["pay", "delayed", "decline"], ["cancel"]]
    assert all(f.method.upper() == "POST" for f in page.forms.values())
    assert "email" not in page.forms[0].fields  # the session named its customer


def test_names_are_escaped(app: webtest.TestApp, standin: StandIn) -> None:
    raw = session_params()
    raw["line_items"][0]["price_data"]["product_data"]["name"] = "<script>alert('x')</script>"
    session = standin.create_session(_stringify(raw))

    page = app.get(f"/pay/{session['id']}")

    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert" in page.text


def _stringify(value: object) -> object:
    """Form values are strings on the wire; the StandIn's Python API takes the parsed form."""
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    return str(value)


def test_pay_completes_and_redirects_to_success_url(app: webtest.TestApp, standin: StandIn) -> None:
    session = _session(app)
    page = app.get(f"/pay/{session['id']}")

    response = page.forms[0].submit("action", value="pay")

    assert response.status_int == 303
    assert (
        response.headers["Location"] == f"http://127.0.0.1:8080/checkout/success?session_id={session['id']}"
    )
    paid = standin.get_session(str(session["id"]))
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert paid["customer_details"]["email"] == "reader@example.com"
    intent = standin.get_payment_intent(paid["payment_intent"], ["latest_charge"])
    assert intent["status"] == "succeeded"
    assert intent["latest_charge"]["id"].startswith("ch_")
    assert intent["latest_charge"]["paid"] is True
    assert [e["type"] for e in standin.events("checkout.session.*")] == ["checkout.session.completed"]
    again = app.get(f"/pay/{session['id']}")
    assert "This session is paid." in again.text
    assert not again.forms


def test_decline_stays_open_with_a_message(app: webtest.TestApp, standin: StandIn) -> None:
    session = _session(app)
    page = app.get(f"/pay/{session['id']}")

    response = page.forms[0].submit("action", value="decline", status=402)

    assert "Your card was declined" in response.text
    assert standin.get_session(str(session["id"]))["status"] == "open"
    assert standin.events() == []


def test_cancel_goes_back_to_cancel_url(app: webtest.TestApp, standin: StandIn) -> None:
    session = _session(app)
    page = app.get(f"/pay/{session['id']}")

    response = page.forms[1].submit("action", value="cancel")

    assert response.status_int == 303
    assert response.headers["Location"] == "http://127.0.0.1:8080/checkout/cancel"
    assert standin.get_session(str(session["id"]))["status"] == "open"


@pytest.mark.parametrize(
    ("outcome", "event_type"),
    [
        ("succeeded", "checkout.session.async_payment_succeeded"),
        ("failed", "checkout.session.async_payment_failed"),
    ],
)
def test_delayed_method_completes_unpaid_then_settles(
    app: webtest.TestApp, standin: StandIn, outcome: str, event_type: str
) -> None:
    session = _session(app)
    form = app.get(f"/pay/{session['id']}").forms[0]
    form["outcome"] = outcome

    response = form.submit("action", value="delayed")

    assert response.status_int == 303
    [completed] = standin.events("checkout.session.completed")
    first = completed["data"]["object"]
    assert (first["id"], first["status"], first["payment_status"]) == (session["id"], "complete", "unpaid")
    assert standin.wait_idle(5)
    final = standin.get_session(str(session["id"]))
    assert final["payment_status"] == ("paid" if outcome == "succeeded" else "unpaid")
    types = [e["type"] for e in standin.events("checkout.session.*")]
    assert types == ["checkout.session.completed", event_type]


def test_expired_session_cannot_be_paid(app: webtest.TestApp, standin: StandIn) -> None:
    session = _session(app)
    page = app.get(f"/pay/{session['id']}")
    standin.expire_session(str(session["id"]))

    assert "has expired" in app.get(f"/pay/{session['id']}", status=410).text
    response = page.forms[0].submit("action", value="pay", status=410)
    assert "has expired" in response.text
    assert standin.get_session(str(session["id"]))["payment_intent"] is None


def test_forged_form_is_refused(app: webtest.TestApp, standin: StandIn) -> None:
    session = _session(app)

    response = app.post(f"/pay/{session['id']}", {"action": "pay", "token": "guess"}, status=403)

    assert "expired" in response.text
    assert standin.get_session(str(session["id"]))["status"] == "open"
    assert app.get("/pay/cs_test_unknown", status=404).status_int == 404


def test_page_over_real_http(stripe_local: object, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=session_params())
    with urllib.request.urlopen(session.url, timeout=5) as response:
        html = response.read().decode()
    assert response.status == 200
    assert "The Field Guide" in html
    assert 'name="token"' in html


def test_building_the_app_starts_no_threads() -> None:
    import threading

    before = threading.active_count()
    core = StandIn(Config())
    create_app(core.config, core)
    assert threading.active_count() == before
    core.close()


def test_a_session_without_customer_email_collects_one_like_stripe(
    app: webtest.TestApp, standin: StandIn
) -> None:
    session = _session(app, customer_email=None)
    page = app.get(f"/pay/{session['id']}")
    assert page.forms[0]["email"].value == ""
    refused = page.forms[0].submit("action", value="pay", status=400)
    assert "Enter your email address" in refused.text
    assert standin.get_session(str(session["id"]))["status"] == "open"
    form = refused.forms[0]
    form["email"] = "guest@example.com"
    paid = form.submit("action", value="pay")
    assert paid.status_int == 303
    done = standin.get_session(str(session["id"]))
    assert done["status"] == "complete" and done["payment_status"] == "paid"
    assert done["customer_details"]["email"] == "guest@example.com"
    assert done["customer_email"] is None
