"""What an account owns and why, and the admin's gifts: the domain side of `paidpdf users show/grant/revoke`.

Titles and ids come from the catalog (`paidpdf.content.catalog`, ids match case-insensitively); entitlements
from `paidpdf.ownership.library`. Gifts go through `library.grant`, so they are recorded with source `granted`
and never confused with purchases.
"""

from __future__ import annotations

from paidpdf.accounts import users
from paidpdf.content import catalog
from paidpdf.errors import NotFound
from paidpdf.ownership import library
from paidpdf.store import DataStore, Doc


def holdings(store: DataStore, user_id: str) -> list[Doc]:
    """Every library entry of the user, revoked ones included, with the item's title when known."""
    items = store.view(catalog.CATALOG)
    rows = []
    for entry in library.for_user(store.view(library.SALES), user_id, include_revoked=True):
        item = items.get(catalog.CONTENT, entry["content_id"])
        rows.append(
            {
                "content_id": entry["content_id"],
                "title": item.get("title") if item else None,
                "source": entry.get("source"),
                "order_id": entry.get("order_id"),
                "acquired_at": entry.get("acquired_at"),
                "revoked": entry.get("revoked_at") is not None,
                "revoked_at": entry.get("revoked_at"),
                "revoked_reason": entry.get("revoked_reason"),
            }
        )
    return rows


def grant_by_email(store: DataStore, email: str, content_id: str) -> tuple[Doc, bool]:
    """Give the item to the user as a gift. Returns (entry, False) when they already own it."""
    user = users.require_user(store, email)
    item_id = catalog.get_item(store, content_id)["id"]
    current = library.entry(store.view(library.SALES), user["id"], item_id)
    if current is not None and current.get("revoked_at") is None:
        return current, False
    return library.grant(store, user["id"], item_id), True


def revoke_by_email(store: DataStore, email: str, content_id: str) -> Doc:
    """Take the item away (whatever the source). `NotFound` when the user does not own it."""
    user = users.require_user(store, email)
    owned = {e["content_id"] for e in library.for_user(store.view(library.SALES), user["id"])}
    item_id = content_id if content_id in owned else catalog.get_item(store, content_id)["id"]
    removed = library.revoke(store, user["id"], item_id)
    if removed is None:
        raise NotFound(f"'{user['email']}' does not own {item_id!r}")
    return removed
