"""Guest checkout: buying without an account, by email; who gets the file, that nobody is signed in
by paying, and nothing paid lost.

The real app over WebTest, the real stripe library against the local stand-in; the guest's email is
what they would type on the stand-in's hosted page (`pay(..., email=...)`).
"""

from __future__ import annotations

import re

from typer.testing import CliRunner
from webtest import TestApp, TestResponse

from paidpdf.accounts import users
from paidpdf.sales import receipts
from tests.cli_app import paidpdf_app
from tests.forms import form_for
from tests.payments.shop import BUYER, PAID, PASSWORD, Shop

GUEST = "new.reader@example.com"
BOTH_BACKENDS = True  # every test here also runs on PostgreSQL


def _guest_app(shop: Shop) -> TestApp:
    return TestApp(shop.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})


def _library_titles(app: TestApp) -> str:
    return app.get("/library").text


def _download_links(page: TestResponse) -> list[str]:
    return [str(a["href"]) for a in page.html.find_all("a", string="Download PDF")]


def test_a_guest_buys_with_an_email_and_the_paying_browser_gets_the_file_not_a_session(shop: Shop) -> None:
    guest = _guest_app(shop)
    order, session_id = shop.buy(app=guest)
    assert order["user_id"] is None and order["guest_token"]
    checkout = shop.client.v1.checkout.sessions.retrieve(session_id)
    assert checkout.customer_email is None  # Checkout asks for it
    shop.sl.pay(session_id, email=GUEST)

    page = guest.get(f"/checkout/success?session_id={session_id}")
    assert "Thank you for your purchase" in page.text and "Check your email" in page.text
    account = users.require_user(shop.store, GUEST)
    assert account["password_hash"] is None and account["created_for_order"] == order["id"]
    assert shop.owns(PAID, GUEST)
    (link,) = _download_links(page)
    assert link == f"/checkout/{order['id']}/download/{PAID}"
    got = guest.get(link)  # the file, at once, in the browser that paid
    assert got.content_type == "application/pdf" and got.body.startswith(b"%PDF")
    assert "paidpdf_session" not in guest.cookies  # ...and no way into the account
    assert guest.get("/library", status=302).location.startswith("/login")
    assert guest.get(f"/content/{PAID}/download", status=302).location.startswith("/login")

    stranger = _guest_app(shop)  # the same URL in another browser: no way in
    other = stranger.get(f"/checkout/success?session_id={session_id}")
    assert "Check your email" in other.text and "Download PDF" not in other.text
    assert stranger.get("/library", status=302).location.startswith("/login")
    stranger.get(link, status=404)  # the download link is this browser's only
    again = guest.get(f"/checkout/success?session_id={session_id}")  # a reload: the same offer
    assert _download_links(again) == [link] and "paidpdf_session" not in guest.cookies


def test_whoever_started_a_guest_checkout_is_never_signed_in_to_the_payers_account(shop: Shop) -> None:
    """Review issue 20, item 1: a visitor presses Buy and sends the checkout URL to someone else, who
    pays with an address that has no account. The first browser holds the checkout cookie; that
    proves nothing about the address, so it gets this order's file and nothing of the account."""
    starter = _guest_app(shop)
    order, session_id = shop.buy(app=starter)
    shop.sl.pay(session_id, email="payer@example.com")  # paid by someone else, with their address
    page = starter.get(f"/checkout/success?session_id={session_id}")
    assert "payer@example.com" not in page.text
    assert "paidpdf_session" not in starter.cookies
    assert starter.get("/library", status=302).location.startswith("/login")
    assert starter.get("/account/password", status=302).location.startswith("/login")
    payer = users.require_user(shop.store, "payer@example.com")
    assert payer["password_hash"] is None and shop.owns(PAID, "payer@example.com")
    # the payer enters the account through the receipt's link, mailed to the address they gave
    link = re.search(r"http\S+/signin/\S+", shop.mails_to("payer@example.com")[-1])
    assert link is not None
    path = link.group(0).split("127.0.0.1:8080", 1)[-1]
    owner = _guest_app(shop)
    form_for(owner.get(path), path).submit(status=303)
    assert f"{PAID}/download" in _library_titles(owner)
    assert "paidpdf_session" not in starter.cookies and order["id"]


