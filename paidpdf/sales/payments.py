"""The Stripe adapter: Checkout Sessions, events, refunds and reconcile, through a `stripe.StripeClient`.

Why a separate module: the domain (`paidpdf.sales.orders`) decides what a payment means and never imports
stripe; this module turns Stripe objects into plain dicts, speaks the API (real Stripe or the local
stand-in, chosen only by `STRIPE_SECRET_KEY` / `STRIPE_API_BASE`) and maps every stripe error to
`PaymentProviderError` (or `NotFound`), so adapters only ever see our own errors.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import stripe

from paidpdf.config import Settings
from paidpdf.content import catalog
from paidpdf.errors import (
    InvalidInput,
    NotFound,
    PaymentMismatch,
    PaymentProviderError,
    PaymentsNotConfigured,
)
from paidpdf.ownership import library
from paidpdf.sales import orders
from paidpdf.store import Doc, Store

log = logging.getLogger("paidpdf.payments")

SESSION_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
CHARGE_EVENTS = (
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "charge.refund.updated",
    "charge.dispute.created",
    "charge.dispute.closed",
)


#: The client type adapters may name without importing stripe themselves.
Client = stripe.StripeClient


def make_client(settings: Settings, *, max_network_retries: int = 2) -> stripe.StripeClient:
    """A client for the configured Stripe account (or the local stand-in when STRIPE_API_BASE is set)."""
    if settings.stripe_secret_key is None:
        raise PaymentsNotConfigured("STRIPE_SECRET_KEY is not set: payments need a Stripe secret key")
    base = {"api": settings.stripe_api_base.rstrip("/")} if settings.stripe_api_base else None
    return stripe.StripeClient(
        settings.stripe_secret_key.reveal(),
        base_addresses=base,  # type: ignore[arg-type]
        max_network_retries=max_network_retries,
    )


def missing_settings(settings: Settings) -> list[str]:
    """The Stripe variables the shop lacks. Without them the site still runs, but Buy and the webhook
    answer 503 (`PaymentsNotConfigured`), so `paidpdf serve` warns about them at start-up."""
    wanted = {
        "STRIPE_SECRET_KEY": settings.stripe_secret_key,
        "STRIPE_WEBHOOK_SECRET": settings.stripe_webhook_secret,
    }
    return [name for name, value in wanted.items() if value is None]


def livemode(settings: Settings) -> bool:
    """Whether the configured key moves real money (what every session must agree with)."""
    key = settings.stripe_secret_key.reveal() if settings.stripe_secret_key else ""
    return key.startswith(("sk_live_", "rk_live_"))


@contextmanager
def provider_errors() -> Iterator[None]:
    """Stripe exceptions become our own errors with a one-line message."""
    try:
        yield
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            raise NotFound(f"Stripe: {_one_line(exc.user_message or str(exc))}") from None
        raise PaymentProviderError(
            f"Stripe refused the request: {_one_line(exc.user_message or str(exc))}"
        ) from None
    except stripe.APIConnectionError:
        raise PaymentProviderError(
            "Stripe could not be reached (network error); please try again"
        ) from None
    except stripe.AuthenticationError:
        raise PaymentProviderError(
            "Stripe refused the key in STRIPE_SECRET_KEY (authentication failed)"
        ) from None
    except stripe.StripeError as exc:
        raise PaymentProviderError(
            f"Stripe: {_one_line(exc.user_message or exc.__class__.__name__)}"
        ) from None


def _one_line(text: str, limit: int = 300) -> str:
    """Stripe's messages may span lines; errors we show are one line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    if isinstance(obj, Mapping):
        return dict(obj)
    raise InvalidInput("expected a Stripe object")


# -- checkout -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutStart:
    """What `start_checkout` decided: `owned` and `free` need no payment; `redirect` goes to `url`."""

    kind: str
    item: Doc
    order: Doc | None = None
    url: str = ""


def start_checkout(
    store: Store, client: stripe.StripeClient, settings: Settings, *, user: Mapping[str, Any], content_id: str
) -> CheckoutStart:
    """A pending order and its Checkout Session; amount and currency come from the catalog only."""
    item = catalog.get_item(store, content_id)
    content_id = item["id"]
    if library.owns(store.view(orders.SALES), user["id"], content_id):
        return CheckoutStart("owned", item)
    if item.get("status") != "active":
        raise NotFound(f"item {content_id!r} is not for sale")
    if int(item["price"]) == 0:
        return CheckoutStart("free", item)
    base = settings.base_url.rstrip("/")
    mode = livemode(settings)
    for _attempt in range(3):
        order = orders.create_pending(
            store,
            user_id=user["id"],
            buyer=user["email"],
            content_id=content_id,
            amount=int(item["price"]),
            currency=str(item["currency"]).lower(),
            livemode=mode,
        )
        if not order.get("stripe_session_id"):
            return _new_session(store, client, base, item, order, user)
        # A recent pending order (double click, back button) already has a session: reuse it while it
        # is open; otherwise settle the order from it and start again with a fresh order.
        session = retrieve_session(client, order["stripe_session_id"])
        if session.get("status") == "open" and session.get("url"):
            return CheckoutStart("redirect", item, order, str(session["url"]))
        if session.get("status") == "expired":
            orders.expire(store, session, source="shop")
            continue
        outcome = orders.fulfil(store, session, livemode=mode, source="shop")
        if outcome.granted:
            return CheckoutStart("owned", item, outcome.order)
        if outcome.order is not None and outcome.order["status"] == "pending":  # delayed payment under way
            return CheckoutStart(
                "redirect", item, outcome.order, f"{base}/checkout/success?session_id={session['id']}"
            )
    raise PaymentProviderError("could not start a checkout; please try again")


