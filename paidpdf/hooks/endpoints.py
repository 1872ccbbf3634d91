"""The creator's hook endpoints (`paidpdf hooks add/list/remove`), kept in `sales` beside the orders,
so the unit that changes an order reads them and queues its events in the same step (`events`).

Each endpoint has its own signing secret (`whsec_` + base64 of 24 random bytes, the Standard Webhooks
form), shown when the hook is made. Every delivery signs with it, so it is kept, but sealed (AES-GCM
under the shop's own secret, as imported license keys are: `licenses.sealing`): a copy of `sales`
alone does not let anyone sign events as the shop.
"""

from __future__ import annotations

import base64
import secrets

from paidpdf.clock import new_id, now_iso
from paidpdf.content.shop_secret import shop_secret
from paidpdf.errors import InvalidInput, NotFound
from paidpdf.hooks import address_check
from paidpdf.licenses import sealing
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


def add(store: DataStore, url: str, events: list[str], *, allow_private: bool = False) -> tuple[Doc, str]:
    """A new hook: (its record, its signing secret to show once)."""
    address_check.check(url, allow_private=allow_private)
    hook_id = new_id("hook")
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    doc: Doc = {
        "id": hook_id,
        "url": url.strip(),
        "events": events,
        "allow_private": allow_private,
        "sealed_secret": sealing.seal(shop_secret(store), secret, hook_id),
        "created_at": now_iso(),
    }
    with store.unit(SALES) as unit:
        return unit.insert(ENDPOINTS, doc), secret


def signing_secret(store: DataStore, doc: Doc) -> str:
    found = sealing.unseal(shop_secret(store), str(doc.get("sealed_secret") or ""), str(doc["id"]))
    if found is None:
        raise InvalidInput(
            f"the signing secret of hook {doc['id']} does not open: remove and add the hook again"
        )
    return found


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
