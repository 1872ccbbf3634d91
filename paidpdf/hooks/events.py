"""Events for the creator's hooks, queued in the very unit that makes the change (an order paid or
refunded, a membership changed): the change and its events land together or not at all, so a crash
can neither lose an event nor send one for a change that never happened. Nothing is sent here: the
worker (`delivery`) sends later, so a request or a Stripe webhook never waits for a receiver.

Each queued delivery is one event for one endpoint, with a sequence number taken in the same unit:
the worker sends an object's events to an endpoint in that order (`delivery.due`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from paidpdf.clock import new_id, now
from paidpdf.hooks.endpoints import DELIVERIES, ENDPOINTS
from paidpdf.store import Doc, Unit

STATE = "hook_state"
PENDING = "pending"

ORDER_FIELDS = (
    "id",
    "status",
    "content_id",
    "user_id",
    "buyer",
    "amount",
    "currency",
    "refunded_amount",
    "created_at",
    "paid_at",
    "updated_at",
    "bundle_items",
    "promo",
)
SUBSCRIPTION_FIELDS = (
    "id",
    "plan_id",
    "user_id",
    "email",
    "status",
    "access_status",
    "access_until",
    "period_start",
    "period_end",
    "cancel_at_period_end",
    "canceled_at",
    "ended_at",
    "amount",
    "currency",
    "interval",
    "created_at",
    "updated_at",
)
ORDER_STATES = {"paid": "order.paid", "refunded": "order.refunded", "disputed": "order.disputed"}
FINE = "%Y-%m-%dT%H:%M:%S.%fZ"


def stamp(moment: datetime | None = None) -> str:
    """A queue time to the microsecond (sortable as text): retries can be sub-second apart in tests."""
    return (moment or now()).astimezone(UTC).strftime(FINE)


def parse(text: str) -> datetime:
    return datetime.strptime(text, FINE).replace(tzinfo=UTC)


WATCHED_SUBSCRIPTION = (
    "status",
    "access_status",
    "plan_id",
    "period_end",
    "cancel_at_period_end",
    "ended_at",
)


def queue(unit: Unit, event_type: str, object_id: str, data: dict[str, Any]) -> int:
    """Queue the event for every endpoint that asked for it; returns how many deliveries."""
    wanted = [e for e in unit.all(ENDPOINTS) if event_type in e["events"] or "*" in e["events"]]
    if not wanted:
        return 0
    counter = unit.get(STATE, "seq") or {"id": "seq", "value": 0}
    seq = int(counter["value"])
    queued = stamp()
    event_id = new_id("msg")
    for endpoint in sorted(wanted, key=lambda e: e["id"]):
        seq += 1
        unit.insert(
            DELIVERIES,
            {
                "id": f"{event_id}.{endpoint['id']}",
                "event_id": event_id,
                "endpoint_id": endpoint["id"],
                "type": event_type,
                "object_id": object_id,
                "seq": seq,
                "payload": {"type": event_type, "timestamp": queued[:19] + "Z", "data": data},
                "status": PENDING,
                "attempts": [],
                "created_at": queued,
                "next_at": queued,
                "claimed_until": None,
            },
        )
    unit.put(STATE, {**counter, "value": seq})
    return len(wanted)


def order_changed(unit: Unit, before: Doc, after: Doc) -> None:
    """From `orders.save`: a new state (paid, refunded, disputed), or more refunded (a partial refund)."""
    event = (
        ORDER_STATES.get(str(after.get("status"))) if after.get("status") != before.get("status") else None
    )
    more_refunded = int(after.get("refunded_amount") or 0) > int(before.get("refunded_amount") or 0)
    if event is None and more_refunded:
        event = "order.refunded"
    if event is not None:
        queue(unit, event, str(after["id"]), {k: after.get(k) for k in ORDER_FIELDS})


def subscription_changed(unit: Unit, before: Doc | None, after: Doc) -> None:
    """From the subscription saves: created, or a change a creator's tools act on."""
    if before is not None and all(before.get(k) == after.get(k) for k in WATCHED_SUBSCRIPTION):
        return
    event = "subscription.created" if before is None else "subscription.updated"
    queue(unit, event, str(after["id"]), {k: after.get(k) for k in SUBSCRIPTION_FIELDS})
