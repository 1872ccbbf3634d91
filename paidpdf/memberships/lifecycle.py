"""Billing events and completed joins: every one is a prompt to RETRIEVE the subscription from Stripe
and apply its current state, never a delta taken from the event.

Why: Stripe sends `customer.subscription.*`, `invoice.*` and `checkout.session.completed` late, twice
and out of order, from several servers at once. An event's own copy of the subscription may be older
than what the shop already knows, so it is only used to find the subscription's id. `sync_subscription`
retrieves the subscription, applies that state in one sales unit (`subscriptions.apply_state`, which
rewrites the reader's membership record in the same unit), and, when it wrote something, retrieves
it once more: if Stripe's state moved meanwhile (another server may have applied a newer state just
before this one's older copy), the newer state is applied too. So the last write always carries a
state Stripe held after every earlier write: replays and reordering cannot grant too much or revoke
too early. Invoices are recorded once by id in the same unit (`invoices.record`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from paidpdf.accounts import guest_accounts, users
from paidpdf.clock import iso, now, now_iso
from paidpdf.content.shop_secret import shop_secret
from paidpdf.errors import InvalidInput, NotFound
from paidpdf.licenses import member_keys
from paidpdf.memberships import invoices, records, subscriptions
from paidpdf.memberships.billing_gateway import (
    INVOICE_EVENTS,
    SUBSCRIPTION_EVENTS,
    retrieve_invoice,
    retrieve_subscription,
)
from paidpdf.memberships.join_records import JOINS, is_join_session, join_for_session, plan_of
from paidpdf.memberships.stripe_state import InvoiceFacts, invoice_facts, subscription_state
from paidpdf.memberships.subscriptions import SUBSCRIPTIONS, Change
from paidpdf.sales.orders import EVENTS
from paidpdf.sales.stripe_gateway import retrieve_session
from paidpdf.sales.tax_amounts import expected_tax, session_facts
from paidpdf.store import CATALOG, SALES, DataStore, Doc, Unit

if TYPE_CHECKING:  # stripe (and its HTTP libraries, ~30 MB) loads with the first payment call
    import stripe

log = logging.getLogger("paidpdf.memberships")

#: Rounds of retrieve-apply-confirm before giving up on a subscription that keeps changing.
CONFIRM_ROUNDS = 3


def handles(event_type: str, obj: Mapping[str, Any]) -> bool:
    """Whether a verified event is the memberships' (the webhook dispatches on this)."""
    if event_type in SUBSCRIPTION_EVENTS or event_type in INVOICE_EVENTS:
        return True
    if event_type.startswith("checkout.session."):
        return is_join_session(obj)
    return False


def handle_event(
    store: DataStore, client: stripe.StripeClient, event: Mapping[str, Any], *, livemode: bool
) -> Change:
    """Apply one verified Billing event (origin already checked by the caller)."""
    event_id = str(event["id"])
    kind = str(event["type"])
    obj: Mapping[str, Any] = event["data"]["object"]
    source = f"webhook {event_id}"
    if kind in SUBSCRIPTION_EVENTS:
        change = sync_subscription(store, client, str(obj.get("id") or ""), source=source)
    elif kind in INVOICE_EVENTS:
        inv = invoice_facts(retrieve_invoice(client, str(obj.get("id") or "")))
        if inv.subscription_id is None:
            change = Change("ignored", None, "invoice of no subscription")
        else:
            change = sync_subscription(store, client, inv.subscription_id, source=source, invoice=inv)
    elif kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        change = complete_join(store, client, retrieve_session(client, str(obj.get("id") or "")),
                               livemode=livemode, source=source)
    elif kind in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        change = close_join(store, obj, "expired" if kind.endswith("expired") else "failed")
    else:
        change = Change("ignored", None, f"event type {kind} is not handled")
    record_event(store, event_id, kind, change)
    return change


def record_event(store: DataStore, event_id: str, kind: str, change: Change) -> None:
    """Note the event (reconcile skips events seen; `subscriptions show` lists them)."""
    with store.unit(SALES) as unit:
        _note(unit, event_id, kind, change)


def _note(unit: Unit, event_id: str, kind: str, change: Change) -> None:
    sub = change.subscription
    unit.put(EVENTS, {
        "id": event_id, "type": kind, "order_id": None, "subscription_id": sub["id"] if sub else None,
        "outcome": change.action, "processed_at": now_iso(),
    })


