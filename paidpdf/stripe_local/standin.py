"""The stand-in's state and operations: sessions, payments, refunds, disputes, events and webhooks.

This is the stand-in's own little domain. The Bottle app (`app.py`) only parses requests and renders
what these methods return; tests and the demo call the same methods directly (through `StripeLocal`)
for the things a browser would do on Stripe's side (pay, decline, dispute...).

Thread safety: one re-entrant lock guards every object; webhook HTTP calls and timers run on the
scheduler's workers *outside* that lock. Every method returns deep copies, so callers can never change
the stored objects by accident.
"""

from __future__ import annotations

import contextlib
import copy
import heapq
import http.client
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from paidpdf.stripe_local import objects, params
from paidpdf.stripe_local.api_errors import ApiError, invalid, no_such
from paidpdf.stripe_local.config import Config
from paidpdf.stripe_local.scheduler import Scheduler
from paidpdf.stripe_local.signing import signature_header

Obj = dict[str, Any]

PAY_METHODS = ("card", "delayed_success", "delayed_failure", "delayed", "decline")
DISPUTE_REASONS = (
    "bank_cannot_process",
    "credit_not_processed",
    "customer_initiated",
    "debit_not_authorized",
    "duplicate",
    "fraudulent",
    "general",
    "incorrect_account_details",
    "insufficient_funds",
    "product_not_received",
    "product_unacceptable",
    "subscription_canceled",
    "unrecognized",
)
OPEN_DISPUTE = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")
WEBHOOK_MODES = ("on", "paused", "dropped")
SWEEP_EVERY = 5.0

_KINDS = {
    "cs_": ("sessions", "checkout.session"),
    "pi_": ("intents", "payment_intent"),
    "ch_": ("charges", "charge"),
    "re_": ("refunds", "refund"),
    "dp_": ("disputes", "dispute"),
    "evt_": ("events", "event"),
}


@dataclass(frozen=True)
class RequestInfo:
    """Who asked: copied into the `request` field of the events an API call causes (None for customers)."""

    id: str | None = None
    idempotency_key: str | None = None


CUSTOMER = RequestInfo()


