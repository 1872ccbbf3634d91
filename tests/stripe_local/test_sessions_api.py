"""Checkout Sessions through the real `stripe` library: create, retrieve, expand, list, expire."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
import stripe

from paidpdf.stripe_local import ApiError, StripeLocal
from tests.stripe_local.harness import API_KEY, Receiver, session_params


def test_create_returns_a_stripe_shaped_open_session(
    client: stripe.StripeClient, stripe_local: StripeLocal
) -> None:
    before = int(time.time())
    session = client.v1.checkout.sessions.create(params=session_params())

    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.mode, session.status, session.payment_status) == ("payment", "open", "unpaid")
    assert (session.amount_total, session.amount_subtotal, session.currency) == (1999, 1999, "usd")
    assert session.client_reference_id == "ord_1"
    assert session.customer_email == "reader@example.com"
    assert session.customer_details is None
    assert session.metadata.to_dict() == {"order_id": "ord_1"}
    assert session.payment_intent is None
    assert session.livemode is False
    assert before <= session.created <= int(time.time())
    assert session.expires_at == session.created + 24 * 3600
    assert session.url == f"{stripe_local.url}/pay/{session.id}"
    assert session.success_url == f"http://127.0.0.1:8080/checkout/success?session_id={session.id}"
    assert session.cancel_url == "http://127.0.0.1:8080/checkout/cancel"


def test_retrieve_with_expanded_line_items(client: stripe.StripeClient) -> None:
    created = client.v1.checkout.sessions.create(params=session_params())

    plain = client.v1.checkout.sessions.retrieve(created.id)
    assert "line_items" not in plain
    expanded = client.v1.checkout.sessions.retrieve(created.id, params={"expand": ["line_items"]})

    items = expanded.line_items
    assert items.object == "list"
    assert len(items.data) == 1
    item = items.data[0]
    assert item.id.startswith("li_")
    assert (item.description, item.quantity, item.amount_total, item.currency) == (
        "The Field Guide",
        1,
        1999,
        "usd",
    )
    assert item.price.unit_amount == 1999
    assert "_product" not in item

    listed = client.v1.checkout.sessions.line_items.list(created.id)
    assert [li.id for li in listed.data] == [item.id]


def test_list_is_newest_first_with_pagination_and_filters(client: stripe.StripeClient) -> None:
    ids = [client.v1.checkout.sessions.create(params=session_params()).id for _ in range(5)]

    first = client.v1.checkout.sessions.list(params={"limit": 2})
    assert [s.id for s in first.data] == ids[::-1][:2]
    assert first.has_more is True
    second = client.v1.checkout.sessions.list(params={"limit": 2, "starting_after": first.data[-1].id})
    assert [s.id for s in second.data] == ids[::-1][2:4]
    everything = [s.id for s in client.v1.checkout.sessions.list(params={"limit": 2}).auto_paging_iter()]
    assert everything == ids[::-1]
    last = client.v1.checkout.sessions.list(params={"limit": 10})
    assert last.has_more is False

    now = int(time.time())
    assert (
        len(client.v1.checkout.sessions.list(params={"created": {"gte": now - 60}, "limit": 100}).data) == 5
    )
    assert client.v1.checkout.sessions.list(params={"created": {"lt": now - 60}}).data == []
    assert client.v1.checkout.sessions.list(params={"status": "complete"}).data == []


def test_expire_sends_the_event_and_cannot_be_repeated(
    client: stripe.StripeClient, stripe_local: StripeLocal, receiver: Receiver
) -> None:
    session = client.v1.checkout.sessions.create(params=session_params())

    expired = client.v1.checkout.sessions.expire(session.id)

    assert expired.status == "expired"
    assert expired.url is None
    [event] = receiver.wait_for("checkout.session.expired")
    assert event.data.object.id == session.id
    assert event.request.id is not None
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.expire(session.id)
    assert caught.value.http_status == 400
    assert "open" in str(caught.value.user_message)
    with pytest.raises(ApiError) as refused:
        stripe_local.pay(session.id)
    assert refused.value.code == "checkout_session_expired"


def test_a_complete_session_cannot_be_expired_through_the_resource_api(
    client: stripe.StripeClient,
    stripe_local: StripeLocal,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`stripe.checkout.Session.expire` (the library's resource API, as a shop taking over a stale
    checkout calls it): an open session expires and `checkout.session.expired` is sent; a session the
    buyer completed meanwhile is refused with Stripe's error (400 `invalid_request_error`, its words)
    and stays complete, with no event."""
    monkeypatch.setattr(stripe, "api_base", stripe_local.url)
    open_one = client.v1.checkout.sessions.create(params=session_params())
    expired = stripe.checkout.Session.expire(open_one.id, api_key=API_KEY)
    assert (expired.status, expired.url) == ("expired", None)
    assert receiver.wait_for("checkout.session.expired")[0].data.object.id == open_one.id

    paid = client.v1.checkout.sessions.create(params=session_params())
    stripe_local.pay(paid.id, "delayed")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe.checkout.Session.expire(paid.id, api_key=API_KEY)
    assert caught.value.http_status == 400
    assert caught.value.error is not None and caught.value.error.type == "invalid_request_error"
    assert caught.value.user_message == (
        'Only Checkout Sessions with a status in ["open"] can be expired. '
        "This Checkout Session has a status of `complete`."
    )
    assert client.v1.checkout.sessions.retrieve(paid.id).status == "complete"
    stored = stripe_local.events("checkout.session.expired")  # what Stripe sent, synchronously
    assert [e["data"]["object"]["id"] for e in stored] == [open_one.id]