def sync_subscription(
    store: DataStore,
    client: stripe.StripeClient,
    subscription_id: str,
    *,
    source: str,
    invoice: InvoiceFacts | None = None,
    owner: Doc | None = None,
) -> Change:
    """Retrieve the subscription, apply its current state in one unit, confirm (module docstring).

    `owner` (the reader) is needed only the first time, when no document names the subscription yet
    and its join was a guest's; otherwise it is found from the document or the join."""
    change = Change("ignored", None, "")
    secret = shop_secret(store)
    for _ in range(CONFIRM_ROUNDS):
        state = subscription_state(retrieve_subscription(client, subscription_id))
        who = _owner(store, client, state.id, state.metadata, owner)
        if who is None:
            return Change("waiting", None, "no reader yet: waiting for the checkout to complete")
        user, join = who
        plan = plan_of(store, str((join or {}).get("plan_id") or state.metadata.get("plan_id") or ""))
        with store.unit(SALES) as unit:
            change = subscriptions.apply_state(
                unit, state, user_id=user["id"], email=user["email"], plan=plan, source=source,
                join_id=(join or {}).get("id"),
            )
            if invoice is not None and change.subscription is not None:
                invoices.record(unit, invoice, change.subscription, source)
                invoice = None
            if change.action != "unchanged" and change.gives_access:  # its keys, in the unit that grants
                member_keys.issue_in(unit, secret, store.view(CATALOG), user["id"])
            if join is not None and join["status"] != "complete":
                unit.put(JOINS, {**join, "status": "complete", "subscription_id": state.id,
                                 "user_id": user["id"], "updated_at": now_iso()})
        if change.action == "created":
            records.mark_member(store, user["id"])
        if change.action == "unchanged":
            return change
        again = subscription_state(retrieve_subscription(client, subscription_id))
        if again == state:
            return change
    log.warning("subscription %s kept changing while it was applied", subscription_id)
    return change


def _owner(
    store: DataStore, client: stripe.StripeClient, sub_id: str, metadata: Mapping[str, str], owner: Doc | None
) -> tuple[Doc, Doc | None] | None:
    """(reader, join) for a subscription: from its document, its join, or the join's checkout email."""
    view = store.view(SALES)
    join_id = metadata.get("join_id") or ""
    join = view.get(JOINS, join_id) if join_id.startswith("join_") else None
    known = view.get(SUBSCRIPTIONS, sub_id)
    if known is not None:
        stored = {"id": known["user_id"], "email": known.get("email")}
        return users.get_user(store, known["user_id"]) or stored, join
    if owner is not None:
        return owner, join
    if join is None:
        return None
    if join.get("user_id"):
        user = users.get_user(store, join["user_id"])
        return (user, join) if user is not None else None
    if not join.get("stripe_session_id"):
        return None
    session = retrieve_session(client, join["stripe_session_id"])
    email = _email(session)
    if email is None or session.get("status") != "complete":
        return None
    try:
        return guest_accounts.account_for_checkout(store, email, join["id"]), join
    except InvalidInput:
        return None


def _email(session: Mapping[str, Any]) -> str | None:
    details = session.get("customer_details")
    email = details.get("email") if isinstance(details, Mapping) else None
    return email if isinstance(email, str) and email else None


def complete_join(
    store: DataStore, client: stripe.StripeClient, session: Mapping[str, Any], *, livemode: bool, source: str
) -> Change:
    """A join's Checkout Session, as retrieved from Stripe: a complete subscription-mode session syncs
    its subscription; a paid payment-mode session grants the pass; anything else changes nothing."""
    join = join_for_session(store.view(SALES), session)
    if join is None:
        return Change("ignored", None, "session names no join of this shop")
    reason = _mismatch(join, session, livemode)
    if reason:
        log.warning("join %s: %s", join["id"], reason)
        return Change("flagged", None, reason)
    if session.get("status") == "expired":
        return close_join(store, session, "expired")
    if session.get("status") != "complete":
        return Change("processing", None, "checkout session still open")
    owner = _session_owner(store, join, session)
    if owner is None:
        return Change("flagged", None, "a guest's checkout without a usable email address")
    if join["mode"] == "subscription":
        sub_id = session.get("subscription")
        sub_id = sub_id.get("id") if isinstance(sub_id, Mapping) else sub_id
        if not isinstance(sub_id, str):
            return Change("processing", None, "no subscription on the session yet")
        return sync_subscription(store, client, sub_id, source=source, owner=owner)
    if session.get("payment_status") != "paid":
        return Change("processing", None, "payment not confirmed yet")
    return grant_pass(store, join, session, owner, source)


def _session_owner(store: DataStore, join: Doc, session: Mapping[str, Any]) -> Doc | None:
    if join.get("user_id"):
        return users.get_user(store, join["user_id"])
    email = _email(session)
    if email is None:
        return None
    try:
        return guest_accounts.account_for_checkout(store, email, join["id"])
    except InvalidInput:
        return None


