"""What admins list: orders filtered by status, buyer, item and date (`paidpdf orders list`).

A listing picks and orders ids first and copies orders only as they are shown, so the newest 50 of
100,000 orders, or the first CSV row, come without copying the whole history.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from paidpdf.accounts import users
from paidpdf.clock import iso
from paidpdf.errors import InvalidInput
from paidpdf.sales.orders import ORDERS, SALES, STATUSES
from paidpdf.store import DataStore, Doc, View


@dataclass(frozen=True)
class Selection:
    """Matching orders, oldest first: how many, and the rows of any slice of them."""

    view: View
    ids: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[Doc]:
        return self.view.stream(ORDERS, self.ids[start:stop])


def list_orders(
    view: View,
    *,
    status: str | None = None,
    user_ids: set[str | None] | None = None,
    buyer_email: str | None = None,
    content_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
    after: tuple[str, str] | None = None,
) -> Selection:
    """Orders matching every given filter, oldest first. `since` is an ISO timestamp (inclusive),
    `until` one (exclusive); `after` a (created_at, id) the orders come after (the API's cursor); an
    order matches the buyer filter by account (`user_ids`) or by the email it was placed with."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"unknown order status {status!r}: use one of {', '.join(STATUSES)}")

    def wanted(r: Doc) -> bool:
        return (
            (status is None or r["status"] == status)
            and (content_id is None or r["content_id"] == content_id)
            and (since is None or r["created_at"] >= since)
            and (until is None or r["created_at"] < until)
            and (after is None or (r["created_at"], r["id"]) > after)
            and (user_ids is None or r["user_id"] in user_ids or r.get("buyer") == buyer_email)
        )

    return Selection(view, view.select_ids(ORDERS, wanted, key=lambda r: (r["created_at"], r["id"])))


def search(
    store: DataStore,
    *,
    status: str | None = None,
    buyer: str | None = None,
    content_id: str | None = None,
    since: datetime | None = None,
) -> Selection:
    """`orders list`: filters as an admin types them; `buyer` is an email (matched to the account, and
    to the email the order was placed with, so orders of a since-deleted account still show)."""
    user_ids: set[str | None] | None = None
    email = None
    if buyer is not None:
        found = users.find_user(store, buyer)
        user_ids = {found["id"]} if found is not None else set()
        email = buyer.strip().lower()
    return list_orders(
        store.view(SALES), status=status, user_ids=user_ids, buyer_email=email, content_id=content_id,
        since=iso(since) if since else None,
    )
