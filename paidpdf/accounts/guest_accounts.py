"""Accounts made by buying: a guest pays with an email address, and the purchase lands in the account
with that address, which is created, without a password, when there is none.

Why an account at all: the library, re-downloads, receipts and refunds all hang off one. Why no
password: the buyer never chose one; they sign in with a mailed link (`sign_in_links`) or, right
after paying, through the checkout's own cookie, and can set a password later from the account page.
An account records the order it was made for, so the success page signs a browser in only into an
account that this very checkout created, never into one that existed before (paying for something
must not be a way into someone else's library).
"""

from __future__ import annotations

from paidpdf import clock
from paidpdf.accounts.records import ACCOUNTS, USERS
from paidpdf.accounts.users import normalize_email
from paidpdf.store import DataStore, Doc


def account_for_checkout(store: DataStore, email: str, order_id: str) -> Doc:
    """The account with this address, created without a password (for `order_id`) when there is none.
    Two checkouts with one address, even at the same instant, end in the same account."""
    address = normalize_email(email)
    with store.unit(ACCOUNTS) as unit:
        found = unit.find(USERS, "email", address)
        if found:
            return found[0]
        stamp = clock.now_iso()
        user: Doc = {
            "id": clock.new_id("usr"),
            "email": address,
            "password_hash": None,
            "disabled": False,
            "created_for_order": order_id,
            "created_at": stamp,
            "updated_at": stamp,
        }
        return unit.insert(USERS, user)


def has_password(user: Doc) -> bool:
    return bool(user.get("password_hash"))
