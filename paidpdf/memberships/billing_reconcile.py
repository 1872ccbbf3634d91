"""Reconcile for memberships: subscriptions Stripe changed since the last run, applied as they are now.

Webhooks that never arrived must not leave a canceled member with access, nor a paying one without.
The Billing events since `since` name the subscriptions that changed (and the invoices to record);
each is synced through `lifecycle.sync_subscription`, the same path as a webhook. With no `since` (a
first run) every subscription of the account is listed instead. "The last run" is kept in the
`reconcile_runs` table of `sales` (`billing`), moved only after a run went through, with a few minutes
of overlap, so nothing that changed while a run listed is missed by the next. Joins whose checkout completed
without a webhook are completed from the checkout sessions `orders reconcile` already lists.
Idempotent: a second run writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from paidpdf.clock import iso, now, parse_iso
from paidpdf.errors import NotFound, PaymentMismatch
from paidpdf.memberships import lifecycle, plans
from paidpdf.memberships.billing_gateway import (
    INVOICE_EVENTS,
    list_billing_events,
    list_subscriptions,
    retrieve_invoice,
)
from paidpdf.memberships.join_records import is_join_session, join_for_session
from paidpdf.memberships.stripe_state import InvoiceFacts, invoice_facts
from paidpdf.memberships.subscriptions import SUBSCRIPTIONS
from paidpdf.sales.webhook_events import check_event_origin
from paidpdf.store import SALES, DataStore

if TYPE_CHECKING:  # stripe (and its HTTP libraries, ~30 MB) loads with the first payment call
    import stripe

RUNS = "reconcile_runs"
OVERLAP = timedelta(minutes=10)

log = logging.getLogger("paidpdf.memberships")


@dataclass
class BillingSummary:
    """What reconcile found: subscriptions looked at, changed (written), invoices recorded, joins."""

    subscriptions: int = 0
    changed: int = 0
    joins: int = 0
    refused: int = 0
    ids: list[str] = field(default_factory=list)


def last_run(store: DataStore) -> datetime | None:
    found = store.view(SALES).get(RUNS, "billing")
    return parse_iso(found["at"]) if found and found.get("at") else None


def reconcile(
    store: DataStore,
    client: stripe.StripeClient,
    since: datetime | None = None,
    *,
    livemode: bool,
    sessions: list[Mapping[str, Any]] = (),  # type: ignore[assignment]
) -> BillingSummary:
    """Sync every subscription changed since the last run (or `since`, whichever is earlier; all of
    them on a first run), and complete the joins among `sessions` (see the module docstring)."""
    if not plans.list_plans(store, include_retired=True) and not store.view(SALES).count(SUBSCRIPTIONS):
        return BillingSummary()  # a shop that never sold a membership asks Stripe nothing more
    started = now()
    previous = last_run(store)
    if since is None or previous is None:
        since = None if previous is None else previous
    else:
        since = min(since, previous)
    summary = _reconcile(store, client, since, livemode, sessions)
    with store.unit(SALES) as unit:
        unit.put(RUNS, {"id": "billing", "at": iso(started - OVERLAP)})
    return summary


def _reconcile(
    store: DataStore,
    client: stripe.StripeClient,
    since: datetime | None,
    livemode: bool,
    sessions: list[Mapping[str, Any]],
) -> BillingSummary:
    summary = BillingSummary()
    for session in sessions:
        if not is_join_session(session) or session.get("status") not in ("complete", "expired"):
            continue
        known = join_for_session(store.view(SALES), session)
        if known is not None and known["status"] == "pending":  # a join whose events never came
            change = lifecycle.complete_join(store, client, session, livemode=livemode, source="reconcile")
            if change.action in ("created", "updated", "expired"):
                summary.joins += 1
    wanted: dict[str, list[InvoiceFacts]] = {}
    if since is None:
        for sub in list_subscriptions(client):
            if bool(sub.get("livemode")) == livemode:
                wanted.setdefault(str(sub["id"]), [])
    else:
        for event in list_billing_events(client, since):
            try:
                check_event_origin(event, livemode=livemode)
            except PaymentMismatch as exc:
                log.warning("reconcile: %s", exc.message)
                summary.refused += 1
                continue
            obj = event["data"]["object"]
            if event["type"] in INVOICE_EVENTS:
                facts = invoice_facts(retrieve_invoice(client, str(obj["id"])))
                if facts.subscription_id:
                    wanted.setdefault(facts.subscription_id, []).append(facts)
            elif str(obj.get("id") or "").startswith("sub_"):
                wanted.setdefault(str(obj["id"]), [])
    for sub_id, invoices in wanted.items():
        summary.subscriptions += 1
        try:
            rounds: list[InvoiceFacts | None] = list(invoices) or [None]
            changes = [
                lifecycle.sync_subscription(store, client, sub_id, source="reconcile", invoice=facts)
                for facts in rounds
            ]
        except NotFound:
            continue
        if any(c.action in ("created", "updated") for c in changes):
            summary.changed += 1
            summary.ids.append(sub_id)
    return summary