def _new_session(
    store: Store, client: stripe.StripeClient, base: str, item: Doc, order: Doc, user: Mapping[str, Any]
) -> CheckoutStart:
    content_id = item["id"]
    reference = {"order_id": order["id"], "content_id": content_id, "user_id": user["id"]}
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": order["currency"],
                    "unit_amount": order["amount"],
                    "product_data": {"name": item["title"], "metadata": {"content_id": content_id}},
                },
            }
        ],
        "client_reference_id": order["id"],
        "metadata": reference,
        "payment_intent_data": {"metadata": reference},
        "customer_email": user["email"],
        "success_url": f"{base}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}/checkout/cancel?order={order['id']}",
    }
    with provider_errors():
        session = client.v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"paidpdf-checkout-{order['id']}"},
        )
    order = orders.attach_session(store, order["id"], session.id)
    return CheckoutStart("redirect", item, order, str(session.url))


def retrieve_session(client: stripe.StripeClient, session_id: str) -> dict[str, Any]:
    if not session_id.startswith("cs_") or len(session_id) > 255:
        raise NotFound(f"no checkout session {session_id!r}")
    with provider_errors():
        return as_dict(client.v1.checkout.sessions.retrieve(session_id))


def confirm_return(
    store: Store, client: stripe.StripeClient, settings: Settings, *, session_id: str, user_id: str
) -> orders.Outcome:
    """The success page: the session is fetched from Stripe (the URL alone proves nothing), must be
    the logged-in buyer's, and goes through the same `fulfil` as the webhook."""
    session = retrieve_session(client, session_id)
    order_id = session.get("client_reference_id")
    found = store.view(orders.SALES).get(orders.ORDERS, order_id) if isinstance(order_id, str) else None
    if found is None or found["user_id"] != user_id:
        raise NotFound("no such checkout for this account")
    return orders.fulfil(store, session, livemode=livemode(settings), source="success page")


# -- events ---------------------------------------------------------------------------------------


#: Seconds a webhook's signed timestamp may be away from our clock, in either direction (Stripe's default).
WEBHOOK_TOLERANCE = 300


def verify_event(
    settings: Settings, payload: bytes, signature: str | None, *, now: float | None = None
) -> dict[str, Any]:
    """Check the Stripe-Signature of a raw webhook body; anything wrong is `InvalidInput` (→ 400).

    The signature is checked before the body is parsed, and the body must then be a JSON object shaped
    like an event: a correctly signed array or string is still refused. Stripe's check only refuses
    timestamps older than the tolerance; one from the future beyond it is refused here too."""
    if settings.stripe_webhook_secret is None:
        raise PaymentsNotConfigured("STRIPE_WEBHOOK_SECRET is not set: webhooks cannot be verified")
    if not signature:
        raise InvalidInput("missing Stripe-Signature header")
    moment = time.time() if now is None else now
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            text, signature, settings.stripe_webhook_secret.reveal(), WEBHOOK_TOLERANCE
        )
    except stripe.SignatureVerificationError:
        raise InvalidInput("bad webhook signature") from None
    except UnicodeDecodeError:
        raise InvalidInput("webhook payload is not a Stripe event") from None
    if _signed_at(signature) > moment + WEBHOOK_TOLERANCE:
        raise InvalidInput("bad webhook signature: timestamp is in the future")
    try:
        data = json.loads(text, parse_int=_int64, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidInput("webhook payload is not a Stripe event") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("id", "type")):
        raise InvalidInput("webhook payload is not a Stripe event")
    body = data.get("data")
    if not isinstance(body, dict) or not isinstance(body.get("object"), dict):
        raise InvalidInput("webhook event has no data.object")
    return data


def _int64(text: str) -> int:
    """Stripe's integers are 64-bit; a larger one is no Stripe event (and could not be stored)."""
    value = int(text) if len(text) <= 20 else 2**64
    if not -(2**63) <= value < 2**63:
        raise ValueError("integer out of range")
    return value


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON Stripe sends")


def _signed_at(signature: str) -> int:
    """The `t=` of a header that already passed Stripe's check (so it holds one, and it is short)."""
    for part in signature.split(","):
        key, _, value = part.partition("=")
        if key.strip() == "t" and value.strip().isdigit() and len(value.strip()) <= 20:
            return int(value)
    return 0


