"""Mails in the reader's language: the language of the page a checkout started on is kept on the
order (and on a logged-in reader's account), so the receipt, sent later by a worker with no request
to ask, speaks it; a guest's receipt too; sign-in links speak the language of the page that asked."""

from __future__ import annotations

from webtest import TestApp

from paidpdf.accounts import users
from tests.forms import form_for
from tests.payments.shop import BUYER, Shop

BOTH_BACKENDS = True  # every test here also runs on PostgreSQL

GUEST = "nouvelle.lectrice@example.com"


def _browser(shop: Shop, accept: str) -> TestApp:
    return TestApp(shop.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_ACCEPT_LANGUAGE": accept})


def test_a_german_readers_receipt_is_in_german_and_the_account_remembers_it(shop: Shop) -> None:
    reader = shop.login(app=_browser(shop, "de-DE,de;q=0.9,en;q=0.5"))
    order, session_id = shop.buy(app=reader)
    assert shop.order(order["id"])["locale"] == "de"
    assert shop.client.v1.checkout.sessions.retrieve(session_id).locale == "de"  # Stripe's page in German
    assert users.require_user(shop.store, BUYER)["locale"] == "de"
    shop.sl.pay(session_id)
    page = reader.get(f"/checkout/success?session_id={session_id}")
    assert "Vielen Dank für Ihren Einkauf!" in page.text
    (receipt,) = shop.mails_to(BUYER)
    assert receipt.startswith("Ihre Quittung von ")
    assert "Vielen Dank für Ihren Einkauf bei" in receipt and f"Bestellung {order['id']}" in receipt
    assert "Thank you" not in receipt


def test_a_french_guests_receipt_is_in_french(shop: Shop) -> None:
    guest = _browser(shop, "fr-FR")
    order, session_id = shop.buy(app=guest)
    assert order["user_id"] is None and shop.order(order["id"])["locale"] == "fr"
    assert shop.client.v1.checkout.sessions.retrieve(session_id).locale == "fr"
    shop.sl.pay(session_id, email=GUEST)
    assert "Merci pour votre achat" in guest.get(f"/checkout/success?session_id={session_id}").text
    (receipt,) = shop.mails_to(GUEST)
    assert receipt.startswith("Votre reçu de ") and "Merci pour votre achat chez" in receipt
    assert "Pour vous connecter, ouvrez ce lien" in receipt and "/signin/" in receipt


def test_an_english_receipt_stays_english(shop: Shop) -> None:
    order, session_id = shop.buy(app=shop.login())
    assert shop.client.v1.checkout.sessions.retrieve(session_id).locale == "en"
    shop.sl.pay(session_id)
    shop.app.get(f"/checkout/success?session_id={session_id}")
    (receipt,) = shop.mails_to(BUYER)
    assert receipt.startswith("Your receipt from ") and f"Order {order['id']}" in receipt


def test_a_sign_in_link_asked_for_on_a_spanish_page_is_in_spanish(shop: Shop) -> None:
    browser = _browser(shop, "es-ES")
    form = form_for(browser.get("/login"), "/login/link")
    form["email"] = BUYER
    form.submit(status=303)
    (mail,) = shop.mails_to(BUYER)
    assert mail.startswith("Inicie sesión en ") and "Para iniciar sesión, abra este enlace" in mail


def test_the_shops_default_language_writes_mails_to_readers_who_chose_none(shop: Shop) -> None:
    from paidpdf.content import shop as identity

    identity.set_identity(shop.store, locale="es")
    reader = shop.login(app=_browser(shop, ""))
    order, session_id = shop.buy(app=reader)
    assert shop.order(order["id"])["locale"] == "es"  # the page was in the shop's language
    shop.sl.pay(session_id)
    assert "¡Gracias por su compra!" in reader.get(f"/checkout/success?session_id={session_id}").text
    (receipt,) = shop.mails_to(BUYER)
    assert receipt.startswith("Su recibo de ") and "Gracias por su compra en" in receipt
