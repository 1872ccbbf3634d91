"""The creator API's requests and answers, declared once: handlers build these, `openapi` documents
them (through `json_schema`). Amounts are integer minor units; times are ISO 8601 strings in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


def doc(text: str) -> dict[str, str]:
    return {"doc": text}


@dataclass(frozen=True)
class ErrorBody:
    """What went wrong: `type` is stable for programs, `message` is for people."""

    type: str
    message: str


@dataclass(frozen=True)
class Error:
    """Every 4xx and 5xx answer."""

    error: ErrorBody


@dataclass(frozen=True)
class Item:
    """A catalog item."""

    id: str
    title: str
    description: str | None
    price: int = field(metadata=doc("Minor units (cents)."))
    currency: str = field(metadata=doc("ISO 4217, lower case."))
    status: str = field(metadata=doc("active or retired."))
    created_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class ItemList:
    data: list[Item]


@dataclass(frozen=True)
class Order:
    """An order: one checkout of one item or bundle."""

    id: str
    status: Literal["pending", "paid", "abandoned", "expired", "failed", "refunded", "disputed", "flagged"]
    content_id: str
    user_id: str | None
    buyer: str | None = field(metadata=doc("The email the order was placed with."))
    amount: int = field(metadata=doc("Minor units paid."))
    currency: str
    refunded_amount: int
    created_at: str
    paid_at: str | None
    updated_at: str | None


@dataclass(frozen=True)
class OrderList:
    data: list[Order]
    next_cursor: str | None = field(metadata=doc("Pass as `cursor` for the next page; null on the last."))


@dataclass(frozen=True)
class OrderQuery:
    status: str | None = field(default=None, metadata=doc("Only orders in this state."))
    email: str | None = field(default=None, metadata=doc("Only this buyer's orders (any letter case)."))
    item: str | None = field(default=None, metadata=doc("Only orders of this item id."))
    created_gte: str | None = field(default=None, metadata=doc("Created at or after (ISO 8601)."))
    created_lt: str | None = field(default=None, metadata=doc("Created before (ISO 8601)."))
    limit: int | None = field(default=None, metadata=doc("Page size, 1 to 500 (default 50)."))
    cursor: str | None = field(default=None, metadata=doc("`next_cursor` of the previous page."))


@dataclass(frozen=True)
class PageQuery:
    limit: int | None = field(default=None, metadata=doc("Page size, 1 to 500 (default 50)."))
    cursor: str | None = field(default=None, metadata=doc("`next_cursor` of the previous page."))


@dataclass(frozen=True)
class Holding:
    """One item a customer has (or had: `revoked`)."""

    content_id: str
    source: str | None
    order_id: str | None
    acquired_at: str | None
    revoked: bool


@dataclass(frozen=True)
class Customer:
    """A reader account."""

    id: str
    email: str
    disabled: bool
    created_at: str | None


@dataclass(frozen=True)
class CustomerDetail:
    id: str
    email: str
    disabled: bool
    created_at: str | None
    items: list[Holding]


@dataclass(frozen=True)
class CustomerList:
    data: list[Customer]
    next_cursor: str | None


@dataclass(frozen=True)
class LicenseKey:
    """A license key (its text is never listed; `prefix` names it to people)."""

    id: str
    prefix: str | None
    item: str
    email: str | None
    state: str = field(metadata=doc("active, or why the key is refused (disabled, revoked...)."))
    uses: int
    activations: int
    activation_limit: int | None
    order_id: str | None
    created_at: str | None
    disabled_at: str | None


@dataclass(frozen=True)
class LicenseKeyList:
    data: list[LicenseKey]
    next_cursor: str | None


@dataclass(frozen=True)
class GrantRequest:
    """Give (or take back) an item: the account is found by email."""

    email: str
    item_id: str


@dataclass(frozen=True)
class GrantResult:
    email: str
    item_id: str
    changed: bool = field(metadata=doc("False when nothing needed doing (already a gift)."))
