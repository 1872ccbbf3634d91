"""Guests: buying without an account, and how the browser that paid gets into the library.

A visitor who is not logged in can press Buy. Their browser gets a random checkout cookie; the order
stores only its SHA-256 (`guest_token`). Stripe Checkout asks for the email, and `fulfil` puts the
purchase in the account with that address (`guest_accounts`), made without a password when there is
none. The success page then signs the browser in only when all of this holds (`claim`): it holds
the cookie of this very order, the account was made by this checkout (so paying can never open an
account that existed before), the order is paid, and the claim was not used before (once per
order, within a day). Anyone else who opens the success URL is told to check their email: the
receipt carries a sign-in link.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from paidpdf import clock
from paidpdf.accounts import users
from paidpdf.clock import parse_iso
from paidpdf.sales.orders import ORDERS, SALES, history_entry
from paidpdf.store import DataStore, Doc

COOKIE_LIFETIME = timedelta(days=1)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def claim(store: DataStore, order_id: str, token: str) -> Doc | None:
    """The account to sign this browser in to after a guest's purchase, or None (see the module
    docstring for when). A successful claim is used up."""
    if not token or len(token) > 256:
        return None
    with store.unit(SALES) as unit:
        order = unit.get(ORDERS, order_id)
        if (
            order is None
            or order.get("guest_token") != token_digest(token)
            or order.get("status") != "paid"
            or order.get("guest_claimed_at")
            or parse_iso(order["created_at"]) < clock.now() - COOKIE_LIFETIME
        ):
            return None
        user = users.get_user(store, order["user_id"]) if order.get("user_id") else None
        if user is None or user.get("created_for_order") != order_id or user.get("disabled"):
            return None
        stamp = clock.now_iso()
        history = [*order.get("history", []), history_entry("signed in", "the paying browser", "shop")]
        unit.put(ORDERS, {**order, "guest_claimed_at": stamp, "history": history, "updated_at": stamp})
    return user
