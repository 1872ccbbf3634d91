"""Who owns what, and why: the entitlements behind every download.

One entry per (user, item) in the `library` table of `sales.json`, next to the orders, so that a
purchase and the order it fulfils are written in the same atomic unit. An entry is active while
`revoked_at` is None. `source` says why the user has it: `bought` (with `order_id`), `granted`
(an admin's gift) or `free` (the reader downloaded a free item, see `keep_free`). Retiring an item
does not touch entries: owners keep their downloads, free items included, and an item that is later
given a price stays downloadable for readers who took it while it was free.
"""

from __future__ import annotations

from paidpdf.clock import now_iso
from paidpdf.store import SALES, DataStore, Doc, Unit, View

LIBRARY = "library"


def entry_id(user_id: str, content_id: str) -> str:
    return f"{user_id}:{content_id}"


def entry(view: View, user_id: str, content_id: str) -> Doc | None:
    return view.get(LIBRARY, entry_id(user_id, content_id))


def owns(view: View, user_id: str, content_id: str) -> bool:
    found = entry(view, user_id, content_id)
    return found is not None and found.get("revoked_at") is None


def for_user(view: View, user_id: str, *, include_revoked: bool = False) -> list[Doc]:
    """The user's entries, oldest first (the library page and `users show`)."""
    rows = view.find(LIBRARY, "user_id", user_id)
    if not include_revoked:
        rows = [r for r in rows if r.get("revoked_at") is None]
    return sorted(rows, key=lambda r: (r.get("acquired_at") or "", r["content_id"]))


def add(unit: Unit, user_id: str, content_id: str, source: str, order_id: str | None = None) -> Doc:
    """Give `user_id` the item inside a sales unit. Idempotent: an active entry is returned unchanged.

    Only `fulfilment.fulfil` (source "bought"), an admin grant (source "granted") and `keep_free`
    (source "free") call this.
    """
    current = entry(unit, user_id, content_id)
    if current is not None and current.get("revoked_at") is None:
        return current
    doc: Doc = {
        "id": entry_id(user_id, content_id),
        "user_id": user_id,
        "content_id": content_id,
        "source": source,
        "order_id": order_id,
        "acquired_at": now_iso(),
        "revoked_at": None,
        "revoked_reason": None,
    }
    return unit.put(LIBRARY, doc)


def remove(unit: Unit, user_id: str, content_id: str, reason: str, order_id: str | None = None) -> Doc | None:
    """End an entry. With `order_id`, only the entry that order created is touched (a refund of one
    purchase never takes away a later gift or another purchase)."""
    current = entry(unit, user_id, content_id)
    if current is None or current.get("revoked_at") is not None:
        return None
    if order_id is not None and current.get("order_id") != order_id:
        return None
    current = {**current, "revoked_at": now_iso(), "revoked_reason": reason}
    return unit.put(LIBRARY, current)


def grant(store: DataStore, user_id: str, content_id: str) -> Doc:
    """An admin's gift, recorded as `granted`."""
    with store.unit(SALES) as unit:
        return add(unit, user_id, content_id, "granted")


def keep_free(store: DataStore, user_id: str, content_id: str) -> Doc:
    """Record that the reader took a free item, as `free`: it then shows in "My library" and stays
    theirs if the item is retired or given a price later. Idempotent (one entry per reader and item)."""
    with store.unit(SALES) as unit:
        return add(unit, user_id, content_id, "free")


def revoke(store: DataStore, user_id: str, content_id: str, reason: str = "revoked by admin") -> Doc | None:
    with store.unit(SALES) as unit:
        return remove(unit, user_id, content_id, reason)
