"""What an order grants: its item, or each item of the bundle it bought; and taking exactly that back.

Kept in one place because three paths grant (payment, a dispute won) and two revoke (a full refund,
a dispute opened), and each must agree on what "this purchase" means. Every entry an order creates
carries the order's id, so a revoke touches only those: an item the buyer also owns another way (a
gift, an earlier purchase, another bundle) keeps that entry and stays theirs.
"""

from __future__ import annotations

from paidpdf.ownership import library
from paidpdf.store import Doc, Unit


def granted_items(order: Doc) -> list[str]:
    """The items an order gives: a bundle's list when it bought one, else its one item."""
    items = order.get("bundle_items")
    return [str(i) for i in items] if isinstance(items, list) and items else [order["content_id"]]


def grant_purchase(unit: Unit, order: Doc) -> None:
    for content_id in granted_items(order):
        library.add(unit, order["user_id"], content_id, "bought", order["id"])


def revoke_purchase(unit: Unit, order: Doc, reason: str) -> None:
    for content_id in granted_items(order):
        library.remove(unit, order["user_id"], content_id, reason, order_id=order["id"])