def _mismatch(join: Doc, session: Mapping[str, Any], livemode: bool) -> str:
    if session.get("mode") != join["mode"]:
        return f"mode is {session.get('mode')!r}, not {join['mode']!r}"
    if bool(session.get("livemode")) != livemode:
        return f"livemode is {bool(session.get('livemode'))}, expected {livemode}"
    if join.get("stripe_session_id") and join["stripe_session_id"] != session.get("id"):
        return f"session {session.get('id')} is not the join's session"
    if str(session.get("currency") or join["currency"]).lower() != join["currency"]:
        return f"currency {session.get('currency')!r} differs from the plan's {join['currency']!r}"
    on_top = expected_tax(join, session)  # an exclusive price's tax comes on top
    if join["mode"] == "payment" and session.get("amount_total") != join["amount"] + on_top:
        return f"amount_total {session.get('amount_total')!r} differs from the pass's {join['amount']}"
    return ""


def grant_pass(store: DataStore, join: Doc, session: Mapping[str, Any], owner: Doc, source: str) -> Change:
    """A paid pass: a `pass_…` subscription document giving access for the plan's `pass_days` from
    now, written once (the join's status makes repeats no-ops), with its payment as an invoice."""
    plan = plan_of(store, join["plan_id"])
    days = int(plan.get("pass_days") or 0)
    pass_id = "pass_" + join["id"].removeprefix("join_")
    pi = session.get("payment_intent")
    pi = pi.get("id") if isinstance(pi, Mapping) else pi
    secret = shop_secret(store)
    with store.unit(SALES) as unit:
        existing = unit.get(SUBSCRIPTIONS, pass_id)
        if existing is not None:
            return Change("unchanged", existing, "pass already granted")
        if days <= 0:
            return Change("flagged", None, f"plan {plan['id']} is no pass")
        start, stamp = now(), now_iso()
        end = iso(start + timedelta(days=days))
        sub: Doc = {
            "id": pass_id, "kind": "pass", "plan_id": plan["id"], "plan_title": plan.get("title"),
            "covers": plan.get("covers"), "user_id": owner["id"], "email": owner["email"],
            "join_id": join["id"], "livemode": bool(session.get("livemode")), "customer": None,
            "status": "active", "period_start": iso(start), "period_end": end, "cancel_at_period_end": True,
            "canceled_at": None, "ended_at": None, "trial_end": None, "latest_invoice": str(session["id"]),
            "amount": join["amount"], "currency": join["currency"], "interval": None,
            "access_status": "active", "access_until": end, "revoked_invoices": [], "created_at": stamp,
            "updated_at": stamp,
            "history": [{"at": stamp, "event": "paid", "detail": f"pass for {days} days", "source": source}],
        }
        unit.put(SUBSCRIPTIONS, sub)
        done = {"status": "complete", "subscription_id": pass_id, "user_id": owner["id"], "updated_at": stamp}
        unit.put(JOINS, {**unit.require(JOINS, join["id"], "join"), **done})
        paid, taxed = join["amount"] + expected_tax(join, session), session_facts(session)
        invoices.record(unit, InvoiceFacts(
            id=str(session["id"]), subscription_id=pass_id, customer=None, status="paid",
            amount_paid=paid, amount_due=paid, currency=join["currency"],
            period_start=iso(start), period_end=end, payment_intent=pi if isinstance(pi, str) else None,
            billing_reason="pass", paid_at=stamp, created=stamp, tax=taxed["tax"],
            tax_behavior=join.get("tax_behavior"), buyer_country=taxed["buyer_country"],
            buyer_state=taxed["buyer_state"],
            tax_ids=tuple((t["type"], t["value"]) for t in taxed["tax_ids"]),
        ), sub, source)
        from paidpdf.memberships import notices

        queued = notices.queue_for_change(unit, None, sub)
        subscriptions.rewrite_record(unit, owner["id"])
        member_keys.issue_in(unit, secret, store.view(CATALOG), owner["id"])
        granted = unit.get(SUBSCRIPTIONS, pass_id)
    records.mark_member(store, owner["id"])
    return Change("created", granted, f"pass until {end}", queued)


def close_join(store: DataStore, session: Mapping[str, Any], status: str) -> Change:
    """An expired or failed join checkout: the pending join is closed (a complete one is untouched)."""
    with store.unit(SALES) as unit:
        join = join_for_session(unit, session)
        if join is None:
            return Change("ignored", None, "session names no join of this shop")
        if join["status"] == "pending":
            unit.put(JOINS, {**join, "status": status, "updated_at": now_iso()})
            return Change(status, None, f"join {join['id']} {status}")
        return Change("unchanged", None, f"join is {join['status']}")


def find_subscription(store: DataStore, key: str) -> Doc:
    """A subscription by its id, or the newest of the reader with this email (`subscriptions show`)."""
    view = store.view(SALES)
    if "@" in key:
        user = users.find_user(store, key)
        rows = subscriptions.find_for_user(view, user["id"]) if user else []
        if not rows:
            raise NotFound(f"no subscription for {key[:100]!r}")
        return rows[0]
    found = view.get(SUBSCRIPTIONS, key.strip())
    if found is None:
        raise NotFound(f"no subscription {key.strip()[:64]!r} (see `paidpdf subscriptions list`)")
    return found
