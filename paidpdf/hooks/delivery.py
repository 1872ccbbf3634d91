"""The hook worker's one step (`deliver_due`): pick what is due, claim it in a unit, send it, record
the attempt in another unit.

- At least once: a delivery is `pending` until a 2xx answer is recorded. A worker that dies mid-POST
  (kill -9) leaves its claim, which runs out after `claim_seconds`; then another worker sends it again.
- Once per worker pool: the claim is taken in a unit of `sales`, so of several `serve --workers`
  processes (or a `hooks deliver` beside them) exactly one sends a given attempt.
- In order per object: only the oldest pending delivery (by sequence) of an object to an endpoint is
  ever due, so `order.refunded` is not sent before that order's `order.paid` got through (or gave up).
- Retries back off exponentially (`first_retry`, doubling, at most 10 hours apart) for 3 days: the
  last retry is due exactly `GIVE_UP_AFTER` after the event was queued (never hours later, where the
  doubling would land it), and if that fails too the delivery is `failed` and the object's next event
  may go.
- Time is `clock.now()`, or the `now` a caller passes (tests move it that way, as elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from paidpdf import clock
from paidpdf.errors import PaidPdfError
from paidpdf.hooks import endpoints, sending
from paidpdf.hooks.endpoints import ENDPOINTS
from paidpdf.hooks.events import DELIVERIES, PENDING, parse
from paidpdf.hooks.events import stamp as iso
from paidpdf.store import SALES, DataStore, Doc

GIVE_UP_AFTER = timedelta(days=3)
MOST_APART = timedelta(hours=10)


@dataclass(frozen=True)
class Pace:
    """How the worker sends: the POST's timeout, the first retry's delay (doubling after)."""

    timeout: float = 10.0
    first_retry: float = 5.0

    @property
    def claim_seconds(self) -> float:
        return self.timeout + 1.0


def due(rows: list[Doc], moment: str) -> list[Doc]:
    """The deliveries to try now: the oldest pending one per (endpoint, object), if its time has come
    and nobody holds it."""
    heads: dict[tuple[str, str], Doc] = {}
    for row in sorted(rows, key=lambda r: int(r["seq"])):
        heads.setdefault((row["endpoint_id"], row["object_id"]), row)
    return sorted(
        (r for r in heads.values() if r["next_at"] <= moment and (r.get("claimed_until") or "") <= moment),
        key=lambda r: int(r["seq"]),
    )


def _claim(store: DataStore, delivery_id: str, pace: Pace, moment: datetime) -> tuple[Doc, Doc] | None:
    with store.unit(SALES) as unit:
        row = unit.get(DELIVERIES, delivery_id)
        if row is None or row["status"] != PENDING or (row.get("claimed_until") or "") > iso(moment):
            return None
        endpoint = unit.get(ENDPOINTS, row["endpoint_id"])
        if endpoint is None:
            unit.put(DELIVERIES, {**row, "status": "dropped"})
            return None
        until = iso(moment + timedelta(seconds=pace.claim_seconds))
        return unit.put(DELIVERIES, {**row, "claimed_until": until}), endpoint


def backoff(attempts: int, pace: Pace) -> timedelta:
    """How long after its `attempts`-th failed attempt a delivery is tried again (before the cap of
    `GIVE_UP_AFTER` since it was queued, which `next_try` applies)."""
    return min(timedelta(seconds=pace.first_retry * 2 ** max(0, attempts - 1)), MOST_APART)


def next_try(created: datetime, attempts: int, moment: datetime, pace: Pace) -> datetime:
    """When to try again after a failed attempt at `moment`: the backoff, but never past the last
    chance (`created` + `GIVE_UP_AFTER`), so a receiver back after 2 days 23 hours still gets the event
    at 3 days and the sender learns of a failure after 3 days as promised."""
    return min(moment + backoff(attempts, pace), created + GIVE_UP_AFTER)


def _record(store: DataStore, row: Doc, attempt: sending.Attempt, pace: Pace, moment: datetime) -> Doc:
    with store.unit(SALES) as unit:
        current = unit.get(DELIVERIES, row["id"]) or row
        attempts = [
            *current.get("attempts", []),
            {
                "at": iso(moment),
                "status_code": attempt.status_code,
                "duration_ms": attempt.duration_ms,
                "error": attempt.error,
            },
        ]
        changes: dict[str, Any] = {"attempts": attempts, "claimed_until": None}
        if attempt.delivered:
            changes["status"] = "delivered"
        elif moment - parse(current["created_at"]) >= GIVE_UP_AFTER:
            changes["status"] = "failed"
        else:
            changes["next_at"] = iso(next_try(parse(current["created_at"]), len(attempts), moment, pace))
        if current["status"] != PENDING:  # delivered by another worker after our claim ran out
            changes.pop("status", None)
        return unit.put(DELIVERIES, {**current, **changes})


def deliver_due(store: DataStore, pace: Pace, most: int = 100, *, now: datetime | None = None) -> int:
    """Send what is due now (up to `most`); returns how many were delivered. Each attempt is claimed
    and recorded at `now` (default: the clock's, read again for each)."""
    view = store.view(SALES)
    if view.count(DELIVERIES) == 0:
        return 0
    delivered = 0
    for row in due(view.find(DELIVERIES, "status", PENDING), iso(now or clock.now()))[:most]:
        claimed = _claim(store, row["id"], pace, now or clock.now())
        if claimed is None:
            continue
        held, endpoint = claimed
        try:
            secret = endpoints.signing_secret(store, endpoint)
        except PaidPdfError as exc:
            attempt = sending.Attempt(None, 0, exc.message)
        else:
            attempt = sending.post(endpoint, secret, held["event_id"], held["payload"], pace.timeout)
        if _record(store, held, attempt, pace, now or clock.now())["status"] == "delivered":
            delivered += 1
    return delivered


def deliveries_of(store: DataStore, hook_id: str) -> list[Doc]:
    """An endpoint's deliveries, newest first, as `hooks deliveries` shows them (no payload)."""
    rows = store.view(SALES).find(DELIVERIES, "endpoint_id", hook_id)
    rows.sort(key=lambda r: -int(r["seq"]))
    keys = ("id", "event_id", "type", "object_id", "status", "created_at", "next_at", "attempts")
    return [{k: r.get(k) for k in keys} for r in rows]


#: How long finished deliveries (delivered, failed, dropped) stay for `hooks deliveries`.
KEEP_FINISHED = timedelta(days=30)


def prune(store: DataStore, keep: timedelta = KEEP_FINISHED) -> int:
    """Forget finished deliveries older than `keep`, so the queue does not grow with every event ever
    sent; pending ones are never touched. Returns how many were removed."""
    oldest = iso(clock.now() - keep)
    view = store.view(SALES)
    old = [
        r["id"]
        for status in ("delivered", "failed", "dropped")
        for r in view.find(DELIVERIES, "status", status)
        if r["created_at"] < oldest
    ]
    if old:
        with store.unit(SALES) as unit:
            for delivery_id in old:
                unit.delete(DELIVERIES, delivery_id)
    return len(old)
