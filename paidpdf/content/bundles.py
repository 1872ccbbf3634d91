"""Bundles: several items sold together at one price.

A bundle is its own record (`bundles` table of `catalog`), not an item: it has no file, and every
place that serves, checks or backs up files keeps dealing with items only. Buying one makes an order
that names the bundle and the items it granted (`bundle_items`, fixed when the checkout starts, so a
later edit of the bundle never changes what an order gave); fulfilment grants each, and a full refund
takes back exactly those entries (`sales.purchases`). Ids share the items' namespace, so a URL or an
order names one thing only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from paidpdf import currency_prices
from paidpdf.clock import now_iso
from paidpdf.content import catalog
from paidpdf.content.item_text import check_description, check_id, check_title, slugify
from paidpdf.errors import Conflict, InvalidInput, NotFound
from paidpdf.money import check_currency, parse_price
from paidpdf.store import CATALOG, DataStore, Doc, Unit, View

BUNDLES = "bundles"
MIN_ITEMS = 2
MAX_ITEMS = 100

#: What `bundles list/show --json` shows, in this order.
FIELDS = ("id", "title", "description", "price", "currency", "items", "status", "created_at", "updated_at")


def public(bundle: Doc) -> dict[str, Any]:
    return {**{name: bundle.get(name) for name in FIELDS}, "prices": currency_prices.prices_of(bundle)}


def list_bundles(store: DataStore, include_retired: bool = False) -> list[Doc]:
    rows = store.view(CATALOG).all(BUNDLES)
    if not include_retired:
        rows = [r for r in rows if r.get("status") == catalog.ACTIVE]
    return sorted(rows, key=lambda r: (r.get("created_at") or "", r["id"]))


def get(store: DataStore, bundle_id: str) -> Doc:
    return _require(store.view(CATALOG), bundle_id)


def find(view: View, bundle_id: str) -> Doc | None:
    key = bundle_id.strip().lower()
    return view.get(BUNDLES, key) if key else None


def _require(view: View, bundle_id: str) -> Doc:
    found = find(view, bundle_id)
    if found is None:
        raise NotFound(f"no bundle {bundle_id!r} (see `paidpdf bundles list --all`)")
    return found


def _check_items(view: View, items: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    if not MIN_ITEMS <= len(wanted) <= MAX_ITEMS:
        raise InvalidInput(f"a bundle holds {MIN_ITEMS} to {MAX_ITEMS} different items")
    for item_id in wanted:
        if view.get(catalog.CONTENT, item_id) is None:
            raise NotFound(f"no item {item_id!r} (see `paidpdf content list --all`)")
    return wanted


def _price(price_text: str, currency: str) -> int:
    price = parse_price(price_text, currency)
    if price == 0:
        raise InvalidInput("a bundle needs a price (give its items away one by one instead)")
    return price


def add(
    store: DataStore,
    bundle_id: str,
    *,
    title: str,
    price_text: str,
    currency: str,
    also: Sequence[str] = (),
    items: list[str],
    description: str = "",
) -> Doc:
    """A new bundle; everything is checked before it is written."""
    key = check_id(bundle_id) if bundle_id.strip() else slugify(title)
    code = check_currency(currency)
    doc: Doc = {
        "id": key, "title": check_title(title), "description": check_description(description),
        "price": _price(price_text, code), "currency": code,
        "prices": currency_prices.merged(None, code, also), "items": [], "status": catalog.ACTIVE,
        "created_at": now_iso(), "updated_at": now_iso(),
    }
    with store.unit(CATALOG) as unit:
        doc["items"] = _check_items(unit, items)
        if unit.get(BUNDLES, key) is not None or unit.get(catalog.CONTENT, key) is not None:
            raise Conflict(f"an item or bundle with id {key!r} already exists")
        return unit.insert(BUNDLES, doc)


def edit(
    store: DataStore,
    bundle_id: str,
    *,
    title: str | None = None,
    price_text: str | None = None,
    also: Sequence[str] = (),
    remove: Sequence[str] = (),
    items: list[str] | None = None,
    description: str | None = None,
) -> Doc:
    """Change a bundle; orders already made keep the items they granted."""
    if not (also or remove) and all(v is None for v in (title, price_text, items, description)):
        raise InvalidInput("nothing to change: give --title, --price, --items or --description")
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = check_title(title)
    if description is not None:
        changes["description"] = check_description(description)
    with store.unit(CATALOG) as unit:
        current = _require(unit, bundle_id)
        if price_text is not None:
            changes["price"] = _price(price_text, current["currency"])
        if also or remove:
            changes["prices"] = currency_prices.merged(
                current.get("prices"), current["currency"], also, remove
            )
        if items is not None:
            changes["items"] = _check_items(unit, items)
        return _put(unit, current, changes)


def set_status(store: DataStore, bundle_id: str, status: str) -> Doc:
    """Retire (out of the catalog; buyers keep what it granted) or restore a bundle."""
    with store.unit(CATALOG) as unit:
        current = _require(unit, bundle_id)
        return current if current.get("status") == status else _put(unit, current, {"status": status})


def _put(unit: Unit, current: Doc, changes: dict[str, Any]) -> Doc:
    return unit.put(BUNDLES, {**current, **changes, "updated_at": now_iso()})


def contents(store: DataStore, bundle: Doc) -> list[Doc]:
    """The bundle's items as the catalog has them now (retired ones included: they are still given)."""
    view = store.view(CATALOG)
    return [found for i in bundle["items"] if (found := view.get(catalog.CONTENT, i)) is not None]
