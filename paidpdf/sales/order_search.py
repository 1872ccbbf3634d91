"""What admins list: orders filtered by status, buyer, item and date (`paidpdf orders list`)."""

from __future__ import annotations

from datetime import datetime

from paidpdf.accounts import users
from paidpdf.clock import iso
from paidpdf.errors import InvalidInput
from paidpdf.sales.orders import ORDERS, SALES, STATUSES
from paidpdf.store import Doc, Store, View


def list_orders(
    view: View,
    *,
    status: str | None = None,
    user_id: str | None = None,
    content_id: str | None = None,
    since: str | None = None,
) -> list[Doc]:
    """Orders matching every given filter, oldest first. `since` is an ISO timestamp (inclusive)."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown order status {status!r}: use one of {', '.join(STATUSES)}")
    if user_id is not None:
        rows = view.find(ORDERS, "user_id", user_id)
    elif content_id is not None:
        rows = view.find(ORDERS, "content_id", content_id)
    elif status is not None:
        rows = view.find(ORDERS, "status", status)
    else:
        rows = view.all(ORDERS)
    rows = [
        r
        for r in rows
        if (status is None or r["status"] == status)
        and (user_id is None or r["user_id"] == user_id)
        and (content_id is None or r["content_id"] == content_id)
        and (since is None or r["created_at"] >= since)
    ]
    return sorted(rows, key=lambda r: (r["created_at"], r["id"]))


def search(
    store: Store,
    *,
    status: str | None = None,
    buyer: str | None = None,
    content_id: str | None = None,
    since: datetime | None = None,
) -> list[Doc]:
    """`orders list`: filters as an admin types them; `buyer` is an email (matched to the account, and
    to the email the order was placed with, so orders of a since-deleted account still show)."""
    rows = list_orders(
        store.view(SALES), status=status, content_id=content_id, since=iso(since) if since else None
    )
    if buyer is None:
        return rows
    found = users.find_user(store, buyer)
    email = buyer.strip().lower()
    user_id = found["id"] if found is not None else None
    return [r for r in rows if r["user_id"] == user_id or r.get("buyer") == email]
