"""What each creator API endpoint reads or changes, as `shapes`: pages with cursors over the same
listings and the same domain functions the CLI uses (`orders list/refund`, `users grant/revoke`,
`licenses list/disable/enable`). No web imports: `paidpdf.web.creator_api` adapts these to HTTP.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from paidpdf.accounts import users
from paidpdf.clock import iso
from paidpdf.content import catalog
from paidpdf.content.shop_secret import shop_secret
from paidpdf.creator_api import shapes
from paidpdf.errors import InvalidInput, NotFound
from paidpdf.licenses import manage
from paidpdf.licenses import records as license_records
from paidpdf.ownership import gifts
from paidpdf.sales import admin_refund, order_search, orders
from paidpdf.store import DataStore, Doc

if TYPE_CHECKING:  # stripe (and its HTTP libraries, ~30 MB) loads with the first payment call
    import stripe

DEFAULT_LIMIT = 50
MOST_LIMIT = 500
T = TypeVar("T")


# -- pages -----------------------------------------------------------------------------------------


def limit_of(value: int | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not 1 <= value <= MOST_LIMIT:
        raise InvalidInput(f"limit must be 1 to {MOST_LIMIT}")
    return value


def encode_cursor(created_at: str, row_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created_at, row_id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[str, str] | None:
    if not cursor:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(raw, list) and len(raw) == 2 and all(isinstance(v, str) for v in raw):
            return raw[0], raw[1]
    except ValueError:
        pass
    raise InvalidInput("cursor is not one this API gave")


def _page(rows: Sequence[Doc], after: tuple[str, str] | None, limit: int) -> tuple[list[Doc], str | None]:
    """One page of rows sorted by (created_at, id), after the cursor."""
    key: Callable[[Doc], tuple[str, str]] = lambda r: (str(r.get("created_at") or ""), str(r["id"]))  # noqa: E731
    ordered = sorted((r for r in rows if after is None or key(r) > after), key=key)
    page = ordered[:limit]
    more = len(ordered) > limit
    return page, encode_cursor(*key(page[-1])) if more and page else None


def _moment(text: str | None, name: str) -> str | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO 8601 date or time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso(moment)


# -- items -----------------------------------------------------------------------------------------


def item(doc: Doc) -> shapes.Item:
    return shapes.Item(
        id=doc["id"],
        title=str(doc.get("title") or ""),
        description=doc.get("description"),
        price=int(doc.get("price") or 0),
        currency=str(doc.get("currency") or ""),
        status=str(doc.get("status") or ""),
        created_at=doc.get("created_at"),
        updated_at=doc.get("updated_at"),
    )


def list_items(store: DataStore) -> shapes.ItemList:
    return shapes.ItemList([item(d) for d in catalog.list_items(store, include_retired=True)])


def get_item(store: DataStore, item_id: str) -> shapes.Item:
    return item(catalog.get_item(store, item_id))


# -- orders ----------------------------------------------------------------------------------------


def order(doc: Doc) -> shapes.Order:
    shown = orders.public(doc)
    return shapes.Order(
        id=shown["id"],
        status=shown["status"],
        content_id=shown["content_id"],
        user_id=shown["user_id"],
        buyer=shown["buyer"],
        amount=int(shown["amount"] or 0),
        currency=str(shown["currency"] or ""),
        refunded_amount=shown["refunded_amount"],
        created_at=shown["created_at"],
        paid_at=shown["paid_at"],
        updated_at=shown["updated_at"],
    )


def list_orders(store: DataStore, query: shapes.OrderQuery) -> shapes.OrderList:
    """`orders list` with a cursor: oldest first, `limit` at a time."""
    limit = limit_of(query.limit)
    user_ids: set[str | None] | None = None
    email = None
    if query.email:
        found = users.find_user(store, query.email)
        user_ids = {found["id"]} if found is not None else set()
        email = query.email.strip().lower()
    view = store.view(orders.SALES)
    selection = order_search.list_orders(
        view,
        status=query.status,
        user_ids=user_ids,
        buyer_email=email,
        content_id=query.item,
        since=_moment(query.created_gte, "created_gte"),
        until=_moment(query.created_lt, "created_lt"),
        after=decode_cursor(query.cursor),
    )
    page = list(selection.rows(0, limit))
    more = len(selection) > limit
    cursor = encode_cursor(page[-1]["created_at"], page[-1]["id"]) if more and page else None
    return shapes.OrderList([order(d) for d in page], cursor)


def get_order(store: DataStore, order_id: str) -> shapes.Order:
    return order(orders.get(store.view(orders.SALES), order_id))


def refund_order(store: DataStore, client: stripe.StripeClient, order_id: str) -> shapes.Order:
    """`orders refund`: in full at Stripe, access revoked at once."""
    return order(admin_refund.refund(store, client, order_id))


# -- customers -------------------------------------------------------------------------------------


def customer(doc: Doc) -> shapes.Customer:
    return shapes.Customer(doc["id"], doc["email"], bool(doc.get("disabled")), doc.get("created_at"))


def list_customers(store: DataStore, query: shapes.PageQuery) -> shapes.CustomerList:
    page, cursor = _page(users.list_users(store), decode_cursor(query.cursor), limit_of(query.limit))
    return shapes.CustomerList([customer(d) for d in page], cursor)


def get_customer(store: DataStore, customer_id: str) -> shapes.CustomerDetail:
    """A customer by id (`usr_...`) or by email."""
    doc = (
        users.get_user(store, customer_id) if "@" not in customer_id else users.find_user(store, customer_id)
    )
    if doc is None:
        raise NotFound(f"no customer {customer_id!r}")
    held = [
        shapes.Holding(
            h["content_id"], h.get("source"), h.get("order_id"), h.get("acquired_at"), bool(h["revoked"])
        )
        for h in gifts.holdings(store, doc["id"])
    ]
    return shapes.CustomerDetail(
        doc["id"], doc["email"], bool(doc.get("disabled")), doc.get("created_at"), held
    )


def grant(store: DataStore, request: shapes.GrantRequest) -> shapes.GrantResult:
    """`users grant`: the item as a gift."""
    entry, created = gifts.grant_by_email(store, request.email, request.item_id)
    return shapes.GrantResult(request.email.strip().lower(), entry["content_id"], created)


def revoke(store: DataStore, request: shapes.GrantRequest) -> shapes.GrantResult:
    """`users revoke`: every cover of the item taken away."""
    entry, _had = gifts.revoke_by_email(store, request.email, request.item_id)
    return shapes.GrantResult(request.email.strip().lower(), entry["content_id"], True)


# -- license keys ----------------------------------------------------------------------------------


def license_key(row: Doc) -> shapes.LicenseKey:
    return shapes.LicenseKey(
        id=row["id"],
        prefix=row.get("prefix"),
        item=row["item"],
        email=row.get("email"),
        state=row["state"],
        uses=int(row["uses"]),
        activations=int(row["activations"]),
        activation_limit=row.get("activation_limit"),
        order_id=row.get("order_id"),
        created_at=row.get("created_at"),
        disabled_at=row.get("disabled_at"),
    )


def list_license_keys(store: DataStore, query: shapes.PageQuery) -> shapes.LicenseKeyList:
    page, cursor = _page(manage.list_keys(store), decode_cursor(query.cursor), limit_of(query.limit))
    return shapes.LicenseKeyList([license_key(r) for r in page], cursor)


def _key_text(store: DataStore, key_id: str) -> str:
    """The key's text for `manage` (which finds keys by text), from its id; `NotFound` otherwise."""
    view = store.view(orders.SALES)
    doc = view.get(license_records.LICENSES, key_id)
    text = license_records.shown_key(shop_secret(store), doc) if doc is not None else None
    if text is None:
        raise NotFound(f"no license key {key_id!r}")
    return text


def get_license_key(store: DataStore, key_id: str) -> shapes.LicenseKey:
    return license_key({**_without_key(manage.show(store, _key_text(store, key_id)))})


def set_license_disabled(store: DataStore, key_id: str, disabled: bool) -> shapes.LicenseKey:
    """`licenses disable/enable`."""
    return license_key(manage.set_disabled(store, _key_text(store, key_id), disabled))


def _without_key(row: Doc) -> Doc:
    return {k: v for k, v in row.items() if k not in ("key", "instances")}


def as_json(value: Any) -> Any:
    """A shape as plain JSON values."""

    return (
        dataclasses.asdict(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type)
        else value
    )