def test_paying_with_an_existing_accounts_address_signs_nobody_in(shop: Shop) -> None:
    """Whatever the letter case and spaces, and for an account made by an earlier guest purchase."""
    first = _guest_app(shop)
    _o, earlier = shop.buy(app=first)
    shop.sl.pay(earlier, email=GUEST)
    shop.post_event(shop.stand_in_events("checkout.session.completed")[0])  # the guest account exists
    for email in ("  Buyer@Example.COM ", BUYER.upper(), f" {GUEST.title()}"):
        guest = _guest_app(shop)
        _order, session_id = shop.buy("git-for-writers", app=guest)
        shop.sl.pay(session_id, email=email)
        page = guest.get(f"/checkout/success?session_id={session_id}")
        assert "Check your email" in page.text and "paidpdf_session" not in guest.cookies
        assert guest.get("/library", status=302).location.startswith("/login")
    assert shop.owns("git-for-writers", BUYER) and shop.owns("git-for-writers", GUEST)
    assert len([u for u in users.list_users(shop.store) if u["email"] in (BUYER, GUEST)]) == 2


def test_replays_of_a_guest_order_make_one_account_one_entry_one_receipt(shop: Shop) -> None:
    guest = _guest_app(shop)
    order, session_id = shop.buy(app=guest)
    shop.sl.pay(session_id, email="  New.Reader@Example.com ")
    (completed,) = shop.stand_in_events("checkout.session.completed")
    for _ in range(2):  # the webhook first, twice
        shop.post_event(completed)
    guest.get(f"/checkout/success?session_id={session_id}")
    done = CliRunner().invoke(
        paidpdf_app(), ["--data", str(shop.data_dir), "orders", "reconcile", "--since", "2000-01-01"],
        env=shop.cli_env(),
    )
    assert done.exit_code == 0, done.output
    accounts = [u for u in users.list_users(shop.store) if u["email"] == GUEST]
    assert len(accounts) == 1
    assert len(shop.entries(PAID, GUEST)) == 1
    stored = shop.order(order["id"])
    assert stored["status"] == "paid" and stored["user_id"] == accounts[0]["id"] and stored["buyer"] == GUEST
    shop.drain_mail()  # receipts are sent beside the request
    assert shop.order(order["id"])["receipt"] == receipts.SENT
    (receipt,) = shop.mails_to(GUEST)
    assert order["id"] in receipt and "/signin/" in receipt  # a guest's receipt signs in
    # The webhook came first; the paying browser still gets the order's file from the success page.
    page = guest.get(f"/checkout/success?session_id={session_id}")
    assert _download_links(page) == [f"/checkout/{order['id']}/download/{PAID}"]
    assert "paidpdf_session" not in guest.cookies


def test_the_receipts_sign_in_link_works_once(shop: Shop) -> None:
    guest = _guest_app(shop)
    _order, session_id = shop.buy(app=guest)
    shop.sl.pay(session_id, email=GUEST)
    (completed,) = shop.stand_in_events("checkout.session.completed")
    shop.post_event(completed)
    (receipt,) = shop.mails_to(GUEST)
    link = re.search(r"http\S+/signin/\S+", receipt)
    assert link is not None
    path = link.group(0).split("127.0.0.1:8080", 1)[-1]
    reader = _guest_app(shop)
    form_for(reader.get(path), path).submit(status=303)
    assert f"{PAID}/download" in _library_titles(reader)
    late = _guest_app(shop)
    assert late.get(path, status=400).status_int == 400  # used up


