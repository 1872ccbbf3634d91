"""The creator's hook endpoints (`paidpdf hooks add/list/remove`), kept in `sales` beside the orders,
so the unit that changes an order reads them and queues its events in the same step (`events`).

Each endpoint has its own signing secret (`whsec_` + base64 of 24 random bytes, the Standard Webhooks
form); it is kept in the store because every delivery signs with it, and shown when the hook is made.
"""

from __future__ import annotations

import base64
import secrets

from paidpdf.clock import new_id, now_iso
from paidpdf.errors import InvalidInput, NotFound
from paidpdf.hooks import address_check
from paidpdf.store import SALES, DataStore, Doc

ENDPOINTS = "hook_endpoints"
#: The queue (`events`): one document per event per endpoint.
DELIVERIES = "hook_deliveries"

#: What a hook can ask for. `*` is every event.
EVENTS = ("order.paid", "order.refunded", "order.disputed", "subscription.created", "subscription.updated")


def parse_events(text: str) -> list[str]:
    wanted = sorted({e.strip() for e in text.split(",") if e.strip()})
    if not wanted:
        raise InvalidInput(f"give --events, a comma-separated list of: {', '.join(EVENTS)} (or *)")
    unknown = [e for e in wanted if e not in EVENTS and e != "*"]
    if unknown:
        raise InvalidInput(f"unknown event {unknown[0]!r}: use {', '.join(EVENTS)} (or *)")
    return wanted


def add(store: DataStore, url: str, events: list[str], *, allow_private: bool = False) -> Doc:
    address_check.check(url, allow_private=allow_private)
    doc: Doc = {
        "id": new_id("hook"),
        "url": url.strip(),
        "events": events,
        "allow_private": allow_private,
        "secret": "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
        "created_at": now_iso(),
    }
    with store.unit(SALES) as unit:
        return unit.insert(ENDPOINTS, doc)


def public(doc: Doc) -> Doc:
    """The endpoint as listed: never its secret."""
    return {k: doc.get(k) for k in ("id", "url", "events", "allow_private", "created_at")}


def list_all(store: DataStore) -> list[Doc]:
    return sorted(store.view(SALES).all(ENDPOINTS), key=lambda d: (d["created_at"], d["id"]))


def get(store: DataStore, hook_id: str) -> Doc:
    doc = store.view(SALES).get(ENDPOINTS, hook_id.strip())
    if doc is None:
        raise NotFound(f"no hook {hook_id!r} (see `paidpdf hooks list`)")
    return doc


def remove(store: DataStore, hook_id: str) -> Doc:
    """Remove a hook; its undelivered events are dropped with it (marked `dropped`)."""
    with store.unit(SALES) as unit:
        doc = unit.get(ENDPOINTS, hook_id.strip())
        if doc is None:
            raise NotFound(f"no hook {hook_id!r} (see `paidpdf hooks list`)")
        unit.delete(ENDPOINTS, doc["id"])
        for row in unit.where(
            DELIVERIES, lambda r: r["endpoint_id"] == doc["id"] and r["status"] == "pending"
        ):
            unit.put(DELIVERIES, {**row, "status": "dropped"})
    return doc
