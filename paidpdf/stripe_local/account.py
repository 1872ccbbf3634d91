"""One local Stripe account's state and what every resource shares: the lock, idempotent requests,
lookups by id, `expand[]` rendering and Stripe's cursor pagination, and the optional state file.

The resources are layered on top, one module each (`webhook_delivery`, `checkout_sessions`,
`customer_payments`, `refunds_disputes`); `standin.StandIn` is the whole account.

Thread safety: one re-entrant lock guards every object; webhook HTTP calls and timers run on the
scheduler's workers *outside* that lock. Every method returns deep copies, so callers can never change
the stored objects by accident.
"""

from __future__ import annotations

import copy
import heapq
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paidpdf.stripe_local import params
from paidpdf.stripe_local.api_errors import ApiError, invalid, no_such
from paidpdf.stripe_local.config import Config
from paidpdf.stripe_local.scheduler import Scheduler

Obj = dict[str, Any]

SWEEP_EVERY = 5.0

_KINDS = {
    "cs_": ("sessions", "checkout.session"),
    "pi_": ("intents", "payment_intent"),
    "ch_": ("charges", "charge"),
    "re_": ("refunds", "refund"),
    "dp_": ("disputes", "dispute"),
    "evt_": ("events", "event"),
    "cus_": ("customers", "customer"),
    "sub_": ("subscriptions", "subscription"),
    "in_": ("invoices", "invoice"),
    "inpay_": ("invoice_payments", "invoice_payment"),
    "pm_": ("payment_methods", "payment_method"),
    "clock_": ("test_clocks", "test_clock"),
    "bps_": ("portal_sessions", "billing_portal.session"),
}


@dataclass(frozen=True)
class RequestInfo:
    """Who asked: copied into the `request` field of the events an API call causes (None for customers)."""

    id: str | None = None
    idempotency_key: str | None = None


CUSTOMER = RequestInfo()