class StandIn:
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
        }
        self._private: dict[str, Obj] = {}  # session id -> line items, payment_intent_data, page token
        self._payloads: dict[str, str] = {}  # event id -> the exact JSON body Stripe would send
        self._deliveries: dict[str, Obj] = {}
        self._idempotency: dict[tuple[str, str], tuple[str, int, Obj]] = {}
        self._webhook_mode = "on"
        self._async_pending = 0
        self._sweeping = False
        self._closed = False
        self._expiries: list[tuple[int, str]] = []  # heap of (expires_at, session id) of open sessions
        self._load()

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Stop the delivery workers (pending deliveries are abandoned, the state stays readable)."""
        with self._lock:
            self._closed = True
            self._changed.notify_all()
        self.scheduler.close()

    def now(self) -> int:
        return int(self.config.clock())

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

    # ------------------------------------------------------------------ checkout sessions

    def create_session(self, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        now = self.now()
        values = params.session_create(raw, now)
        expand = params.expand(raw)
        with self._lock:
            session_id = objects.new_id("cs_test_", 58)
            page_url = f"{self.public_url}/pay/{session_id}"
            session = objects.checkout_session(values, now, page_url, session_id)
            if session["success_url"]:
                session["success_url"] = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
            if session["cancel_url"]:
                session["cancel_url"] = session["cancel_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
            self._store["sessions"][session_id] = session
            self._private[session_id] = {
                "line_items": [objects.line_item(item, now) for item in values["line_items"]],
                "payment_intent_data": values["payment_intent_data"],
                "page_token": secrets.token_urlsafe(24),
            }
            heapq.heappush(self._expiries, (session["expires_at"], session_id))
            self._save()
            self._start_sweeper()
            return self.render(session, expand)

    def get_session(self, session_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            self._sweep()
            return self.render(self._require(session_id, "sessions", "session"), list(expand))

    def list_sessions(self, raw: Obj) -> Obj:
        params.check_known(
            raw,
            {
                "created",
                "customer",
                "customer_details",
                "ending_before",
                "expand",
                "limit",
                "payment_intent",
                "payment_link",
                "starting_after",
                "status",
                "subscription",
            },
        )
        created = params.range_filter(raw, "created")
        status = (
            params.enum(raw["status"], "status", ("open", "complete", "expired"))
            if params.present(raw.get("status"))
            else None
        )
        intent = (
            params.string(raw["payment_intent"], "payment_intent")
            if params.present(raw.get("payment_intent"))
            else None
        )
        email = None
        if params.present(raw.get("customer_details")):
            details = params.hash_(raw["customer_details"], "customer_details")
            params.check_known(details, {"email"}, "customer_details")
            email = (
                params.email(details["email"], "customer_details[email]") if details.get("email") else None
            )
        with self._lock:
            self._sweep()
            found = [
                s
                for s in reversed(self._store["sessions"].values())
                if params.in_range(s["created"], created)
                and (status is None or s["status"] == status)
                and (intent is None or s["payment_intent"] == intent)
                and (email is None or (s["customer_details"] or {}).get("email") == email)
            ]
            return self._page(found, raw, "/v1/checkout/sessions", "checkout.session")

    def session_line_items(self, session_id: str, raw: Obj) -> Obj:
        params.check_known(raw, {"ending_before", "expand", "limit", "starting_after"})
        with self._lock:
            self._require(session_id, "sessions", "session")
            items = self._private[session_id]["line_items"]
            return self._page(items, raw, f"/v1/checkout/sessions/{session_id}/line_items", "line_item")

    def expire_session(self, session_id: str, request: RequestInfo = CUSTOMER) -> Obj:
        with self._lock:
            session = self._require(session_id, "sessions", "session")
            if session["status"] != "open":
                raise ApiError(
                    'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session '
                    f'has a status of "{session["status"]}".'
                )
            self._expire(session, request)
            self._save()
            return self.render(session, [])

    def page_view(self, session_id: str) -> Obj:
        """What the hosted page shows: the session, its products and the form token."""
        with self._lock:
            self._sweep()
            session = self._require(session_id, "sessions", "session")
            private = self._private[session_id]
            return {
                "session": self.render(session, []),
                "products": [
                    {
                        "name": li["_product"]["name"],
                        "description": li["_product"]["description"],
                        "images": li["_product"]["images"],
                        "quantity": li["quantity"],
                        "amount": li["amount_total"],
                        "currency": li["currency"],
                    }
                    for li in private["line_items"]
                ],
                "token": private["page_token"],
            }

    def check_page_token(self, session_id: str, token: str) -> bool:
        with self._lock:
            private = self._private.get(session_id)
            return private is not None and secrets.compare_digest(private["page_token"], token)

    # ------------------------------------------------------------------ paying (the customer's side)

    def pay(self, session_id: str, method: str = "card", delay: float | None = None) -> Obj:
        """What the buyer does on the hosted page.

        `card`: complete and paid at once. `delayed_success` / `delayed_failure`: complete but unpaid,
        then after `delay` (default `config.async_delay`) seconds the async result. `delayed`: complete
        and unpaid until `settle()` is called. `decline`: raises a 402 card error, the session stays open.
        """
        if method not in PAY_METHODS:
            raise invalid("method", f"Invalid method: must be one of {', '.join(PAY_METHODS)}")
        with self._lock:
            self._sweep()
            session = self._require(session_id, "sessions", "session")
            if session["status"] == "expired":
                raise ApiError(
                    "This Checkout Session has expired and can no longer be paid.",
                    code="checkout_session_expired",
                    param="session",
                )
            if session["status"] == "complete":
                raise ApiError(
                    "This Checkout Session is already complete.",
                    code="checkout_session_complete",
                    param="session",
                )
            if method == "decline":
                raise ApiError(
                    "Your card was declined.",
                    status=402,
                    type="card_error",
                    code="card_declined",
                    decline_code="generic_decline",
                    param="payment_method",
                )
            now = self.now()
            kind = "card" if method == "card" else "us_bank_account"
            email = session["customer_email"] or "buyer@example.com"
            intent = objects.payment_intent(
                session, self._private[session_id]["payment_intent_data"], now, kind
            )
            charge = objects.charge(intent, email, now, kind)
            intent["latest_charge"] = charge["id"]
            self._store["intents"][intent["id"]] = intent
            self._store["charges"][charge["id"]] = charge
            session.update(
                status="complete",
                payment_intent=intent["id"],
                customer_details=objects.customer_details(email),
            )
            self._emit("payment_intent.created", intent, CUSTOMER)
            if method == "card":
                self._succeed(charge, intent)
                session["payment_status"] = "paid"
            else:
                self._emit("payment_intent.processing", intent, CUSTOMER)
                self._emit("charge.pending", charge, CUSTOMER)
            self._emit("checkout.session.completed", session, CUSTOMER)
            if method in ("delayed_success", "delayed_failure"):
                outcome = "succeeded" if method == "delayed_success" else "failed"
                self._async_pending += 1
                wait = self.config.async_delay if delay is None else delay
                self.scheduler.call_later(wait, lambda: self._settle_later(session_id, outcome))
            self._save()
            return self.render(session, [])

    def settle(self, session_id: str, outcome: str) -> Obj:
        """Finish a delayed payment: `succeeded` or `failed` (sends the async checkout event)."""
        if outcome not in ("succeeded", "failed"):
            raise invalid("outcome", "Invalid outcome: must be one of succeeded, failed")
        with self._lock:
            session = self._require(session_id, "sessions", "session")
            intent = self._store["intents"].get(session["payment_intent"] or "")
            if session["status"] != "complete" or intent is None or intent["status"] != "processing":
                raise ApiError(
                    "This Checkout Session has no payment in processing to settle.", param="session"
                )
            charge = self._store["charges"][intent["latest_charge"]]
            if outcome == "succeeded":
                self._succeed(charge, intent)
                session["payment_status"] = "paid"
                self._emit("checkout.session.async_payment_succeeded", session, CUSTOMER)
            else:
                charge.update(
                    status="failed",
                    failure_code="insufficient_funds",
                    failure_message="The customer's account has insufficient funds to cover this payment.",
                    outcome={
                        "network_status": "declined_by_network",
                        "reason": "insufficient_funds",
                        "risk_level": "normal",
                        "seller_message": "The bank returned the decline code `insufficient_funds`.",
                        "type": "issuer_declined",
                    },
                )
                intent.update(
                    status="requires_payment_method",
                    last_payment_error={
                        "code": "payment_method_customer_decline",
                        "message": charge["failure_message"],
                        "type": "card_error",
                        "charge": charge["id"],
                    },
                )
                self._emit("charge.failed", charge, CUSTOMER)
                self._emit("payment_intent.payment_failed", intent, CUSTOMER)
                self._emit("checkout.session.async_payment_failed", session, CUSTOMER)
            self._save()
            return self.render(session, [])

    def _settle_later(self, session_id: str, outcome: str) -> None:
        with self._lock:
            self._async_pending -= 1
            with contextlib.suppress(ApiError):  # settled by hand in the meantime
                self.settle(session_id, outcome)
            self._changed.notify_all()

    def _succeed(self, charge: Obj, intent: Obj) -> None:
        charge.update(
            status="succeeded",
            paid=True,
            captured=True,
            amount_captured=charge["amount"],
            outcome=objects.succeeded_outcome(),
            receipt_url=f"{self.public_url}/receipts/{charge['id']}",
        )
        intent.update(status="succeeded", amount_received=intent["amount"])
        self._emit("charge.succeeded", charge, CUSTOMER)
        self._emit("payment_intent.succeeded", intent, CUSTOMER)

    # ------------------------------------------------------------------ payment intents, charges

    def get_payment_intent(self, intent_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(intent_id, "intents", "intent"), list(expand))

    def get_charge(self, charge_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(charge_id, "charges", "charge"), list(expand))

    # ------------------------------------------------------------------ refunds

    def create_refund(self, raw: Obj, request: RequestInfo = CUSTOMER) -> Obj:
        params.check_known(
            raw,
            {
                "amount",
                "charge",
                "currency",
                "customer",
                "expand",
                "instructions_email",
                "metadata",
                "origin",
                "payment_intent",
                "reason",
                "refund_application_fee",
                "reverse_transfer",
            },
        )
        expand = params.expand(raw)
        meta = params.metadata(raw.get("metadata"), "metadata")
        reason = (
            params.enum(raw["reason"], "reason", ("duplicate", "fraudulent", "requested_by_customer"))
            if params.present(raw.get("reason"))
            else None
        )
        amount = params.integer(raw["amount"], "amount") if params.present(raw.get("amount")) else None
        if amount is not None and amount < 1:
            raise invalid(
                "amount", "This value must be greater than or equal to 1.", "parameter_invalid_integer"
            )
        with self._lock:
            charge = self._charge_for(raw.get("payment_intent"), raw.get("charge"))
            if charge["disputed"]:
                raise ApiError(
                    f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                    code="charge_disputed",
                )
            remaining = charge["amount"] - charge["amount_refunded"]
            if remaining <= 0:
                raise ApiError(
                    f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
                )
            if amount is None:
                amount = remaining
            if amount > remaining:
                raise ApiError(
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                    param="amount",
                    code="amount_too_large",
                )
            refund = objects.refund(charge, amount, reason, meta, self.now())
            self._store["refunds"][refund["id"]] = refund
            before = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            self._emit("charge.refunded", charge, request, previous=before)
            self._emit("refund.created", refund, request)
            self._save()
            return self.render(refund, expand)

    def get_refund(self, refund_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(refund_id, "refunds", "refund"), list(expand))

    def _charge_for(self, intent_id: Any, charge_id: Any) -> Obj:
        if params.present(charge_id):
            charge = self._require(params.string(charge_id, "charge"), "charges", "charge")
            if params.present(intent_id) and charge["payment_intent"] != intent_id:
                raise invalid("payment_intent", "The charge does not belong to this payment_intent")
        elif params.present(intent_id):
            intent = self._require(params.string(intent_id, "payment_intent"), "intents", "payment_intent")
            if not intent["latest_charge"]:
                raise ApiError(
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                    param="payment_intent",
                    code="charge_not_refundable",
                )
            charge = self._store["charges"][intent["latest_charge"]]
        else:
            raise ApiError(
                "One of the following params should be provided for this request: payment_intent or charge.",
                code="parameter_missing",
            )
        if charge["status"] != "succeeded":
            raise ApiError(
                f"This charge ({charge['id']}) has not succeeded and cannot be refunded or disputed.",
                code="charge_not_refundable",
            )
        return charge

    # ------------------------------------------------------------------ disputes (test controls)

    def create_dispute(
        self,
        payment_intent: str | None = None,
        charge: str | None = None,
        reason: str = "fraudulent",
        amount: int | None = None,
    ) -> Obj:
        """The buyer's bank disputes a payment: `charge.dispute.created` (+ `funds_withdrawn`)."""
        if reason not in DISPUTE_REASONS:
            raise invalid("reason", f"Invalid reason: must be one of {', '.join(DISPUTE_REASONS)}")
        with self._lock:
            charge_obj = self._charge_for(payment_intent, charge)
            if any(
                d["charge"] == charge_obj["id"] and d["status"] in OPEN_DISPUTE
                for d in self._store["disputes"].values()
            ):
                raise ApiError(
                    f"Charge {charge_obj['id']} already has an open dispute.", code="charge_disputed"
                )
            total = charge_obj["amount"] - charge_obj["amount_refunded"]
            amount = total if amount is None else amount
            if not 1 <= amount <= total:
                raise invalid("amount", f"amount must be between 1 and {total}", "parameter_invalid_integer")
            dispute = objects.dispute(charge_obj, amount, reason, self.now())
            self._store["disputes"][dispute["id"]] = dispute
            charge_obj["disputed"] = True
            self._emit("charge.dispute.created", dispute, CUSTOMER)
            self._emit("charge.dispute.funds_withdrawn", dispute, CUSTOMER)
            self._save()
            return self.render(dispute, [])

    def close_dispute(self, dispute_id: str, outcome: str) -> Obj:
        """The bank decides: `won` (funds reinstated) or `lost`; sends `charge.dispute.closed`."""
        if outcome not in ("won", "lost"):
            raise invalid("outcome", "Invalid outcome: must be one of won, lost")
        with self._lock:
            dispute = self._require(dispute_id, "disputes", "dispute")
            if dispute["status"] not in OPEN_DISPUTE:
                raise ApiError(f"Dispute {dispute_id} is already closed ({dispute['status']}).")
            before = {"status": dispute["status"]}
            dispute["status"] = outcome
            self._emit("charge.dispute.closed", dispute, CUSTOMER, previous=before)
            if outcome == "won":
                self._emit("charge.dispute.funds_reinstated", dispute, CUSTOMER)
            self._save()
            return self.render(dispute, [])

    def get_dispute(self, dispute_id: str, expand: Iterable[str] = ()) -> Obj:
        with self._lock:
            return self.render(self._require(dispute_id, "disputes", "dispute"), list(expand))

    # ------------------------------------------------------------------ events

    def list_events(self, raw: Obj) -> Obj:
        params.check_known(
            raw,
            {
                "created",
                "delivery_success",
                "ending_before",
                "expand",
                "limit",
                "starting_after",
                "type",
                "types",
            },
        )
        created = params.range_filter(raw, "created")
        patterns: list[str] = []
        if params.present(raw.get("type")):
            patterns.append(params.string(raw["type"], "type"))
        if params.present(raw.get("types")):
            patterns.extend(params.string(t, "types") for t in params.array(raw["types"], "types"))
        with self._lock:
            found = [
                e
                for e in reversed(self._store["events"].values())
                if params.in_range(e["created"], created)
                and (not patterns or any(_type_matches(p, e["type"]) for p in patterns))
            ]
            return self._page(found, raw, "/v1/events", "event")

    def get_event(self, event_id: str) -> Obj:
        with self._lock:
            return copy.deepcopy(self._require(event_id, "events", "id"))

    def events(self, type: str | None = None) -> list[Obj]:
        """All events, oldest first (a convenience for tests; the API lists newest first)."""
        with self._lock:
            return [
                copy.deepcopy(e)
                for e in self._store["events"].values()
                if type is None or _type_matches(type, e["type"])
            ]

    # ------------------------------------------------------------------ webhook delivery

    def set_webhook(self, url: str | None, secret: str | None = None) -> None:
        """Point deliveries at another endpoint (e.g. once the shop's port is known).

        Deliveries still pending or held follow the endpoint to its new URL.
        """
        with self._lock:
            if url is not None and not url.startswith(("http://", "https://")):
                raise invalid("url", "Not a valid URL", "url_invalid")
            self.config.webhook_url = url or None
            if secret:
                self.config.webhook_secret = secret
            if url:
                for delivery in self._deliveries.values():
                    if delivery["status"] in ("pending", "held"):
                        delivery["url"] = url

    def set_webhook_mode(self, mode: str) -> Obj:
        """`on`, `paused` (attempts wait until resumed) or `dropped` (nothing is ever delivered)."""
        if mode not in WEBHOOK_MODES:
            raise invalid("mode", f"Invalid mode: must be one of {', '.join(WEBHOOK_MODES)}")
        with self._lock:
            self._webhook_mode = mode
            if mode == "on":
                for delivery in self._deliveries.values():
                    if delivery["status"] == "held":
                        delivery["status"] = "pending"
                        self._schedule_attempt(delivery["id"], 0.0)
            elif mode == "dropped":
                for delivery in self._deliveries.values():
                    if delivery["status"] in ("pending", "held"):
                        delivery["status"] = "dropped"
                        delivery["next_attempt_at"] = None
            self._changed.notify_all()
            return self.webhook_status()

    def webhook_status(self) -> Obj:
        with self._lock:
            counts: dict[str, int] = {}
            for delivery in self._deliveries.values():
                counts[delivery["status"]] = counts.get(delivery["status"], 0) + 1
            return {
                "url": self.config.webhook_url,
                "mode": self._webhook_mode,
                "deliveries": counts,
                "enabled_events": list(self.config.enabled_events),
                "max_attempts": self.config.max_attempts,
                "retry_base": self.config.retry_base,
                "retry_factor": self.config.retry_factor,
            }

    def deliveries(
        self, event: str | None = None, type: str | None = None, status: str | None = None
    ) -> list[Obj]:
        """Delivery records, oldest first, each with its attempts (time, HTTP status or error)."""
        with self._lock:
            return [
                copy.deepcopy(d)
                for d in self._deliveries.values()
                if (event is None or d["event"] == event)
                and (type is None or _type_matches(type, d["type"]))
                and (status is None or d["status"] == status)
            ]

    def resend(self, event_id: str) -> Obj:
        """Deliver a stored event once more (a new delivery with its own retries): duplicates on demand."""
        with self._lock:
            event = self._require(event_id, "events", "id")
            if not self.config.webhook_url:
                raise ApiError("No webhook endpoint is configured.", param="url")
            return copy.deepcopy(self._new_delivery(event))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no delivery is pending and no delayed payment waits; False on timeout.

        Held (paused) deliveries count as settled, so a test can pause, act, and inspect.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._async_pending or any(d["status"] == "pending" for d in self._deliveries.values()):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closed:
                    return False
                self._changed.wait(min(remaining, 0.5))
            return True

    def _emit(self, event_type: str, obj: Obj, request: RequestInfo, previous: Obj | None = None) -> Obj:
        snapshot = self.render(obj, [])
        deliver = bool(self.config.webhook_url) and _enabled(self.config.enabled_events, event_type)
        event = objects.event(
            event_type,
            snapshot,
            self.now(),
            self.config.api_version,
            int(deliver),
            request.id,
            request.idempotency_key,
            previous,
        )
        self._store["events"][event["id"]] = event
        self._payloads[event["id"]] = json.dumps(event, indent=2)
        if deliver:
            self._new_delivery(event)
        return event

    def _new_delivery(self, event: Obj) -> Obj:
        delivery: Obj = {
            "id": objects.new_id("whd_", 16),
            "event": event["id"],
            "type": event["type"],
            "url": self.config.webhook_url,
            "status": "pending",
            "attempts": [],
            "next_attempt_at": None,
            "created": self.now(),
        }
        self._deliveries[delivery["id"]] = delivery
        if self._webhook_mode == "dropped":
            delivery["status"] = "dropped"
        elif self._webhook_mode == "paused":
            delivery["status"] = "held"
        else:
            self._schedule_attempt(delivery["id"], 0.0)
        return delivery

    def _schedule_attempt(self, delivery_id: str, delay: float) -> None:
        self._deliveries[delivery_id]["next_attempt_at"] = time.time() + delay
        self.scheduler.call_later(delay, lambda: self._attempt(delivery_id))

    def _attempt(self, delivery_id: str) -> None:
        with self._lock:
            delivery = self._deliveries[delivery_id]
            if delivery["status"] != "pending" or self._closed:
                return
            if self._webhook_mode != "on":
                delivery["status"] = "held" if self._webhook_mode == "paused" else "dropped"
                self._changed.notify_all()
                return
            url, secret = delivery["url"], self.config.webhook_secret
            payload = self._payloads[delivery["event"]]
        started_at, started = time.time(), time.monotonic()
        status, error = _post(
            url, payload, signature_header(payload, secret, int(time.time())), self.config.delivery_timeout
        )
        with self._lock:
            delivery["attempts"].append(
                {
                    "at": started_at,
                    "status": status,
                    "error": error,
                    "duration_ms": int((time.monotonic() - started) * 1000),
                }
            )
            if status is not None and 200 <= status < 300:
                delivery.update(status="delivered", next_attempt_at=None)
                event = self._store["events"][delivery["event"]]
                event["pending_webhooks"] = max(0, event["pending_webhooks"] - 1)
            elif len(delivery["attempts"]) >= self.config.max_attempts:
                delivery.update(status="failed", next_attempt_at=None)
            elif delivery["status"] == "pending":
                tries = len(delivery["attempts"])
                wait = min(
                    self.config.retry_base * self.config.retry_factor ** (tries - 1),
                    self.config.retry_max_delay,
                )
                self._schedule_attempt(delivery_id, wait)
            self._changed.notify_all()

    # ------------------------------------------------------------------ expiry

    def _expire(self, session: Obj, request: RequestInfo) -> None:
        session.update(status="expired", url=None)
        self._emit("checkout.session.expired", session, request)

    def _sweep(self) -> None:
        """Expire open sessions whose `expires_at` has passed, like Stripe's own timer."""
        now = self.now()
        changed = False
        while self._expiries and self._expiries[0][0] <= now:
            _, session_id = heapq.heappop(self._expiries)
            session = self._store["sessions"][session_id]
            if session["status"] == "open":
                self._expire(session, CUSTOMER)
                changed = True
        if changed:
            self._save()

    def _start_sweeper(self) -> None:
        if self._sweeping:
            return
        self._sweeping = True

        def tick() -> None:
            with self._lock:
                self._sweep()
            self.scheduler.call_later(SWEEP_EVERY, tick)

        self.scheduler.call_later(SWEEP_EVERY, tick)

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
        if obj.get("object") == "checkout.session" and head == "line_items":
            items = self._private[obj["id"]]["line_items"]
            obj["line_items"] = {
                "object": "list",
                "data": [_public(li) for li in items],
                "has_more": False,
                "url": f"/v1/checkout/sessions/{obj['id']}/line_items",
            }
            target: Any = obj["line_items"]
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
            self.render(_public(o), [p[len("data.") :] for p in expand if p.startswith("data.")])
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
        state = {"version": 1, "store": self._store, "private": self._private, "payloads": self._payloads}
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
        self._expiries = [
            (s["expires_at"], s["id"]) for s in self._store["sessions"].values() if s["status"] == "open"
        ]
        heapq.heapify(self._expiries)
        if self._expiries:
            self._start_sweeper()


def _public(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _type_matches(pattern: str, event_type: str) -> bool:
    """Stripe's event type filter: exact, or a `*` wildcard (`checkout.session.*`)."""
    if pattern.endswith("*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def _enabled(enabled_events: list[str], event_type: str) -> bool:
    return any(p == "*" or _type_matches(p, event_type) for p in enabled_events)


def _post(url: str, payload: str, signature: str, timeout: float) -> tuple[int | None, str | None]:
    """POST one webhook like Stripe: JSON body, signed header, no redirects followed. (status, error)."""
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            target,
            body=payload.encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": signature,
                "Cache-Control": "no-cache",
            },
        )
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status, None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()
