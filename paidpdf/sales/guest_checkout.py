"""Guests: buying without an account, and how the browser that paid gets its file at once.

A visitor who is not logged in can press Buy. Their browser gets a random checkout cookie; the order
stores only its SHA-256 (`guest_token`). Stripe Checkout asks for the email, and `fulfil` puts the
purchase in the account with that address (`guest_accounts`), made without a password when there is
none.

Holding the checkout cookie proves only that this browser started the checkout, nothing about the
email Stripe collected (the checkout URL can be passed to anyone, who then pays with their own
address). So the browser is never signed in to the account: the success page offers it downloads of
this one order only (`order_for_browser`), and the account itself is entered through the sign-in
link that the receipt mails to its address. Anyone else who opens the success URL is told to check
their email.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from paidpdf import clock
from paidpdf.accounts import users
from paidpdf.clock import parse_iso
from paidpdf.sales.orders import ORDERS, SALES
from paidpdf.store import DataStore, Doc

COOKIE_LIFETIME = timedelta(days=1)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def order_items(order: Doc) -> list[str]:
    """The item ids an order bought (a bundle's items, or the one item)."""
    return [str(i) for i in order.get("bundle_items") or [order["content_id"]]]


def order_for_browser(store: DataStore, order_id: str, token: str | None) -> tuple[Doc, Doc] | None:
    """(order, its account) when the browser holding checkout cookie `token` started this order, the
    order is paid and at most `COOKIE_LIFETIME` old, and the account is active; else None. Read-only:
    what it grants is downloads of this order's items, never a session."""
    if not token or len(token) > 256 or not order_id or len(order_id) > 100:
        return None
    order = store.view(SALES).get(ORDERS, order_id)
    if (
        order is None
        or not order.get("guest_token")
        or not hmac.compare_digest(str(order["guest_token"]), token_digest(token))
        or order.get("status") != "paid"
        or parse_iso(order["created_at"]) < clock.now() - COOKIE_LIFETIME
    ):
        return None
    user = users.get_user(store, order["user_id"]) if order.get("user_id") else None
    if user is None or user.get("disabled"):
        return None
    return order, user