class AccountCore:
    """All state of one local Stripe account, in memory (optionally mirrored to a JSON file)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.public_url = config.public_url.rstrip("/")
        #: The address the server bound (set by `StripeLocal`); requests must name it or `public_url`.
        self.bound_url = ""
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self.scheduler = Scheduler(config.delivery_workers)
        self._store: dict[str, dict[str, Obj]] = {
            "sessions": {},
            "intents": {},
            "charges": {},
            "refunds": {},
            "disputes": {},
            "events": {},
            "customers": {},
            "subscriptions": {},
            "invoices": {},
            "invoice_payments": {},
            "payment_methods": {},
            "test_clocks": {},
            "portal_sessions": {},
        }
        #: Seconds added to the real clock by `POST /_local/advance` (every clock of the account moves).
        self._offset = 0
        self._private: dict[str, Obj] = {}  # session id -> line items, payment_intent_data, page token
        self._payloads: dict[str, str] = {}  # event id -> the exact JSON body Stripe would send
        self._deliveries: dict[str, Obj] = {}
        self._idempotency: dict[tuple[str, str], tuple[str, int, Obj]] = {}
        self._webhook_mode = "on"
        self._async_pending = 0
        self._sweeping = False
        self._closed = False
        self._expiries: list[tuple[int, str]] = []  # heap of (expires_at, session id) of open sessions

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Stop the delivery workers (pending deliveries are abandoned, the state stays readable)."""
        with self._lock:
            self._closed = True
            self._changed.notify_all()
        self.scheduler.close()

    def now(self) -> int:
        return int(self.config.clock()) + self._offset

    # ------------------------------------------------------------------ idempotency

    def idempotent(
        self, api_key: str, key: str | None, fingerprint: str, compute: Callable[[], tuple[int, Obj]]
    ) -> tuple[int, Obj, bool]:
        """Same key + same request → the stored response (replayed=True); same key + other request → 400.

        Like Stripe, a request that fails validation stores nothing, so it can be retried with the key.
        The whole call runs under the lock, so two concurrent requests with one key make one object.
        """
        if not key:
            status, body = compute()
            return status, body, False
        if len(key) > 255:
            raise invalid("Idempotency-Key", "Idempotency keys can be at most 255 characters long")
        with self._lock:
            stored = self._idempotency.get((api_key, key))
            if stored is not None:
                if stored[0] != fingerprint:
                    raise ApiError(
                        "Keys for idempotent requests can only be used with the same parameters they were "
                        f"first used with. Try using a key other than '{key}' if you meant to execute a "
                        "different request.",
                        type="idempotency_error",
                    )
                return stored[1], copy.deepcopy(stored[2]), True
            status, body = compute()
            self._idempotency[(api_key, key)] = (fingerprint, status, copy.deepcopy(body))
            return status, body, False

    # ------------------------------------------------------------------ rendering, lookup, pages

    def render(self, obj: Obj, expand: list[str]) -> Obj:
        """A deep copy of `obj` with the requested `expand[]` paths replaced by the objects they name."""
        result = copy.deepcopy(obj)
        for path in expand:
            self._expand(result, path.split("."), path)
        return result

    def _expand(self, obj: Obj, parts: list[str], path: str) -> None:
        head, rest = parts[0], parts[1:]
        if obj.get("object") == "list" and head == "data":
            for item in obj["data"]:
                if rest:
                    self._expand(item, rest, path)
            return
        special = self._expand_special(obj, head)
        if special is not None:
            obj[head] = special
            target: Any = special
        elif obj.get("object") == "checkout.session" and head == "line_items":
            items = self._private[obj["id"]]["line_items"]
            obj["line_items"] = {
                "object": "list",
                "data": [public(li) for li in items],
                "has_more": False,
                "url": f"/v1/checkout/sessions/{obj['id']}/line_items",
            }
            target = obj["line_items"]
        else:
            value = obj.get(head)
            if (
                head not in obj
                or not (value is None or isinstance(value, str | dict))
                or head in ("id", "object")
            ):
                raise invalid("expand", f"This property cannot be expanded ({path}).")
            if isinstance(value, str):
                found = self._lookup(value)
                if found is None:
                    raise invalid("expand", f"This property cannot be expanded ({path}).")
                obj[head] = copy.deepcopy(found)
            target = obj[head]
        if rest and isinstance(target, dict):
            self._expand(target, rest, path)

    def _expand_special(self, obj: Obj, head: str) -> Obj | None:
        """An includable field that is not an id (e.g. an invoice's `payments`); None: not one."""
        return None

    def _lookup(self, object_id: str) -> Obj | None:
        for prefix, (table, _) in _KINDS.items():
            if object_id.startswith(prefix):
                return self._store[table].get(object_id)
        return None

    def _require(self, object_id: str, table: str, param: str) -> Obj:
        found = self._store[table].get(object_id) if isinstance(object_id, str) else None
        if found is None:
            kind = {v[0]: v[1] for v in _KINDS.values()}[table]
            raise no_such(kind, str(object_id), param)
        return found

    def _page(self, items: list[Obj], raw: Obj, url: str, kind: str) -> Obj:
        """Stripe's cursor pagination over `items` (already in list order)."""
        size = params.limit(raw)
        start = 0
        if params.present(raw.get("starting_after")):
            cursor = params.string(raw["starting_after"], "starting_after")
            index = next((i for i, o in enumerate(items) if o["id"] == cursor), None)
            if index is None:
                raise no_such(kind, cursor, "starting_after")
            start = index + 1
            window = items[start : start + size]
            more = start + size < len(items)
        elif params.present(raw.get("ending_before")):
            cursor = params.string(raw["ending_before"], "ending_before")
            index = next((i for i, o in enumerate(items) if o["id"] == cursor), None)
            if index is None:
                raise no_such(kind, cursor, "ending_before")
            window = items[max(0, index - size) : index]
            more = index - size > 0
        else:
            window = items[:size]
            more = size < len(items)
        expand = params.expand(raw)
        data = [
            self.render(public(o), [p[len("data.") :] for p in expand if p.startswith("data.")])
            for o in window
        ]
        bad = [p for p in expand if not p.startswith("data.")]
        if bad:
            raise invalid("expand", f"This property cannot be expanded ({bad[0]}).")
        return {"object": "list", "data": data, "has_more": more, "url": url}

    # ------------------------------------------------------------------ persistence

    def _save(self) -> None:
        path = self.config.state_path
        if path is None:
            return
        state = {
            "version": 1,
            "store": self._store,
            "private": self._private,
            "payloads": self._payloads,
            "offset": self._offset,
        }
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)

    def _load(self) -> None:
        path = self.config.state_path
        if path is None or not Path(path).exists():
            return
        try:
            with open(path, encoding="utf-8") as handle:
                state = json.load(handle)
            if not isinstance(state, dict) or state.get("version") != 1:
                raise ValueError("unknown format")
        except ValueError as exc:
            raise ValueError(f"{path} is not a stripe-local state file ({exc})") from None
        for table in self._store:
            self._store[table] = state["store"].get(table, {})
        self._private = state.get("private", {})
        self._payloads = state.get("payloads", {})
        self._offset = int(state.get("offset", 0))
        self._expiries = [
            (s["expires_at"], s["id"]) for s in self._store["sessions"].values() if s["status"] == "open"
        ]
        heapq.heapify(self._expiries)


def public(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if not k.startswith("_")}
