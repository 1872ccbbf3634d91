"""A success page for an order the webhook already settled answers from a view, without the sales file's
writer lock (each commit holds it across its fsync, and at launch day's load the success pages of both
workers queued behind every other write: docs/web.md, launch day round 3), and writes nothing; a guest's
page too. Real app under WebTest, real stand-in, both backends."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from webtest import TestApp

from tests.forms import form_for
from tests.payments.shop import PAID, Shop

BOTH_BACKENDS = True  # tests/conftest.py: on the data folder, then on PostgreSQL


def _while_sales_are_locked(shop: Shop, page: Callable[[], Any]) -> Any:
    """`page()` while another writer holds the sales file's unit (its writer lock) open."""
    held, done = threading.Event(), threading.Event()

    def writer() -> None:
        with shop.store.unit("sales"):
            held.set()
            done.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    assert held.wait(10)
    answers: list[Any] = []
    reader = threading.Thread(target=lambda: answers.append(page()))
    reader.start()
    reader.join(10)  # a page waiting for the lock would still be waiting
    answered = bool(answers)
    done.set()
    thread.join()
    reader.join()
    assert answered, "the page waited for the sales file's writer lock"
    return answers[0]


def test_a_success_page_after_the_webhook_takes_no_lock_and_writes_nothing(shop: Shop) -> None:
    """The order is settled already: the page answers from a view, without the sales file's writer lock
    (launch day's success pages waited for it, `fulfilment._already_settled`); a guest's page too."""
    shop.login()
    _order, session_id = shop.buy()
    shop.sl.pay(session_id)
    (completed,) = shop.stand_in_events("checkout.session.completed")
    assert shop.post_event(completed).json["outcome"] == "fulfilled"
    shop.drain_mail()  # the receipt is sent (and marked so) in the background
    before = shop.written("sales"), shop.written("accounts")
    success = f"/checkout/success?session_id={session_id}"
    assert "Thank you" in _while_sales_are_locked(shop, lambda: shop.app.get(success)).text
    shop.drain_mail()
    assert (shop.written("sales"), shop.written("accounts")) == before and len(shop.entries()) == 1
    guest = TestApp(shop.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    started = form_for(guest.get(f"/content/{PAID}"), f"/checkout/{PAID}").submit(status=303)
    guest_session = started.headers["Location"].rsplit("/", 1)[1]
    shop.sl.pay(guest_session, email="guest@example.com")
    (paid,) = [e for e in shop.stand_in_events("checkout.session.completed") if e["id"] != completed["id"]]
    assert shop.post_event(paid).json["outcome"] == "fulfilled"
    shop.drain_mail()
    page = _while_sales_are_locked(shop, lambda: guest.get(f"/checkout/success?session_id={guest_session}"))
    assert page.status_int == 200 and "download" in page.text.lower()
