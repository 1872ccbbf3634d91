"""Membership mails owed to readers: queued once each, in the unit that made the change, sent later.

Kinds: `welcome` (a membership first gives access), `payment_failed` (a renewal failed: the member is
past due; one per invoice), `cancel_confirmed` (set to cancel at period end, or canceled), and
`access_ended` (a membership that gave access no longer does: canceled, unpaid, refunded). A notice's
id names its subscription, kind and occasion, so however many events, servers or replays report a
change, the mail is queued once. The web's mailer claims due notices (`claim`: due → sending, so two
servers never both send one) and marks them `sent`, like receipts (`paidpdf.sales.receipts`).
"""

from __future__ import annotations

from datetime import timedelta

from paidpdf import clock
from paidpdf.clock import iso, now_iso
from paidpdf.store import SALES, DataStore, Doc, Unit, View

NOTICES = "notices"
KINDS = ("welcome", "payment_failed", "cancel_confirmed", "access_ended")
DUE, SENDING, SENT = "due", "sending", "sent"
RECLAIM_AFTER = timedelta(minutes=10)
_READING = frozenset({"active", "trialing", "past_due"})


def queue_for_change(unit: Unit, before: Doc | None, after: Doc) -> list[str]:
    """Queue the notices the change `before` → `after` of one subscription calls for; their kinds."""
    was = bool(before) and (before or {}).get("access_status") in _READING
    now_reading = after.get("access_status") in _READING
    wanted: list[tuple[str, str]] = []
    if now_reading and not was and not _exists(unit, after["id"], "welcome", ""):
        wanted.append(("welcome", ""))
    if after.get("status") == "past_due" and (before or {}).get("status") != "past_due":
        wanted.append(("payment_failed", str(after.get("latest_invoice") or after.get("period_end") or "")))
    cancel_set = bool(after.get("cancel_at_period_end")) and not (before or {}).get("cancel_at_period_end")
    canceled_now = after.get("status") == "canceled" and (before or {}).get("status") != "canceled"
    if cancel_set or (canceled_now and not (before or {}).get("cancel_at_period_end")):
        wanted.append(("cancel_confirmed", str(after.get("canceled_at") or after.get("period_end") or "")))
    if was and not now_reading:  # once per paid invoice whose access ended (a replay finds it queued)
        wanted.append(("access_ended", str(after.get("latest_invoice") or after.get("period_end") or "")))
    queued = []
    for kind, occasion in wanted:
        if not _exists(unit, after["id"], kind, occasion):
            unit.put(NOTICES, _notice(after, kind, occasion))
            queued.append(kind)
    return queued


def _notice_id(subscription_id: str, kind: str, occasion: str) -> str:
    return f"{subscription_id}:{kind}:{occasion}" if occasion else f"{subscription_id}:{kind}"


def _exists(view: View, subscription_id: str, kind: str, occasion: str) -> bool:
    return view.get(NOTICES, _notice_id(subscription_id, kind, occasion)) is not None


def _notice(sub: Doc, kind: str, occasion: str) -> Doc:
    return {
        "id": _notice_id(sub["id"], kind, occasion),
        "kind": kind,
        "subscription_id": sub["id"],
        "user_id": sub["user_id"],
        "email": sub.get("email"),
        "plan_id": sub.get("plan_id"),
        "plan_title": sub.get("plan_title"),
        "access_until": sub.get("access_until"),
        "status": DUE,
        "created_at": now_iso(),
        "claimed_at": None,
    }


def due(view: View, limit: int = 50) -> list[Doc]:
    """Notices waiting to be mailed (and ones whose sender vanished `RECLAIM_AFTER` ago), oldest first."""
    stale = iso(clock.now() - RECLAIM_AFTER)
    rows = view.find(NOTICES, "status", DUE) + [
        n for n in view.find(NOTICES, "status", SENDING) if (n.get("claimed_at") or "") < stale
    ]
    return sorted(rows, key=lambda n: (n.get("created_at") or "", n["id"]))[:limit]


def claim(store: DataStore, notice_id: str) -> Doc | None:
    """Take a due notice for sending (None: another thread or server has it, or it was sent)."""
    stale = iso(clock.now() - RECLAIM_AFTER)
    with store.unit(SALES) as unit:
        current = unit.get(NOTICES, notice_id)
        if current is None or current["status"] == SENT:
            return None
        if current["status"] == SENDING and (current.get("claimed_at") or "") >= stale:
            return None
        return unit.put(NOTICES, {**current, "status": SENDING, "claimed_at": now_iso()})


def mark(store: DataStore, notice_id: str, status: str) -> None:
    """`sent` after the mail went out, or `due` again after it failed."""
    with store.unit(SALES) as unit:
        current = unit.get(NOTICES, notice_id)
        if current is not None:
            unit.put(NOTICES, {**current, "status": status, "done_at": now_iso() if status == SENT else None})
