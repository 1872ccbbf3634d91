"""Subscriptions as the shop keeps them, and the ONE function that changes one: `apply_state`.

A subscription document (`subscriptions` table of `sales`, id = Stripe's `sub_…`, or `pass_…` for a
fixed-term pass) mirrors what Stripe last said about it, plus what the shop adds: its reader, plan and
covers, the invoices refunded or disputed, and `access_until`. `apply_state` writes Stripe's CURRENT
state (never a delta from an event), then rewrites the reader's membership record
(`records.rewrite`) and queues the mails the change calls for (`notices`), all inside the caller's
sales unit: replays and reordered events cannot grant too much or revoke too early, and a change is
never half-written.

Access rule (see docs/memberships.md): a reading Stripe status (active, trialing, past_due) until the
period end; a renewing membership (not set to cancel) keeps `RENEWAL_GRACE` past it, so a renewal whose
event is late does not lock a paying member out; the latest invoice refunded or disputed gives nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from paidpdf.clock import iso, now_iso, parse_iso
from paidpdf.hooks import events as hook_events
from paidpdf.memberships import notices, records
from paidpdf.memberships.stripe_state import SubscriptionState
from paidpdf.sales.orders import EVENTS
from paidpdf.store import SALES, DataStore, Doc, Unit, View

SUBSCRIPTIONS = "subscriptions"
RENEWAL_GRACE = timedelta(days=1)
#: Statuses after which Stripe never bills the subscription again.
ENDED = frozenset({"canceled", "incomplete_expired"})
#: Status names `subscriptions list --status` accepts.
LIST_STATUSES = ("active", "trialing", "past_due", "canceled", "unpaid", "incomplete", "paused", "refunded")

__all__ = ["SALES", "SUBSCRIPTIONS", "Change", "apply_state", "find_for_user", "get", "public"]


@dataclass(frozen=True)
class Change:
    """What `apply_state` (and the paths built on it) did: `action` is a short word the adapters log."""

    action: str
    subscription: Doc | None
    detail: str = ""
    notices: list[str] = field(default_factory=list)

    @property
    def gives_access(self) -> bool:
        sub = self.subscription
        return bool(sub) and access_now(sub or {})


def get(view: View, subscription_id: str) -> Doc:
    return view.require(SUBSCRIPTIONS, subscription_id, "subscription")


def find_for_user(view: View, user_id: str) -> list[Doc]:
    """The reader's subscriptions and passes, newest first."""
    rows = view.find(SUBSCRIPTIONS, "user_id", user_id)
    return sorted(rows, key=lambda s: (s.get("created_at") or "", s["id"]), reverse=True)


def list_all(view: View, status: str | None = None) -> list[Doc]:
    """Every subscription and pass, newest first; with `status`, those whose Stripe status (or, for
    `refunded`, access) is that."""
    rows = view.all(SUBSCRIPTIONS)
    if status is not None:
        rows = [s for s in rows if status in (s.get("status"), s.get("access_status"))]
    return sorted(rows, key=lambda s: (s.get("created_at") or "", s["id"]), reverse=True)


def events_of(view: View, subscription_id: str) -> list[Doc]:
    """The Stripe events that named the subscription, oldest first (an admin's read: a scan)."""
    rows = view.where(EVENTS, lambda e: e.get("subscription_id") == subscription_id)
    return sorted(rows, key=lambda e: (e.get("processed_at") or "", e["id"]))


def access_now(sub: Doc) -> bool:
    until = sub.get("access_until")
    from paidpdf import clock

    return (
        sub.get("access_status") in records.ACCESS_STATUSES
        and isinstance(until, str)
        and clock.now() < parse_iso(until)
    )


def public(sub: Doc) -> dict[str, Any]:
    """The subscription as scripts see it (`--json`)."""
    keys = (
        "id", "kind", "plan_id", "user_id", "email", "customer", "status", "access_status",
        "access_until", "period_start", "period_end", "cancel_at_period_end", "canceled_at", "ended_at",
        "trial_end", "amount", "currency", "interval", "latest_invoice", "revoked_invoices",
        "created_at", "updated_at", "history",
    )
    return {k: sub.get(k) for k in keys}


def _access(
    kind: str, status: str, period_end: str | None, renews: bool, revoked: bool
) -> tuple[str, str | None]:
    """(access status, access until) for a subscription's state. The end does not depend on `revoked`
    (a refunded status gives nothing whatever the end), so a dispute applied before or after the
    state, and a dispute won later (`restore_invoice`), leave the same document."""
    access = "refunded" if revoked else status
    if period_end is None:
        return access, None
    if kind == "subscription" and renews and status in ("active", "trialing"):
        return access, iso(parse_iso(period_end) + RENEWAL_GRACE)
    return access, period_end


