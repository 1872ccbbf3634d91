"""Who owns what, and why: the entitlements behind every download.

One entry per (user, item) in the `library` table of `sales.json`, next to the orders, so that a
purchase and the order it fulfils are written in the same atomic unit. The entry keeps the set of
covers of (user, item) (`paidpdf.ownership.covers`: paid orders, gifts, free takes, promo codes) and
is active while any cover is live; `revoked_at` is set when the last one goes. `source` (and
`order_id` for `bought`) name the entry's first live cover, for display and for the stamp on a file.
Retiring an item does not touch entries: owners keep their downloads, free items included, and an
item that is later given a price stays downloadable for readers who took it while it was free.
"""

from __future__ import annotations

from paidpdf.clock import now_iso
from paidpdf.ownership import covers
from paidpdf.store import SALES, DataStore, Doc, Unit, View

LIBRARY = "library"


def entry_id(user_id: str, content_id: str) -> str:
    return f"{user_id}:{content_id}"


def entry(view: View, user_id: str, content_id: str) -> Doc | None:
    return view.get(LIBRARY, entry_id(user_id, content_id))


def owns(view: View, user_id: str, content_id: str) -> bool:
    return covers.live(entry(view, user_id, content_id))


def for_user(view: View, user_id: str, *, include_revoked: bool = False) -> list[Doc]:
    """The user's entries, oldest first (the library page and `users show`)."""
    rows = view.find(LIBRARY, "user_id", user_id)
    if not include_revoked:
        rows = [r for r in rows if covers.live(r)]
    return sorted(rows, key=lambda r: (r.get("acquired_at") or "", r["content_id"]))


def add(unit: Unit, user_id: str, content_id: str, source: str, order_id: str | None = None) -> Doc:
    """Add the cover (`source`, `order_id`) of the user's item inside a sales unit, giving the item if
    nothing covered it. Idempotent: a cover already there returns the entry unchanged (nothing written).

    Only `purchases.grant_purchase` (source "bought"), an admin grant ("granted"), `keep_free`
    ("free"), a whole-price promo code ("promo") and `imports.apply` ("imported", a purchase made on
    another platform, its ref the platform's purchase id) call this.
    """
    current = entry(unit, user_id, content_id)
    if covers.has(current, source, order_id):
        assert current is not None
        return current
    now = now_iso()
    new_cover = covers.cover(source, order_id, now)
    if current is not None and covers.live(current):
        return unit.put(LIBRARY, {**current, "covers": [*covers.of(current), new_cover]})
    doc: Doc = {
        "id": entry_id(user_id, content_id),
        "user_id": user_id,
        "content_id": content_id,
        "source": source,
        "order_id": order_id,
        "acquired_at": now,
        "revoked_at": None,
        "revoked_reason": None,
        "covers": [new_cover],
    }
    return unit.put(LIBRARY, doc)


def remove(
    unit: Unit, user_id: str, content_id: str, reason: str, order_id: str | None = None, kind: str = "bought"
) -> Doc | None:
    """Take away one cover: with `order_id`, the one that order gave (a refund or dispute of one
    purchase; `kind` "imported" for a purchase made on another platform); without, every cover (an
    admin's revoke). The item goes only when no cover is left.
    Returns the entry as written, or None when there was nothing to take away."""
    current = entry(unit, user_id, content_id)
    had = covers.of(current)
    left = covers.without(had, kind, order_id) if order_id is not None else covers.without(had)
    if current is None or len(left) == len(had):
        return None
    if left:
        first = left[0]
        named = {"source": first["kind"], "order_id": first.get("ref")}
        return unit.put(LIBRARY, {**current, **named, "covers": left})
    return unit.put(LIBRARY, {**current, "covers": [], "revoked_at": now_iso(), "revoked_reason": reason})


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
