"""What an account owns and why, and the admin's gifts: the domain side of `paidpdf users show/grant/revoke`.

Titles and ids come from the catalog (`paidpdf.content.catalog`, ids match case-insensitively); entitlements
from `paidpdf.ownership.library`. A gift is one more cover of the item (`paidpdf.ownership.covers`), recorded
as `granted` even when the reader already has the item another way, so a later refund of that purchase
leaves the gift in place; `users revoke` takes every cover away.
"""

from __future__ import annotations

from paidpdf.accounts import users
from paidpdf.content import catalog
from paidpdf.content.shop_secret import shop_secret
from paidpdf.errors import NotFound
from paidpdf.licenses import records as license_records
from paidpdf.ownership import covers, library
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
                "covers": covers.of(entry),
                "revoked": not covers.live(entry),
                "revoked_at": entry.get("revoked_at"),
                "revoked_reason": entry.get("revoked_reason"),
            }
        )
    return rows


def grant_by_email(store: DataStore, email: str, content_id: str) -> tuple[Doc, bool]:
    """Give the item to the user as a gift, beside any other cover they have. Returns (entry, False)
    when they already have it as a gift (nothing changed)."""
    user = users.require_user(store, email)
    item_id = catalog.get_item(store, content_id)["id"]
    secret = shop_secret(store)
    with store.unit(library.SALES) as unit:
        created = not covers.has(library.entry(unit, user["id"], item_id), "granted")
        entry = library.add(unit, user["id"], item_id, "granted")
        license_records.issue_for_grant(unit, secret, user["id"], item_id)
        return entry, created


def revoke_by_email(store: DataStore, email: str, content_id: str) -> tuple[Doc, list[Doc]]:
    """Take the item away, every cover of it (what they were is returned for the CLI to say).
    `NotFound` when the user does not own it."""
    user = users.require_user(store, email)
    owned = {e["content_id"] for e in library.for_user(store.view(library.SALES), user["id"])}
    item_id = content_id if content_id in owned else catalog.get_item(store, content_id)["id"]
    with store.unit(library.SALES) as unit:
        had = covers.of(library.entry(unit, user["id"], item_id))
        removed = library.remove(unit, user["id"], item_id, "revoked by admin")
    if removed is None:
        raise NotFound(f"'{user['email']}' does not own {item_id!r}")
    return removed, had
