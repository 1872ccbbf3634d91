"""Reconcile: what Stripe knows and the shop missed, applied through the same paths as webhooks.

Paid sessions the webhooks never delivered are fulfilled, expired ones closed, and refund, dispute and
failed-payment events the shop never processed replayed (through `webhook_events.handle_event`, so
each id still counts once). Memberships are reconciled too (`memberships.billing_reconcile`): the
joins among the sessions, and every subscription changed since the last run. Idempotent: a second
run finds everything done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from paidpdf.config import Settings
from paidpdf.errors import PaymentMismatch
from paidpdf.sales import fulfilment, orders
from paidpdf.sales.stripe_gateway import list_events, list_sessions, livemode
from paidpdf.sales.webhook_events import handle_event
from paidpdf.store import DataStore

if TYPE_CHECKING:  # stripe (and its HTTP libraries, ~30 MB) loads with the first payment call
    import stripe

log = logging.getLogger("paidpdf.payments")


@dataclass
class ReconcileSummary:
    """Counts of what reconcile found and did (`fulfilled` are purchases the webhooks had missed)."""

    sessions: int = 0
    fulfilled: int = 0
    expired: int = 0
    already: int = 0
    processing: int = 0
    flagged: int = 0
    foreign: int = 0
    events: int = 0
    events_applied: int = 0
    refused: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    #: What reconciling memberships did (`billing_reconcile.BillingSummary`).
    memberships: Any = None


def reconcile(
    store: DataStore,
    client: stripe.StripeClient,
    since: datetime | None,
    *,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
) -> ReconcileSummary:
    """Ask Stripe for the sessions since `since`: fulfil paid ones the webhooks missed, close expired
    ones; then replay refund, dispute and failed-payment events the shop never processed.
    Idempotent: a second run finds everything already done."""
    from paidpdf.memberships import billing_reconcile, join_records

    listed = list_sessions(client, since)
    sessions = [s for s in listed if not join_records.is_join_session(s)]
    events = list_events(client, since)
    total = len(sessions) + len(events)
    summary = ReconcileSummary(sessions=len(sessions), events=len(events))
    mode = livemode(settings)
    for done, session in enumerate(sessions, start=1):
        if session.get("status") == "expired":
            outcome = fulfilment.expire(store, session, source="reconcile")
        else:
            outcome = fulfilment.fulfil(store, session, livemode=mode, source="reconcile")
        action = "foreign" if outcome.action == "ignored" else outcome.action
        summary.actions[action] = summary.actions.get(action, 0) + 1
        if action in ("fulfilled", "expired", "processing", "flagged", "foreign"):
            setattr(summary, action, getattr(summary, action) + 1)
        elif action in ("already", "unchanged", "mismatch"):
            summary.already += 1
        if progress is not None:
            progress(done, total)
    for done, event in enumerate(events, start=len(sessions) + 1):
        if not orders.event_seen(store.view(orders.SALES), str(event["id"])):
            try:
                outcome = handle_event(store, event, livemode=mode, client=client)
            except PaymentMismatch as exc:
                log.warning("reconcile: %s", exc.message)
                summary.refused += 1
                continue
            if outcome.action not in ("duplicate", "ignored"):
                summary.events_applied += 1
        if progress is not None:
            progress(done, total)
    summary.memberships = billing_reconcile.reconcile(
        store, client, livemode=mode, sessions=[s for s in listed if join_records.is_join_session(s)]
    )
    return summary
