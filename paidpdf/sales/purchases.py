"""What an order grants: its item, or each item of the bundle it bought; and taking exactly that back.

Kept in one place because three paths grant (payment, a dispute won) and two revoke (a full refund,
a dispute opened), and each must agree on what "this purchase" means. An order is one cover of each
item it gives (`paidpdf.ownership.covers`), and a revoke takes away only that cover: an item the
buyer also has another way (a gift, an earlier purchase, another bundle) stays theirs.
"""

from __future__ import annotations

from paidpdf.licenses import records as license_records
from paidpdf.ownership import covers, library
from paidpdf.sales.orders import GRANTING, ORDERS
from paidpdf.store import Doc, Unit


def granted_items(order: Doc) -> list[str]:
    """The items an order gives: a bundle's list when it bought one, else its one item."""
    items = order.get("bundle_items")
    return [str(i) for i in items] if isinstance(items, list) and items else [order["content_id"]]


def grant_purchase(unit: Unit, order: Doc, secret: bytes | None = None) -> None:
    """Give the order's items, and with the shop `secret` each licensed item's key, in the caller's unit.
    A dispute won passes no secret: its key was issued with the payment (or when keys were turned on,
    `licenses.records.set_item`) and works again as soon as the entry is live again."""
    for content_id in granted_items(order):
        library.add(unit, order["user_id"], content_id, "bought", order["id"])
        if secret is not None:
            license_records.issue_for_grant(unit, secret, order["user_id"], content_id, order["id"])


def revoke_purchase(unit: Unit, order: Doc, reason: str) -> None:
    buyer = order.get("user_id")
    others = [
        o for o in (unit.find(ORDERS, "user_id", buyer) if buyer else [])
        if o["id"] != order["id"] and o.get("status") in GRANTING
    ]
    for content_id in granted_items(order):
        current = library.entry(unit, order["user_id"], content_id)
        if covers.live(current) and not covers.recorded(current):
            # written before covers existed, the entry names one order: the buyer's other paid orders
            # that give the item are its covers too (an item bought alone, then in a bundle)
            for other in others:
                if content_id in granted_items(other):
                    library.add(unit, order["user_id"], content_id, "bought", other["id"])
        library.remove(unit, order["user_id"], content_id, reason, order_id=order["id"])
