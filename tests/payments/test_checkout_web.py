"""The shop's checkout and webhook routes (real app under WebTest) against the real stand-in."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.forms import form_for
from tests.payments.shop import FREE, OTHER, PAID, Shop

BOTH_BACKENDS = True  # every shop test here also runs on PostgreSQL


def test_buy_pay_success_page_download(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    assert order["status"] == "pending" and order["amount"] == 499 and order["currency"] == "usd"
    session = shop.client.v1.checkout.sessions.retrieve(session_id)
    assert session.amount_total == 499 and session.client_reference_id == order["id"]
    assert session.metadata["order_id"] == order["id"] and session.customer_email == "buyer@example.com"
    assert session.success_url.endswith(f"/checkout/success?session_id={session_id}")
    shop.sl.pay(session_id)
    page = shop.app.get(f"/checkout/success?session_id={session_id}")
    assert page.status_int == 200 and "Thank you" in page.text
    assert f'href="/content/{PAID}/download"' in page.text
    stored = shop.order(order["id"])
    assert stored["status"] == "paid" and stored["stripe_payment_intent"].startswith("pi_")
    assert len(shop.entries()) == 1
    download = shop.app.get(f"/content/{PAID}/download")
    assert download.status_int == 200 and download.body.startswith(b"%PDF")
    # the webhook arriving afterwards changes nothing
    (completed,) = shop.stand_in_events("checkout.session.completed")
    assert shop.post_event(completed).json["outcome"] == "already"
    assert len(shop.entries()) == 1


def test_amount_and_currency_come_from_the_catalog(shop: Shop) -> None:
    shop.login()
    page = shop.app.get(f"/content/{PAID}")
    form = page.forms[next(k for k, f in page.forms.items() if f.action == f"/checkout/{PAID}")]
    # a hostile form cannot choose the price: extra fields are ignored
    answer = shop.app.post(
        f"/checkout/{PAID}",
        {"csrf_token": form["csrf_token"].value, "amount": "1", "currency": "jpy"},
        status=303,
    )
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    session = shop.client.v1.checkout.sessions.retrieve(session_id)
    assert (session.amount_total, session.currency) == (499, "usd")


def test_checkout_needs_csrf_from_readers_and_guests(shop: Shop) -> None:
    anonymous = shop.app.post(f"/checkout/{PAID}", {"csrf_token": "x"}, status="*")
    assert anonymous.status_int == 403
    shop.login()
    forged = shop.app.post(f"/checkout/{PAID}", {"csrf_token": "forged"}, status=403)
    assert forged.status_int == 403
    assert shop.store.view("sales").count("orders") == 0
    assert shop.sl.state.list_sessions({})["data"] == []


def test_free_and_owned_items_never_reach_stripe(shop: Shop) -> None:
    shop.login()
    page = shop.app.get(f"/content/{PAID}")
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    free = shop.app.post(f"/checkout/{FREE}", {"csrf_token": token}, status=303)
    assert free.headers["Location"].endswith(f"/content/{FREE}")
    from paidpdf.ownership import library

    library.grant(shop.store, shop.user()["id"], PAID)
    owned = shop.app.post(f"/checkout/{PAID}", {"csrf_token": token}, status=303)
    assert owned.headers["Location"].endswith(f"/content/{PAID}")
    assert shop.store.view("sales").count("orders") == 0


def test_double_click_makes_one_order_and_one_session(shop: Shop) -> None:
    shop.login()
    first, s1 = shop.buy()
    second, s2 = shop.buy()
    assert (first["id"], s1) == (second["id"], s2)
    assert len(shop.sl.state.list_sessions({})["data"]) == 1


def test_success_page_of_someone_else_is_404(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    from webtest import TestApp

    other = shop.login(OTHER, TestApp(shop.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"}))
    page = other.get(f"/checkout/success?session_id={session_id}", status=404)
    assert page.status_int == 404
    assert other.get("/checkout/success?session_id=nonsense", status=404).status_int == 404
    assert shop.order(order["id"])["status"] == "pending"  # the stranger's visit granted nothing
    assert shop.entries() == []


def test_success_page_before_the_webhook_then_webhook(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    shop.app.get(f"/checkout/success?session_id={session_id}")
    (completed,) = shop.stand_in_events("checkout.session.completed")
    for _ in range(10):  # the same event delivered 10 times
        assert shop.post_event(completed).status_int == 200
    assert len(shop.entries()) == 1
    assert shop.order(order["id"])["status"] == "paid"
    assert shop.store.view("sales").get("events", completed["id"]) is not None


def test_webhook_before_the_success_page(shop: Shop) -> None:
    shop.login()
    _order, session_id = shop.buy()
    shop.sl.pay(session_id)
    (completed,) = shop.stand_in_events("checkout.session.completed")
    answers = [shop.post_event(completed).json["outcome"] for _ in range(10)]
    assert answers == ["fulfilled"] + ["duplicate"] * 9
    page = shop.app.get(f"/checkout/success?session_id={session_id}")
    assert "Thank you" in page.text
    assert len(shop.entries()) == 1


def test_success_page_and_webhook_at_once(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    (completed,) = shop.stand_in_events("checkout.session.completed")
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def run(job: Any) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:
            errors.append(exc)

    jobs = [lambda: shop.app.get(f"/checkout/success?session_id={session_id}")] * 3 + [
        lambda: shop.post_event(completed)
    ] * 3
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(shop.entries()) == 1
    history = shop.order(order["id"])["history"]
    assert [h["event"] for h in history].count("paid") == 1


def test_forged_and_stale_signatures_change_nothing(shop: Shop) -> None:
    shop.login()
    _order, session_id = shop.buy()
    shop.sl.pay(session_id)
    (completed,) = shop.stand_in_events("checkout.session.completed")
    before = shop.written("sales")
    assert shop.post_event(completed, secret="whsec_wrong", status=400).status_int == 400
    assert shop.post_event(completed, timestamp=int(time.time()) - 3600, status=400).status_int == 400
    no_header = shop.app.post("/stripe/webhook", b"{}", status=400)
    assert no_header.status_int == 400
    garbage = shop.app.post(
        "/stripe/webhook", b"\xff\xfe not json", headers={"Stripe-Signature": "t=1,v1=00"}, status=400
    )
    assert garbage.status_int == 400
    assert shop.written("sales") == before
    assert shop.entries() == []


def test_unknown_event_types_are_acknowledged(shop: Shop) -> None:
    event = {
        "id": "evt_unknown_1",
        "object": "event",
        "type": "customer.created",
        "livemode": False,
        "created": int(time.time()),
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    answer = shop.post_event(event)
    assert answer.status_int == 200 and answer.json["outcome"] == "ignored"
    assert shop.store.view("sales").get("events", "evt_unknown_1")["type"] == "customer.created"


@pytest.mark.parametrize("change", [{"amount_total": 1}, {"currency": "eur"}])
def test_wrong_amount_or_currency_is_flagged(shop: Shop, change: dict[str, Any]) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    (completed,) = shop.stand_in_events("checkout.session.completed")
    tampered = {
        **completed,
        "id": completed["id"] + "x",
        "data": {"object": {**completed["data"]["object"], **change}},
    }
    assert shop.post_event(tampered).json["outcome"] == "flagged"
    stored = shop.order(order["id"])
    assert stored["status"] == "flagged" and stored["flag_reason"]
    assert shop.entries() == []
    # the genuine event afterwards does not override the flag: an admin decides
    shop.post_event(completed)
    assert shop.entries() == []


def test_cancel_page_changes_nothing_and_a_late_payment_still_counts(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    before = shop.order(order["id"])
    # A GET (here as a cross-site link would send it) must not change state.
    page = shop.app.get(f"/checkout/cancel?order={order['id']}", headers={"Referer": "https://evil.example/"})
    assert "Checkout cancelled" in page.text
    assert shop.order(order["id"]) == before and before["status"] == "pending"
    other = shop.app.get("/checkout/cancel?order=ord_unknown")
    assert other.status_int == 200 and shop.order(order["id"]) == before
    shop.sl.pay(session_id)
    (completed,) = shop.stand_in_events("checkout.session.completed")
    shop.post_event(completed)
    assert shop.order(order["id"])["status"] == "paid" and len(shop.entries()) == 1


def test_delayed_payment_pending_page_then_success(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id, "delayed")
    page = shop.app.get(f"/checkout/success?session_id={session_id}")
    assert "Payment processing" in page.text and page.headers["Refresh"] == "3"
    assert 'http-equiv="refresh"' in page.text
    assert shop.order(order["id"])["status"] == "pending" and shop.entries() == []
    shop.sl.settle(session_id, "succeeded")
    (succeeded,) = shop.stand_in_events("checkout.session.async_payment_succeeded")
    shop.post_event(succeeded)
    assert shop.order(order["id"])["status"] == "paid"
    assert "Thank you" in shop.app.get(f"/checkout/success?session_id={session_id}").text


def test_delayed_payment_failure(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id, "delayed")
    shop.sl.settle(session_id, "failed")
    for kind in ("checkout.session.completed", "checkout.session.async_payment_failed"):
        (event,) = shop.stand_in_events(kind)
        shop.post_event(event)
    assert shop.order(order["id"])["status"] == "failed"
    page = shop.app.get(f"/checkout/success?session_id={session_id}")
    assert "did not go through" in page.text and "Refresh" not in page.headers
    assert shop.entries() == []


def test_expired_session_expires_the_order(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.expire(session_id)
    (expired,) = shop.stand_in_events("checkout.session.expired")
    shop.post_event(expired)
    assert shop.order(order["id"])["status"] == "expired"
    assert shop.entries() == []


def test_buy_again_after_the_session_expired_starts_a_new_checkout(shop: Shop) -> None:
    shop.login()
    first, s1 = shop.buy()
    shop.sl.expire(s1)  # the expiry webhook never reached the shop
    second, s2 = shop.buy()
    assert second["id"] != first["id"] and s2 != s1
    assert shop.order(first["id"])["status"] == "expired"


def test_buy_again_after_paying_without_webhook_grants_and_goes_to_the_item(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    page = shop.app.get(f"/content/{PAID}")
    again = form_for(page, f"/checkout/{PAID}").submit(status=303)
    assert again.headers["Location"].endswith(f"/content/{PAID}")
    assert shop.order(order["id"])["status"] == "paid" and len(shop.entries()) == 1


def test_stripe_down_success_page_waits_and_buy_is_a_502_page(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    page = shop.app.get(f"/content/{FREE}")
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    shop.sl.stop()
    waiting = shop.app.get(f"/checkout/success?session_id={session_id}")
    assert waiting.status_int == 200 and "Payment processing" in waiting.text and waiting.headers["Refresh"]
    buy = shop.app.post("/checkout/watercolour-in-ten-lessons", {"csrf_token": token}, status=502)
    assert "A service we rely on did not answer" in buy.text and "Traceback" not in buy.text
    assert shop.order(order["id"])["status"] == "pending" and shop.entries() == []


def test_the_checkout_names_the_item_and_the_shop(shop: Shop) -> None:
    import urllib.request

    from paidpdf.content import catalog
    from paidpdf.content import shop as identity

    identity.set_identity(shop.store, name="Field & Oven")
    shop.login()
    _, session_id = shop.buy()
    with urllib.request.urlopen(f"{shop.sl.url}/pay/{session_id}", timeout=10) as answer:
        page = answer.read().decode()
    title = catalog.get_item(shop.store, PAID)["title"]
    assert f"{title} · Field &amp; Oven" in page
