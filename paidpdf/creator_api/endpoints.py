"""Every creator API endpoint in one list: method, path, what it takes and answers (`shapes`), whether
it writes. The web adapter (`paidpdf.web.creator_api`) routes from this list and `openapi` documents
from it, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from paidpdf.creator_api import resources, shapes
from paidpdf.store import DataStore

PREFIX = "/api/v1"


@dataclass
class Call:
    """One call as the handlers see it: the store, Stripe (made only when asked), the path's values,
    the query (a `query` shape) and the body (a `body` shape)."""

    store: DataStore
    stripe: Callable[[], Any]
    path: dict[str, str]
    query: Any = None
    body: Any = None


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # Bottle style: /api/v1/orders/<order_id>
    name: str
    summary: str
    answer: type
    run: Callable[[Call], Any]
    query: type | None = None
    body: type | None = None
    writes: bool = False
    status: int = 200
    errors: tuple[int, ...] = field(default=(400, 401, 404, 429))


def _e(
    method: str, path: str, name: str, summary: str, answer: type, run: Callable[[Call], Any], **kw: Any
) -> Endpoint:
    return Endpoint(method, PREFIX + path, name, summary, answer, run, **kw)


ENDPOINTS: tuple[Endpoint, ...] = (
    _e(
        "GET",
        "/items",
        "listItems",
        "Every catalog item, retired ones too.",
        shapes.ItemList,
        lambda c: resources.list_items(c.store),
    ),
    _e(
        "GET",
        "/items/<item_id>",
        "getItem",
        "One catalog item.",
        shapes.Item,
        lambda c: resources.get_item(c.store, c.path["item_id"]),
    ),
    _e(
        "GET",
        "/orders",
        "listOrders",
        "Orders, oldest first, filtered, a page at a time.",
        shapes.OrderList,
        lambda c: resources.list_orders(c.store, c.query),
        query=shapes.OrderQuery,
    ),
    _e(
        "GET",
        "/orders/<order_id>",
        "getOrder",
        "One order.",
        shapes.Order,
        lambda c: resources.get_order(c.store, c.path["order_id"]),
    ),
    _e(
        "POST",
        "/orders/<order_id>/refund",
        "refundOrder",
        "Refund a paid order in full at Stripe and revoke that purchase (like `orders refund`).",
        shapes.Order,
        lambda c: resources.refund_order(c.store, c.stripe(), c.path["order_id"]),
        writes=True,
        errors=(400, 401, 403, 404, 409, 429, 502, 503),
    ),
    _e(
        "GET",
        "/customers",
        "listCustomers",
        "Reader accounts, oldest first, a page at a time.",
        shapes.CustomerList,
        lambda c: resources.list_customers(c.store, c.query),
        query=shapes.PageQuery,
    ),
    _e(
        "GET",
        "/customers/<customer_id>",
        "getCustomer",
        "One reader (by id or email) and what they hold.",
        shapes.CustomerDetail,
        lambda c: resources.get_customer(c.store, c.path["customer_id"]),
    ),
    _e(
        "POST",
        "/grants",
        "grantItem",
        "Give an item to a reader as a gift (like `users grant`).",
        shapes.GrantResult,
        lambda c: resources.grant(c.store, c.body),
        body=shapes.GrantRequest,
        writes=True,
        errors=(400, 401, 403, 404, 429),
    ),
    _e(
        "POST",
        "/revocations",
        "revokeItem",
        "Take an item away from a reader (like `users revoke`).",
        shapes.GrantResult,
        lambda c: resources.revoke(c.store, c.body),
        body=shapes.GrantRequest,
        writes=True,
        errors=(400, 401, 403, 404, 429),
    ),
    _e(
        "GET",
        "/license-keys",
        "listLicenseKeys",
        "License keys, oldest first, a page at a time.",
        shapes.LicenseKeyList,
        lambda c: resources.list_license_keys(c.store, c.query),
        query=shapes.PageQuery,
    ),
    _e(
        "GET",
        "/license-keys/<key_id>",
        "getLicenseKey",
        "One license key.",
        shapes.LicenseKey,
        lambda c: resources.get_license_key(c.store, c.path["key_id"]),
    ),
    _e(
        "POST",
        "/license-keys/<key_id>/disable",
        "disableLicenseKey",
        "Disable a key (like `licenses disable`).",
        shapes.LicenseKey,
        lambda c: resources.set_license_disabled(c.store, c.path["key_id"], True),
        writes=True,
        errors=(400, 401, 403, 404, 429),
    ),
    _e(
        "POST",
        "/license-keys/<key_id>/enable",
        "enableLicenseKey",
        "Enable a key again (like `licenses enable`).",
        shapes.LicenseKey,
        lambda c: resources.set_license_disabled(c.store, c.path["key_id"], False),
        writes=True,
        errors=(400, 401, 403, 404, 429),
    ),
)
