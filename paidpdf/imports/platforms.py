"""What each platform's export is called, column by column, and what a row of it means.

Columns are found by name, never by position (the platforms changed theirs over the years): a header
is normalised (lower case, `?`, `($)`, `_` and `.` dropped, blanks collapsed) and looked up in the
platform's aliases; the first column with a known name wins (Gumroad appends custom fields after its
own, and a custom field may repeat a built-in name). Lemon Squeezy's and Payhip's dashboard CSVs are
not documented, so their API and webhook field names are read too (docs/import.md says which).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from paidpdf.imports import values
from paidpdf.imports.values import BadValue

PLATFORMS = ("gumroad", "lemonsqueezy", "payhip")
NAMES = {"gumroad": "Gumroad", "lemonsqueezy": "Lemon Squeezy", "payhip": "Payhip"}


@dataclass(frozen=True)
class Purchase:
    """One purchase of one product, as the platform exported it."""

    line: int
    platform: str
    purchase_id: str
    order_id: str
    email: str
    product_id: str
    product_name: str
    date: str
    amount: int
    currency: str
    grants: bool
    status: str
    license_key: str = ""
    key_uses: int = 0
    key_enabled: bool = True
    key_limit: int | None = None

    @property
    def key(self) -> str:
        """The platform's purchase id, the import's idempotency key."""
        return f"{self.platform}:{self.purchase_id}"


def normalise(header: str) -> str:
    text = header.lstrip("\ufeff").strip().lower().replace("($)", "").replace("?", "")
    text = text.replace("_", " ").replace(".", " ")
    return re.sub(r"\s+", " ", text).strip()


ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "gumroad": {
        "purchase_id": ("purchase id",),
        "email": ("purchase email",),
        "product_id": ("product id",),
        "product_name": ("item name",),
        "time": ("purchase time (utc timezone)",),
        "date": ("purchase date",),
        "amount": ("sale price",),
        "order": ("order number",),
        "fully_refunded": ("fully refunded",),
        "refunded": ("refunded",),
        "disputed": ("disputed",),
        "dispute_won": ("dispute won",),
        "revoked": ("access revoked",),
        "key": ("license key",),
        "uses": ("license key activation count",),
        "enabled": ("license key enabled",),
    },
    "lemonsqueezy": {
        "purchase_id": ("identifier", "order identifier", "order id", "id"),
        "email": ("user email", "email", "customer email"),
        "product_id": ("first order item product id", "product id"),
        "product_name": ("first order item product name", "product name", "product"),
        "date": ("created at", "date", "order date"),
        "amount": ("total", "amount"),
        "currency": ("currency",),
        "order": ("order number",),
        "status": ("status",),
        "refunded": ("refunded",),
        "test": ("test mode",),
        "key": ("license key key", "license key"),
        "uses": ("license key instances count", "instances count"),
        "disabled": ("license key disabled",),
        "limit": ("license key activation limit", "activation limit"),
    },
    "payhip": {
        "purchase_id": ("id", "transaction id", "order id"),
        "email": ("email", "customer email"),
        "product_id": ("items product id", "product id", "items product link", "product link"),
        "product_name": ("items product name", "product name", "items in cart", "product"),
        "date": ("date", "date created", "transaction date"),
        "amount": ("price", "amount gross", "amount"),
        "currency": ("currency",),
        "type": ("type", "status"),
        "refunded_amount": ("amount refunded",),
        "key": ("items license key", "license key"),
    },
}
#: Columns without which a file cannot be read; a tuple means one of them.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "gumroad": (("purchase_id",), ("email",), ("product_id", "product_name"), ("time", "date"), ("amount",)),
    "lemonsqueezy": (
        ("purchase_id",),
        ("email",),
        ("product_id", "product_name"),
        ("date",),
        ("amount",),
        ("currency",),
        ("status",),
    ),
    "payhip": (
        ("purchase_id",),
        ("email",),
        ("product_id", "product_name"),
        ("date",),
        ("amount",),
        ("currency",),
    ),
}
#: Headers only one platform writes: how a file of another platform is recognised.
SIGNATURES = {
    "gumroad": ("purchase email", "sale price", "item name"),
    "lemonsqueezy": ("user email", "order number", "status formatted", "identifier"),
    "payhip": ("items in cart", "amount gross", "payhip fee", "items product name"),
}

Columns = dict[str, tuple[int, str]]


def columns(platform: str, header: list[str], where: str) -> Columns:
    """Our field -> (index, header as written); `BadValue` naming what is missing (or whose file it is)."""
    names = [normalise(h) for h in header]
    found: Columns = {}
    for field, aliases in ALIASES[platform].items():
        for alias in aliases:  # an earlier alias wins over a later one; within one, the first column
            if alias in names:
                index = names.index(alias)
                found[field] = (index, header[index].strip())
                break
    missing = [group for group in REQUIRED[platform] if not any(f in found for f in group)]
    if missing:
        other = guess(names)
        if other is not None and other != platform:
            raise BadValue(
                f"{where}: this looks like a {NAMES[other]} export, not a {NAMES[platform]} one "
                f"(use `paidpdf import {other}`)"
            )
        wanted = " or ".join(f"'{ALIASES[platform][f][0]}'" for f in missing[0])
        raise BadValue(f"{where}, row 1: no {wanted} column in this {NAMES[platform]} export")
    return found


def guess(names: list[str]) -> str | None:
    scores = {p: sum(s in names for s in sig) for p, sig in SIGNATURES.items()}
    best = max(scores, key=lambda p: scores[p])
    return best if scores[best] >= 2 else None


T = TypeVar("T")


class Cells:
    """One row's cells by our field names; `read` names the column of a cell it cannot read."""

    def __init__(self, found: Columns) -> None:
        self.row: list[str] = []
        self.found = found
        self.places = {field: index for field, (index, _written) in found.items()}

    def at(self, row: list[str]) -> Cells:
        """The same reader over the next row (one per file: a 100,000-row export makes no garbage)."""
        self.row = row
        return self

    def __call__(self, field: str) -> str:
        place = self.places.get(field)
        if place is None or place >= len(self.row):
            return ""
        text = self.row[place]
        if text and (text[0] in "' \t\r\n" or text[-1] in " \t\r\n"):
            return values.clean(text)
        return text

    def read(self, field: str, parse: Callable[[str], T]) -> T:
        try:
            return parse(self(field))
        except BadValue as exc:
            raise BadValue(
                f"column '{self.found[field][1] if field in self.found else field}': {exc}"
            ) from None


