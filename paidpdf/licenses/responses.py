"""The bodies the license API answers with, field for field as Gumroad and Lemon Squeezy name them
(docs/licenses.md lists each field and where ours differs), built from a key's record.

Every builder reads the same documents whether or not the key exists (`Facts.read` with a missing
record reads decoys), so an unknown key costs what a known one costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paidpdf.accounts.records import ACCOUNTS, USERS
from paidpdf.content.catalog import CONTENT
from paidpdf.licenses import keys
from paidpdf.sales.orders import ORDERS
from paidpdf.store import CATALOG, SALES, DataStore, Doc

#: Stands in for a missing record's ids: a lookup of it costs what a real lookup costs and finds nothing.
DECOY = "lk_decoy_0000000000000000"


@dataclass(frozen=True)
class Facts:
    """What the answers about one key say besides the key record: its order, owner and item."""

    order: Doc | None
    email: str
    item: Doc | None

    @classmethod
    def read(cls, store: DataStore, doc: Doc | None) -> Facts:
        found = doc or {}
        order = store.view(SALES).get(ORDERS, str(found.get("order_id") or DECOY))
        owner = store.view(ACCOUNTS).get(USERS, str(found.get("user_id") or DECOY))
        item = store.view(CATALOG).get(CONTENT, str(found.get("content_id") or DECOY))
        email = str(owner["email"]) if owner else str(found.get("email") or "")
        return cls(order, email, item)


def gumroad(doc: Doc, key: str, facts: Facts, base_url: str) -> dict[str, Any]:
    """`{"success": true, "uses": N, "purchase": {...}}` for a working key."""
    order = facts.order or {}
    item_id = str(doc["content_id"])
    sale = str(order.get("id") or doc["id"][:22])
    stamp = str(order.get("paid_at") or order.get("created_at") or doc.get("created_at") or "")
    history = [h.get("event") for h in order.get("history") or []]
    disputed = "disputed" in history or order.get("status") == "disputed"
    won = "dispute_won" in history
    purchase: dict[str, Any] = {
        "seller_id": "shop",
        "product_id": item_id,
        "product_name": (facts.item or {}).get("title") or item_id,
        "permalink": item_id,
        "product_permalink": f"{base_url.rstrip('/')}/content/{item_id}",
        "short_product_id": item_id,
        "email": facts.email,
        "price": int(order.get("amount") or 0),
        "gumroad_fee": 0,
        "currency": str(order.get("currency") or (facts.item or {}).get("currency") or "usd").lower(),
        "quantity": 1,
        "discover_fee_charged": False,
        "can_contact": False,
        "referrer": "direct",
        "card": {"visual": None, "type": None, "bin": None, "expiry_month": None, "expiry_year": None},
        "order_number": keys.number(sale),
        "sale_id": sale,
        "sale_timestamp": stamp,
        "purchaser_id": str(doc.get("user_id") or ""),
        "variants": "",
        "license_key": key,
        "is_gift_receiver_purchase": False,
        "refunded": order.get("status") == "refunded",
        "disputed": disputed,
        "dispute_won": won,
        "id": sale,
        "created_at": stamp,
        "custom_fields": [],
        "chargebacked": disputed and not won,
        "subscription_ended_at": None,
        "subscription_cancelled_at": None,
        "subscription_failed_at": None,
    }
    if doc.get("origin") == "imported":
        purchase["imported"] = True
    return {"success": True, "uses": int(doc.get("uses") or 0), "purchase": purchase}


def gumroad_error(message: str) -> dict[str, Any]:
    return {"success": False, "message": message}


def _lemon_stamp(stamp: Any) -> str | None:
    """Our `2026-11-27T20:04:35Z` as Lemon Squeezy writes dates: `2026-11-27T20:04:35.000000Z`."""
    text = str(stamp or "")
    return f"{text[:19]}.000000Z" if len(text) >= 19 else None


def lemon_key(doc: Doc, key: str, *, state: str, limit: int | None) -> dict[str, Any]:
    instances = doc.get("instances") or []
    status = state if state != "active" else ("active" if instances else "inactive")
    return {
        "id": keys.number(str(doc["id"])),
        "status": status,
        "key": key,
        "activation_limit": limit,
        "activation_usage": len(instances),
        "created_at": _lemon_stamp(doc.get("created_at")),
        "expires_at": None,
        "test_mode": False,
    }


def lemon_instance(instance: Doc | None) -> dict[str, Any] | None:
    if instance is None:
        return None
    stamp = _lemon_stamp(instance["created_at"])
    return {"id": instance["id"], "name": instance["name"], "created_at": stamp}


def lemon_meta(doc: Doc, facts: Facts) -> dict[str, Any]:
    order = facts.order or {}
    sale = str(order.get("id") or doc["id"][:22])
    return {
        "store_id": 1,
        "order_id": keys.number(sale),
        "order_item_id": keys.number(f"{sale}:{doc['content_id']}"),
        "product_id": str(doc["content_id"]),
        "product_name": (facts.item or {}).get("title") or str(doc["content_id"]),
        "variant_id": 1,
        "variant_name": "Default",
        "customer_id": keys.number(str(doc.get("user_id") or facts.email)),
        "customer_name": "",
        "customer_email": facts.email,
    }
