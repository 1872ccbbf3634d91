"""Plain builders for the records and Stripe-shaped dicts the payments tests need (no mocks: these
are data, written through the real store or passed to the real domain functions)."""

from __future__ import annotations

from paidpdf.clock import now_iso
from paidpdf.store import Doc, Store


def add_item(store: Store, content_id: str = "guide", price: int = 1999, currency: str = "usd") -> Doc:
    stamp = now_iso()
    doc: Doc = {
        "id": content_id,
        "title": f"The {content_id}",
        "description": "A test item",
        "price": price,
        "currency": currency,
        "filename": f"{content_id}.pdf",
        "sha256": "0" * 64,
        "size": 10,
        "pages": 1,
        "cover": None,
        "status": "active",
        "version": 1,
        "created_at": stamp,
        "updated_at": stamp,
    }
    with store.unit("catalog") as unit:
        unit.put("content", doc)
    return doc


def add_user(store: Store, email: str = "reader@example.com", user_id: str = "usr_reader") -> Doc:
    stamp = now_iso()
    doc: Doc = {
        "id": user_id,
        "email": email,
        "password_hash": "x",
        "disabled": False,
        "created_at": stamp,
        "updated_at": stamp,
    }
    with store.unit("accounts") as unit:
        unit.put("users", doc)
    return doc