def test_sessions_past_expires_at_expire_on_their_own(receiver: Receiver) -> None:
    from paidpdf.stripe_local import start_in_thread

    clock = [time.time()]
    with start_in_thread(
        webhook_url=receiver.url, webhook_secret="whsec_test_secret_for_stripe_local", clock=lambda: clock[0]
    ) as server:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": server.url})
        session = client.v1.checkout.sessions.create(params=session_params(expires_at=int(clock[0]) + 1800))
        clock[0] += 1801
        assert client.v1.checkout.sessions.retrieve(session.id).status == "expired"
        assert receiver.wait_for("checkout.session.expired")[0].data.object.id == session.id


def test_unknown_session_is_a_404_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert "cs_test_nope" in str(caught.value.user_message)


def test_idempotency_key_replays_and_refuses_other_params(client: stripe.StripeClient) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "order-ord_1"}
    first = client.v1.checkout.sessions.create(params=session_params(), options=options)
    again = client.v1.checkout.sessions.create(params=session_params(), options=options)
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(client.v1.checkout.sessions.list().data) == 1

    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.checkout.sessions.create(
            params=session_params(client_reference_id="ord_2"), options=options
        )
    assert caught.value.http_status == 400
    assert "order-ord_1" in str(caught.value.user_message)


def test_concurrent_requests_with_one_key_make_one_session(client: stripe.StripeClient) -> None:
    import concurrent.futures

    def create(_: int) -> str:
        options: stripe.RequestOptions = {"idempotency_key": "same"}
        return client.v1.checkout.sessions.create(params=session_params(), options=options).id

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(create, range(16)))
    assert len(ids) == 1
    assert len(client.v1.checkout.sessions.list(params={"limit": 100}).data) == 1


@pytest.mark.parametrize(
    ("changes", "param", "code"),
    [
        ({"mode": None}, "mode", "parameter_missing"),
        ({"mode": "setup"}, "mode", None),
        ({"line_items": None}, "line_items", "parameter_missing"),
        ({"unit_amount": "19.99"}, "line_items[0][price_data][unit_amount]", "parameter_invalid_integer"),
        ({"unit_amount": -5}, "line_items[0][price_data][unit_amount]", "parameter_invalid_integer"),
        ({"unit_amount": 100_000_000}, "line_items[0][price_data][unit_amount]", "parameter_invalid_integer"),
        ({"unit_amount": 10}, "line_items", "amount_too_small"),
        ({"currency": "dollars"}, "line_items[0][price_data][currency]", None),
        ({"quantity": None}, "line_items[0][quantity]", "parameter_missing"),
        ({"name": None}, "line_items[0][price_data][product_data][name]", "parameter_missing"),
        ({"success_url": "javascript:alert(1)"}, "success_url", "url_invalid"),
        ({"customer_email": "not-an-email"}, "customer_email", "email_invalid"),
        ({"expires_at": "soon"}, "expires_at", "parameter_invalid_integer"),
        ({"expires_at": 60}, "expires_at", "parameter_invalid_integer"),
        ({"expires_at": 3 * 86400}, "expires_at", "parameter_invalid_integer"),
        ({"sucess_url": "http://x.test/"}, "sucess_url", "parameter_unknown"),
        ({"metadata": {"k" * 41: "v"}}, f"metadata[{'k' * 41}]", None),
    ],
)
def test_bad_parameters_get_stripes_400(
    client: stripe.StripeClient, changes: dict[str, object], param: str, code: str | None
) -> None:
    params = session_params()
    price = params["line_items"][0]["price_data"]
    for key, value in changes.items():
        if key in ("unit_amount", "currency"):
            price[key] = value
        elif key == "quantity":
            del params["line_items"][0]["quantity"]
        elif key == "name":
            del price["product_data"]["name"]
        elif key == "expires_at" and isinstance(value, int):
            params[key] = int(time.time()) + value
        elif value is None:
            del params[key]
        else:
            params[key] = value

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.create(params=params)

    assert caught.value.http_status == 400
    assert caught.value.param == param
    if code is not None:
        assert caught.value.code == code
    assert client.v1.checkout.sessions.list().data == []


