"""The membership record: one document per reader (`memberships` table of `sales`, id = user id) that
says what their memberships give, so the access check is ONE lookup by the reader.

Why a record of its own: a reader's subscriptions, invoices and events can grow without bound, and a
download must not scan them. Every change to a subscription (`subscriptions.apply_state`, always in a
sales unit) rewrites this record in the same unit from the reader's subscriptions, so it can never
disagree with them. A grant holds the plan's `covers` (copied; `plans edit --covers` refreshes them),
the status Stripe gave, and `access_until`: access is time-bound by the record itself, so a membership
whose period ended gives nothing even if the event saying so never arrived.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paidpdf import clock
from paidpdf.accounts.records import USERS
from paidpdf.clock import iso, parse_iso
from paidpdf.memberships.plans import covers_item
from paidpdf.store import ACCOUNTS, SALES, DataStore, Doc, Unit, View

MEMBERSHIPS = "memberships"
#: A flag on the reader's account (`users` of `accounts`) set once they first have a membership: the
#: download check then reads their record before their library (`ownership.access.downloadable_item`).
#: Only an ordering hint, written after the sales unit: correctness never depends on it.
MEMBER_HINT = "member"
#: Stripe statuses in which a member reads: paid up, in a trial, or a renewal failing but still being
#: retried by Stripe (past due). `unpaid`, `canceled`, `incomplete*` and `paused` give nothing.
ACCESS_STATUSES = frozenset({"active", "trialing", "past_due"})

__all__ = ["ACCESS_STATUSES", "MEMBERSHIPS", "SALES", "Grant", "covering", "covering_in", "grants", "rewrite"]


@dataclass(frozen=True)
class Grant:
    """What one subscription (or pass) of a reader gives: its plan, which items, and until when."""

    subscription_id: str
    plan_id: str
    plan_title: str
    covers: Any
    status: str
    access_until: str

    def gives_access(self, at: datetime | None = None) -> bool:
        """Access now (or `at`): a reading status and a period not over. Stored times are ISO text of
        one fixed shape (`clock.iso`), so they compare as text: no parsing on every download."""
        return self.status in ACCESS_STATUSES and iso(at or clock.now()) < self.access_until

    def covers_item(self, item: Doc) -> bool:
        return covers_item(self.covers, item)


def _grant(raw: Doc) -> Grant:
    return Grant(
        str(raw["subscription_id"]), str(raw["plan_id"]), str(raw.get("plan_title") or raw["plan_id"]),
        raw.get("covers"), str(raw.get("status") or ""), str(raw.get("access_until") or ""),
    )


def grants(view: View, user_id: str, *, at: datetime | None = None, live_only: bool = True) -> list[Grant]:
    """The reader's grants (those giving access now, unless `live_only` is False): one `get`."""
    record = view.get(MEMBERSHIPS, user_id) if user_id else None
    if not record:
        return []
    found = [_grant(g) for g in record.get("grants") or []]
    if not live_only:
        return found
    moment = at or clock.now()
    return [g for g in found if g.gives_access(moment)]


def covering(view: View, user_id: str, item: Doc, *, at: datetime | None = None) -> Grant | None:
    """The grant under which the reader may read `item` now, or None: the membership access check.
    One lookup (the reader's record), then plain comparisons on it (each grant keeps its end as Unix
    seconds, `until`, so a download parses no date); retired items are never covered."""
    if item.get("status") == "retired" or not user_id:
        return None
    return covering_in(view.get(MEMBERSHIPS, user_id), item, at=at)


def covering_in(record: Doc | None, item: Doc | None, *, at: datetime | None = None) -> Grant | None:
    """`covering` on a membership record already read (None: no record, no item: nothing covered).
    For callers that read the record whatever happens, such as the license API, whose every call must
    read the same documents (`paidpdf.licenses.records.refused_because`)."""
    if not record or item is None or item.get("status") == "retired":
        return None
    moment = at.timestamp() if at is not None else time.time()
    for raw in record.get("grants") or []:
        reading = raw.get("status") in ACCESS_STATUSES and moment < _until(raw)
        if reading and covers_item(raw.get("covers"), item):
            return _grant(raw)
    return None


def _until(raw: Doc) -> float:
    until = raw.get("until")
    if isinstance(until, int) and not isinstance(until, bool):
        return until
    text = raw.get("access_until")
    return parse_iso(text).timestamp() if isinstance(text, str) and text else 0


def mark_member(store: DataStore, user_id: str) -> None:
    """Set `MEMBER_HINT` on the reader's account (once; nothing is written when it is set)."""
    if (store.view(ACCOUNTS).get(USERS, user_id) or {}).get(MEMBER_HINT):
        return
    with store.unit(ACCOUNTS) as unit:
        found = unit.get(USERS, user_id)
        if found is not None and not found.get(MEMBER_HINT):
            unit.put(USERS, {**found, MEMBER_HINT: True})


def rewrite(unit: Unit, user_id: str, subscriptions: Iterable[Doc]) -> Doc:
    """Write the reader's record from their subscription documents (inside the unit that changed one)."""
    entries = [
        {
            "subscription_id": s["id"],
            "plan_id": s["plan_id"],
            "plan_title": s.get("plan_title") or s["plan_id"],
            "covers": s.get("covers"),
            "status": s.get("access_status") or s.get("status"),
            "access_until": s.get("access_until"),
            "until": int(parse_iso(str(s["access_until"])).timestamp()),
        }
        for s in subscriptions
        if s.get("access_until")
    ]
    entries.sort(key=lambda g: (str(g["access_until"]), g["subscription_id"]), reverse=True)
    return unit.put(MEMBERSHIPS, {"id": user_id, "user_id": user_id, "grants": entries})
