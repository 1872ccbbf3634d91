"""Which language a reader's mails are written in, remembered from the site they used.

A mail is sent later, by a worker with no request to ask, so the reader's language is stored where
the mail finds it: on the account (`locale`, set when they sign up, log in, buy or join while logged
in) and on the order (set when its checkout starts, so a guest's receipt speaks the language of the
page they bought on). A mail uses the order's language, else the account's, else the language of the
account's latest order that has one, else the shop's default (`shop set --locale`).
"""

from __future__ import annotations

from babel.support import NullTranslations

from paidpdf import languages
from paidpdf.content import shop
from paidpdf.errors import StorageError
from paidpdf.store import ACCOUNTS, SALES, DataStore, Doc

_USERS = "users"
_ORDERS = "orders"


def remember_for_user(store: DataStore, user_id: str, locale: str) -> None:
    """Keep `locale` on the account (no write when it is already the one kept)."""
    code = languages.known(locale)
    if code is None:
        return
    current = store.view(ACCOUNTS).get(_USERS, user_id)
    if current is None or current.get("locale") == code:
        return
    with store.unit(ACCOUNTS) as unit:
        found = unit.get(_USERS, user_id)
        if found is not None and found.get("locale") != code:
            unit.put(_USERS, {**found, "locale": code})


def remember_for_order(store: DataStore, order_id: str, locale: str) -> None:
    """Keep `locale` on an order whose checkout just started (its receipt will be in it)."""
    code = languages.known(locale)
    if code is None:
        return
    with store.unit(SALES) as unit:
        found = unit.get(_ORDERS, order_id)
        if found is not None and found.get("locale") != code:
            unit.put(_ORDERS, {**found, "locale": code})


def of_user(store: DataStore, user: Doc | None) -> str:
    """The account's language for a mail about it (see the module docstring)."""
    if user is not None:
        code = languages.known(user.get("locale"))
        if code:
            return code
        try:
            mine = store.view(SALES).find(_ORDERS, "user_id", user["id"])
        except StorageError:
            mine = []
        for order in sorted(mine, key=lambda o: str(o.get("created_at") or ""), reverse=True):
            code = languages.known(order.get("locale"))
            if code:
                return code
    return default(store)


def of_order(store: DataStore, order: Doc, user: Doc | None) -> str:
    """The language of a mail about `order` (its receipt)."""
    return languages.known(order.get("locale")) or of_user(store, user)


def default(store: DataStore) -> str:
    return languages.known(shop.identity_or_defaults(store).get("locale")) or languages.SOURCE


def translations(locale: str) -> NullTranslations:
    return languages.translations(locale)