def apply_state(
    unit: Unit,
    state: SubscriptionState,
    *,
    user_id: str,
    email: str,
    plan: Doc,
    source: str,
    join_id: str | None = None,
) -> Change:
    """Make the stored subscription say what Stripe says now (`state`), inside a sales unit.

    Idempotent: the same state again writes nothing. The reader's membership record is rewritten in
    the same unit and the mails the change calls for are queued once each (`notices`)."""
    before = unit.get(SUBSCRIPTIONS, state.id)
    revoked = list((before or {}).get("revoked_invoices") or [])
    renews = state.status not in ENDED and not state.cancel_at_period_end
    access_status, until = _access(
        "subscription", state.status, state.period_end, renews, bool(state.latest_invoice in revoked)
    )
    facts = {
        "status": state.status,
        "customer": state.customer,
        "period_start": state.period_start,
        "period_end": state.period_end,
        "cancel_at_period_end": state.cancel_at_period_end,
        "canceled_at": state.canceled_at,
        "ended_at": state.ended_at,
        "trial_end": state.trial_end,
        "latest_invoice": state.latest_invoice,
        "amount": state.amount or (before or {}).get("amount") or int(plan.get("price") or 0),
        "currency": state.currency or str(plan.get("currency") or ""),
        "interval": state.interval or plan.get("interval"),
        "access_status": access_status,
        "access_until": until,
    }
    if before is not None and all(before.get(k) == v for k, v in facts.items()):
        return Change("unchanged", before, "already up to date")
    stamp = now_iso()
    base: Doc = before or {
        "id": state.id,
        "kind": "subscription",
        "plan_id": plan["id"],
        "plan_title": plan.get("title") or plan["id"],
        "covers": plan.get("covers"),
        "user_id": user_id,
        "email": email,
        "join_id": join_id,
        "livemode": state.livemode,
        "revoked_invoices": [],
        "created_at": stamp,
        "history": [],
    }
    detail = _describe(facts)
    sub = {
        **base,
        **facts,
        "updated_at": stamp,
        "history": [*base.get("history", []), _entry("state", detail, source, stamp)],
    }
    unit.put(SUBSCRIPTIONS, sub)
    hook_events.subscription_changed(unit, before, sub)
    sent = notices.queue_for_change(unit, before, sub)
    rewrite_record(unit, sub["user_id"])
    return Change("created" if before is None else "updated", sub, detail, sent)


def save(unit: Unit, sub: Doc, event: str, detail: str, source: str, **changes: Any) -> Doc:
    """A new version of a subscription with one more history entry; the record is rewritten too."""
    stamp = now_iso()
    updated = {
        **sub,
        **changes,
        "updated_at": stamp,
        "history": [*sub.get("history", []), _entry(event, detail, source, stamp)],
    }
    unit.put(SUBSCRIPTIONS, updated)
    rewrite_record(unit, updated["user_id"])
    hook_events.subscription_changed(unit, sub, updated)
    return updated


def revoke_invoice(unit: Unit, sub: Doc, invoice_id: str, why: str, source: str) -> Doc:
    """A refund or dispute of `invoice_id`: when it is the latest, the membership gives nothing."""
    revoked = list(sub.get("revoked_invoices") or [])
    if invoice_id in revoked:
        return sub
    revoked.append(invoice_id)
    changes: dict[str, Any] = {"revoked_invoices": revoked}
    if sub.get("latest_invoice") == invoice_id or sub.get("kind") == "pass":
        changes["access_status"] = "refunded"
    before = dict(sub)
    updated = save(unit, sub, "revoked", f"invoice {invoice_id} {why}: access ended", source, **changes)
    notices.queue_for_change(unit, before, updated)
    return updated


def restore_invoice(unit: Unit, sub: Doc, invoice_id: str, source: str) -> Doc:
    """A dispute won: the invoice pays for its period again."""
    revoked = [i for i in sub.get("revoked_invoices") or [] if i != invoice_id]
    if len(revoked) == len(sub.get("revoked_invoices") or []):
        return sub
    changes: dict[str, Any] = {"revoked_invoices": revoked}
    if sub.get("kind") == "pass":
        changes["access_status"] = "active"
    elif sub.get("latest_invoice") == invoice_id:  # what `apply_state` computes for this state now
        status = str(sub.get("status") or "")
        renews = status not in ENDED and not sub.get("cancel_at_period_end")
        changes["access_status"], changes["access_until"] = _access(
            "subscription", status, sub.get("period_end"), renews, False
        )
    why = f"invoice {invoice_id} dispute won: access restored"
    return save(unit, sub, "restored", why, source, **changes)


def _entry(event: str, detail: str, source: str, stamp: str) -> Doc:
    return {"at": stamp, "event": event, "detail": detail, "source": source}


def refresh_plan(store: DataStore, plan: Doc) -> int:
    """After `plans edit`: the plan's members' documents and records take its new covers and title
    (an admin's command, so scanning the subscriptions is fine here). Returns how many changed."""
    changed = 0
    with store.unit(SALES) as unit:
        for sub in unit.where(SUBSCRIPTIONS, lambda s: s.get("plan_id") == plan["id"]):
            if sub.get("covers") != plan.get("covers") or sub.get("plan_title") != plan.get("title"):
                fresh = {"covers": plan.get("covers"), "plan_title": plan.get("title")}
                unit.put(SUBSCRIPTIONS, {**sub, **fresh})
                rewrite_record(unit, sub["user_id"])
                changed += 1
    return changed


def rewrite_record(unit: Unit, user_id: str) -> Doc:
    return records.rewrite(unit, user_id, unit.find(SUBSCRIPTIONS, "user_id", user_id))


def _describe(facts: dict[str, Any]) -> str:
    text = f"{facts['status']}, period ends {facts['period_end'] or '-'}"
    if facts["cancel_at_period_end"]:
        text += ", cancels at period end"
    if facts["access_status"] != facts["status"]:
        text += f", access {facts['access_status']}"
    return text