def _raw(url: str, headers: dict[str, str], data: bytes | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_authentication_is_required_and_test_keys_only(stripe_local: StripeLocal) -> None:
    url = f"{stripe_local.url}/v1/checkout/sessions"
    status, body = _raw(url, {})
    assert status == 401
    assert body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert "API key" in body["error"]["message"]  # type: ignore[index]

    for key in ("sk_live_realkey123456", "pk_test_publishable", "nonsense"):
        with pytest.raises(stripe.AuthenticationError) as caught:
            stripe.StripeClient(key, base_addresses={"api": stripe_local.url}).v1.checkout.sessions.list()
        assert caught.value.http_status == 401
    assert (
        "realkey" not in _raw(url, {"Authorization": "Bearer sk_live_realkey123456"})[1]["error"]["message"]
    )  # type: ignore[index]


def test_raw_form_encoding_with_empty_brackets_and_unknown_urls(stripe_local: StripeLocal) -> None:
    auth = {"Authorization": f"Bearer {API_KEY}"}
    body = (
        b"mode=payment&line_items[0][quantity]=1&line_items[0][price_data][currency]=EUR"
        b"&line_items[0][price_data][unit_amount]=500&line_items[0][price_data][product_data][name]=Caf%C3%A9"
        b"&expand[]=line_items"
    )
    status, session = _raw(f"{stripe_local.url}/v1/checkout/sessions", auth, body)
    assert status == 200
    assert session["currency"] == "eur"
    assert session["line_items"]["data"][0]["description"] == "Café"  # type: ignore[index]

    status, error = _raw(f"{stripe_local.url}/v1/products", auth)
    assert status == 404
    assert "Unrecognized request URL" in error["error"]["message"]  # type: ignore[index]


def test_state_file_keeps_sessions_across_restarts(tmp_path: object) -> None:
    from pathlib import Path

    from paidpdf.stripe_local import start_in_thread

    path = Path(str(tmp_path)) / "stripe-local.json"
    with start_in_thread(state_path=path) as first:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": first.url})
        session = client.v1.checkout.sessions.create(params=session_params())
        first.pay(session.id)
    with start_in_thread(state_path=path) as second:
        client = stripe.StripeClient(API_KEY, base_addresses={"api": second.url})
        again = client.v1.checkout.sessions.retrieve(session.id)
        assert (again.status, again.payment_status) == ("complete", "paid")
        assert client.v1.payment_intents.retrieve(again.payment_intent).status == "succeeded"


def test_nested_expansions_filters_and_ending_before(
    client: stripe.StripeClient, stripe_local: StripeLocal
) -> None:
    paid = client.v1.checkout.sessions.create(params=session_params())
    other = client.v1.checkout.sessions.create(params=session_params(customer_email="other@example.com"))
    stripe_local.pay(paid.id)
    stripe_local.pay(other.id)

    deep = client.v1.checkout.sessions.retrieve(paid.id, params={"expand": ["payment_intent.latest_charge"]})
    assert deep.payment_intent.object == "payment_intent"
    assert deep.payment_intent.latest_charge.object == "charge"
    listed = client.v1.checkout.sessions.list(params={"expand": ["data.line_items"]})
    assert all(s.line_items.data[0].amount_total == 1999 for s in listed.data)
    by_email = client.v1.checkout.sessions.list(params={"customer_details": {"email": "other@example.com"}})
    assert [s.id for s in by_email.data] == [other.id]
    by_intent = client.v1.checkout.sessions.list(params={"payment_intent": deep.payment_intent.id})
    assert [s.id for s in by_intent.data] == [paid.id]
    before = client.v1.checkout.sessions.list(params={"ending_before": paid.id})
    assert [s.id for s in before.data] == [other.id]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.checkout.sessions.retrieve(paid.id, params={"expand": ["customer_email"]})
    assert caught.value.param == "expand"
