"""The admin's side of license keys: list, show, disable, enable, reset activations (`paidpdf licenses`).

Each change is one unit of `sales.json`, so it is in force for the very next API call on every server.
"""

from __future__ import annotations

from paidpdf.accounts import users
from paidpdf.clock import now_iso
from paidpdf.content.catalog import CONTENT
from paidpdf.content.shop_secret import shop_secret
from paidpdf.licenses import records
from paidpdf.licenses.records import LICENSES
from paidpdf.store import CATALOG, SALES, DataStore, Doc, View


def _row(store: DataStore, view: View, doc: Doc, *, with_key: bool = False) -> Doc:
    owner = users.get_user(store, str(doc["user_id"])) if doc.get("user_id") else None
    row: Doc = {
        "id": doc["id"],
        "prefix": doc.get("prefix"),
        "item": doc["content_id"],
        "email": owner["email"] if owner else doc.get("email"),
        "state": records.refused_because(view, doc, store.view(CATALOG).get(CONTENT, str(doc["content_id"])))
        or "active",
        "uses": int(doc.get("uses") or 0),
        "activations": len(doc.get("instances") or []),
        "activation_limit": records.limit(view, doc),
        "origin": doc.get("origin"),
        "order_id": doc.get("order_id"),
        "subscription_id": doc.get("subscription_id"),  # a member's key: the membership that gave it
        "created_at": doc.get("created_at"),
        "disabled_at": doc.get("disabled_at"),
    }
    if with_key:
        row["key"] = records.shown_key(shop_secret(store), doc)
        row["instances"] = [dict(i) for i in doc.get("instances") or []]
    return row


def list_keys(store: DataStore, item_id: str | None = None) -> list[Doc]:
    """Every key (of one item), oldest first, without the keys themselves."""
    view = store.view(SALES)
    docs = view.find(LICENSES, "content_id", item_id) if item_id else view.all(LICENSES)
    docs.sort(key=lambda d: (d.get("created_at") or "", d["id"]))
    return [_row(store, view, d) for d in docs]


def show(store: DataStore, text: str) -> Doc:
    """One key with its full text and activations (`licenses show KEY`)."""
    view = store.view(SALES)
    return _row(store, view, records.find(view, shop_secret(store), text), with_key=True)


def set_disabled(store: DataStore, text: str, disabled: bool) -> Doc:
    """`licenses disable/enable KEY`: the admin's switch. Enabling does not bring back a key whose
    reader no longer has the item (refunded, disputed, revoked): its state stays `revoked`."""
    secret = shop_secret(store)
    with store.unit(SALES) as unit:
        doc = records.find(unit, secret, text)
        if bool(doc.get("disabled_at")) != disabled:
            doc = unit.put(LICENSES, {**doc, "disabled_at": now_iso() if disabled else None})
    return _row(store, store.view(SALES), doc)


def reset_activations(store: DataStore, text: str) -> Doc:
    """`licenses reset-activations KEY`: forget every activation and the uses count (a buyer's new
    computer after the old one died without deactivating)."""
    secret = shop_secret(store)
    with store.unit(SALES) as unit:
        doc = records.find(unit, secret, text)
        doc = unit.put(LICENSES, {**doc, "instances": [], "uses": 0})
    return _row(store, store.view(SALES), doc)