def handle_event(store: Store, event: Any, *, livemode: bool) -> orders.Outcome:
    """Apply one verified event, once: its id is recorded in the same unit as its effect.

    An event from the other mode than the secret key's (a live event on a test shop, or the reverse)
    or for a connected account (`account` is set; this shop is no Connect platform) is refused with
    `PaymentMismatch` before anything changes, and its id is not recorded."""
    data = as_dict(event)
    event_id = str(data["id"])
    kind = str(data["type"])
    check_event_origin(data, livemode=livemode)
    obj = dict(data["data"]["object"])
    if kind in SESSION_EVENTS:
        return orders.fulfil(store, obj, livemode=livemode, source="webhook", event_id=event_id)
    if kind == "checkout.session.async_payment_failed":
        return orders.fail(store, obj, event_id=event_id)
    if kind == "checkout.session.expired":
        return orders.expire(store, obj, event_id=event_id)
    if kind in CHARGE_EVENTS:
        return orders.apply_charge_event(store, event_id, kind, obj)
    fresh = orders.record_other_event(store, event_id, kind)
    return orders.Outcome("ignored" if fresh else "duplicate", None, f"event type {kind} is not handled")


def check_event_origin(event: Mapping[str, Any], *, livemode: bool) -> None:
    """`PaymentMismatch` unless the event belongs to this shop's own Stripe account and mode."""
    mode = event.get("livemode")
    if not isinstance(mode, bool) or mode != livemode:
        shop = "live" if livemode else "test"
        raise PaymentMismatch(f"event {event.get('id')} is not from {shop} mode (livemode={mode!r}); refused")
    if event.get("account"):
        raise PaymentMismatch(
            f"event {event.get('id')} is for the connected account {str(event['account'])[:64]!r}; "
            "this shop is not a Connect platform; refused"
        )


# -- reconcile ------------------------------------------------------------------------------------


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


def list_sessions(client: stripe.StripeClient, since: datetime | None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"limit": 100}
    if since is not None:
        params["created"] = {"gte": int(since.timestamp())}
    with provider_errors():
        page = client.v1.checkout.sessions.list(params=params)  # type: ignore[arg-type]
        return [as_dict(s) for s in page.auto_paging_iter()]


#: Events reconcile replays (through `handle_event`, so each id still counts once): what a session
#: listing cannot show — refunds, disputes, failed delayed payments.
REPLAYED_EVENTS = (
    "charge.refunded",
    "refund.created",
    "refund.updated",
    "charge.dispute.created",
    "charge.dispute.closed",
    "checkout.session.async_payment_failed",
)


def list_events(client: stripe.StripeClient, since: datetime | None) -> list[dict[str, Any]]:
    """The replayable events since `since`, oldest first (Stripe lists newest first)."""
    params: dict[str, Any] = {"limit": 100, "types": list(REPLAYED_EVENTS)}
    if since is not None:
        params["created"] = {"gte": int(since.timestamp())}
    with provider_errors():
        page = client.v1.events.list(params=params)  # type: ignore[arg-type]
        newest_first = [as_dict(e) for e in page.auto_paging_iter()]
    return sorted(reversed(newest_first), key=lambda e: int(e.get("created") or 0))


def reconcile(
    store: Store,
    client: stripe.StripeClient,
    since: datetime | None,
    *,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
) -> ReconcileSummary:
    """Ask Stripe for the sessions since `since`: fulfil paid ones the webhooks missed, close expired
    ones; then replay refund, dispute and failed-payment events the shop never processed.
    Idempotent: a second run finds everything already done."""
    sessions = list_sessions(client, since)
    events = list_events(client, since)
    total = len(sessions) + len(events)
    summary = ReconcileSummary(sessions=len(sessions), events=len(events))
    mode = livemode(settings)
    for done, session in enumerate(sessions, start=1):
        if session.get("status") == "expired":
            outcome = orders.expire(store, session, source="reconcile")
        else:
            outcome = orders.fulfil(store, session, livemode=mode, source="reconcile")
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
                outcome = handle_event(store, event, livemode=mode)
            except PaymentMismatch as exc:
                log.warning("reconcile: %s", exc.message)
                summary.refused += 1
                continue
            if outcome.action not in ("duplicate", "ignored"):
                summary.events_applied += 1
        if progress is not None:
            progress(done, total)
    return summary


# -- refunds --------------------------------------------------------------------------------------


def refund(store: Store, client: stripe.StripeClient, order_id: str) -> Doc:
    """Refund a paid order in full at Stripe and revoke exactly that purchase right away."""
    order = orders.refundable(store.view(orders.SALES), order_id)
    with provider_errors():
        created = client.v1.refunds.create(
            params={"payment_intent": order["stripe_payment_intent"], "metadata": {"order_id": order_id}},
            options={"idempotency_key": f"paidpdf-refund-{order_id}"},
        )
    return orders.record_refund(store, order_id, as_dict(created))