def test_two_guests_with_one_email_end_in_one_account(shop: Shop) -> None:
    first, second = _guest_app(shop), _guest_app(shop)
    _o1, s1 = shop.buy(app=first)
    _o2, s2 = shop.buy("git-for-writers", app=second)
    shop.sl.pay(s1, email=GUEST)
    shop.sl.pay(s2, email=GUEST.upper())
    first_page = first.get(f"/checkout/success?session_id={s1}")
    second_page = second.get(f"/checkout/success?session_id={s2}")
    assert [u["email"] for u in users.list_users(shop.store)].count(GUEST) == 1
    assert shop.owns(PAID, GUEST) and shop.owns("git-for-writers", GUEST)
    # Each browser gets its own order's file, neither gets the account (mail: the receipt's link).
    assert _download_links(first_page) == [f"/checkout/{_o1['id']}/download/{PAID}"]
    assert _download_links(second_page) == [f"/checkout/{_o2['id']}/download/git-for-writers"]
    first.get(f"/checkout/{_o2['id']}/download/git-for-writers", status=404)
    assert "Check your email" in second_page.text
    assert "paidpdf_session" not in first.cookies and "paidpdf_session" not in second.cookies


def test_a_guest_using_an_existing_accounts_email_is_never_signed_in_to_it(shop: Shop) -> None:
    guest = _guest_app(shop)
    _order, session_id = shop.buy(app=guest)
    shop.sl.pay(session_id, email=BUYER)  # someone else's address, with its own password
    page = guest.get(f"/checkout/success?session_id={session_id}")
    assert "Check your email" in page.text
    assert shop.owns(PAID, BUYER)  # the purchase went where the email says: nothing lost
    assert guest.get("/library", status=302).location.startswith("/login")


def test_a_guest_who_signs_up_later_gets_a_link_then_sets_a_password(shop: Shop) -> None:
    guest = _guest_app(shop)
    _order, session_id = shop.buy(app=guest)
    shop.sl.pay(session_id, email=GUEST)
    (completed,) = shop.stand_in_events("checkout.session.completed")
    shop.post_event(completed)  # paid, but this browser never came back

    later = _guest_app(shop)
    form = form_for(later.get("/signup"), "/signup")
    form["email"], form["password"] = GUEST, PASSWORD
    answer = form.submit(status=303)  # the same "check your mail" as for any address
    assert answer.location == "/signup/sent" and "Check your mail" in answer.follow().text
    assert users.require_user(shop.store, GUEST)["password_hash"] is None  # no takeover unproven
    link = re.search(r"http\S+/signin/\S+", shop.mails_to(GUEST)[-1])
    assert link is not None
    path = link.group(0).split("127.0.0.1:8080", 1)[-1]
    form_for(later.get(path), path).submit(status=303)
    assert f"{PAID}/download" in _library_titles(later)

    page = later.get("/account/password")
    assert "Set a password" in page.text and 'name="current"' not in page.text
    form = form_for(page, "/account/password")
    form["password"] = form["password2"] = "a new long password"
    form.submit(status=303)
    assert users.require_user(shop.store, GUEST)["password_hash"]
    fresh = _guest_app(shop)
    login = form_for(fresh.get("/login"), "/login")
    login["email"], login["password"] = GUEST, "a new long password"
    login.submit(status=303)
    assert f"{PAID}/download" in _library_titles(fresh)


def test_a_guest_checkout_without_an_email_is_flagged_not_lost(shop: Shop) -> None:
    """Stripe always collects one; a session that somehow lacks it is flagged for the admin."""
    guest = _guest_app(shop)
    order, session_id = shop.buy(app=guest)
    shop.sl.pay(session_id, email=GUEST)
    (completed,) = shop.stand_in_events("checkout.session.completed")
    completed["data"]["object"]["customer_details"] = {"email": None}
    assert shop.post_event(completed).json["outcome"] == "flagged"
    assert shop.order(order["id"])["status"] == "flagged"