def purchase(platform: str, line: int, cell: Cells) -> Purchase:
    """The row's purchase; `BadValue` with "column 'X': why" for the first bad cell."""
    return {"gumroad": _gumroad, "lemonsqueezy": _lemonsqueezy, "payhip": _payhip}[platform](line, cell)


def _email(text: str) -> str:
    address = text.strip().lower()
    if "@" not in address or len(address) > 254 or any(c.isspace() for c in address):
        raise BadValue(f"not an email address: {text[:80]!r}")
    return address


def _gumroad(line: int, cell: Cells) -> Purchase:
    when = cell.read("time", values.moment) if cell("time") else cell.read("date", values.moment)
    fully, revoked = cell.read("fully_refunded", values.flag), cell.read("revoked", values.flag)
    disputed, won = cell.read("disputed", values.flag), cell.read("dispute_won", values.flag)
    partial = cell.read("refunded", values.flag)
    lost = disputed and not won
    status = (
        "refunded"
        if fully
        else "disputed"
        if lost
        else "access revoked"
        if revoked
        else "dispute won"
        if disputed
        else "partially refunded"
        if partial
        else "paid"
    )
    return Purchase(
        line,
        "gumroad",
        cell.read("purchase_id", _required),
        cell("order"),
        cell.read("email", _email),
        cell("product_id"),
        cell("product_name"),
        when,
        cell.read("amount", values.major_to_minor),
        "USD",
        not (fully or lost or revoked),
        status,
        cell("key"),
        cell.read("uses", values.whole),
        not cell("enabled") or cell.read("enabled", values.flag),
    )


def _ls_status(text: str) -> str:
    status = text.strip().lower().replace(" ", "_")
    if status not in ("paid", "pending", "failed", "refunded", "partial_refund", "fraudulent"):
        raise BadValue(f"not an order status: {text[:30]!r} (paid, refunded, partial_refund, ...)")
    return status


def _lemonsqueezy(line: int, cell: Cells) -> Purchase:
    currency = cell.read("currency", values.currency_code)
    status = cell.read("status", _ls_status)
    test = cell.read("test", values.flag)
    return Purchase(
        line,
        "lemonsqueezy",
        cell.read("purchase_id", _required),
        cell("order"),
        cell.read("email", _email),
        cell("product_id"),
        cell("product_name"),
        cell.read("date", values.moment),
        cell.read("amount", lambda t: values.minor_amount(t, currency)),
        currency,
        status in ("paid", "partial_refund") and not test,
        "test" if test else status.replace("_", " "),
        cell("key"),
        cell.read("uses", values.whole),
        not cell.read("disabled", values.flag),
        cell.read("limit", values.whole) or None,
    )


def _payhip_kind(text: str) -> str:
    kind = text.strip().lower()
    if kind not in (
        "",
        "paid",
        "completed",
        "complete",
        "refunded",
        "refund",
        "partially refunded",
        "partial refund",
    ):
        raise BadValue(f"not a transaction type: {text[:30]!r} (expected paid or refunded)")
    return kind


def _payhip(line: int, cell: Cells) -> Purchase:
    currency = cell.read("currency", values.currency_code)
    amount = cell.read("amount", lambda t: values.minor_amount(t, currency))
    kind = cell.read("type", _payhip_kind)
    refunded = cell.read("refunded_amount", lambda t: values.minor_amount(t, currency) if t else None)
    full = kind in ("refunded", "refund") and (refunded is None or refunded >= amount)
    product = cell("product_id") or cell("product_name")
    status = "refunded" if full else "partially refunded" if refunded or "partial" in kind else "paid"
    transaction = cell.read("purchase_id", _required)
    return Purchase(
        line,
        "payhip",
        f"{transaction}:{product}",
        transaction,
        cell.read("email", _email),
        cell("product_id"),
        cell("product_name"),
        cell.read("date", values.moment),
        amount,
        currency,
        not full,
        status,
        cell("key"),
    )


def _required(text: str) -> str:
    if not text:
        raise BadValue("empty (every purchase has an id)")
    return text
