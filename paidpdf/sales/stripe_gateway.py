"""The Stripe adapter: the one module that speaks Stripe's API, through a `stripe.StripeClient`.

Why apart from the use cases (`checkout`, `webhook_events`, `reconcile`, `admin_refund`): the domain
decides what a payment means and never imports stripe; this module turns Stripe objects into plain
dicts, speaks the API (real Stripe or the local stand-in, chosen only by `STRIPE_SECRET_KEY` /
`STRIPE_API_BASE`), checks webhook signatures and maps every stripe error to `PaymentProviderError`
(or `NotFound`), so adapters only ever see our own errors.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from paidpdf.config import Settings
from paidpdf.errors import InvalidInput, NotFound, PaymentProviderError, PaymentsNotConfigured

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



if TYPE_CHECKING:  # stripe and the HTTP libraries it loads (aiohttp, requests: ~30 MB per process)
    import stripe  # are imported by the first call that speaks to Stripe, not by a server at idle

    #: The client type adapters may name without importing stripe themselves.
    Client = stripe.StripeClient


def make_client(settings: Settings, *, max_network_retries: int = 2) -> stripe.StripeClient:
    """A client for the configured Stripe account (or the local stand-in when STRIPE_API_BASE is set)."""
    if settings.stripe_secret_key is None:
        raise PaymentsNotConfigured("STRIPE_SECRET_KEY is not set: payments need a Stripe secret key")
    import stripe

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
    import stripe  # loaded already: the block inside speaks to Stripe

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
    import stripe

    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    if isinstance(obj, Mapping):
        return dict(obj)
    raise InvalidInput("expected a Stripe object")


def retrieve_session(client: stripe.StripeClient, session_id: str) -> dict[str, Any]:
    if not session_id.startswith("cs_") or len(session_id) > 255:
        raise NotFound(f"no checkout session {session_id!r}")
    with provider_errors():
        return as_dict(client.v1.checkout.sessions.retrieve(session_id))



def invoice_url(client: stripe.StripeClient, invoice_id: str) -> str:
    """The hosted page of an invoice Stripe issued (`invoice_creation`), for its buyer."""
    if not invoice_id.startswith("in_") or len(invoice_id) > 255:
        raise NotFound(f"no invoice {invoice_id!r}")
    with provider_errors():
        url = client.v1.invoices.retrieve(invoice_id).hosted_invoice_url
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise NotFound(f"invoice {invoice_id} has no page yet")
    return url


def expire_session(client: stripe.StripeClient, session_id: str) -> dict[str, Any] | None:
    """Expire an open Checkout Session at Stripe (`POST /v1/checkout/sessions/{id}/expire`): the
    expired session, or None when Stripe refuses because it is no longer open (completed meanwhile,
    or expired already); the caller then retrieves it to learn which."""
    if not session_id.startswith("cs_") or len(session_id) > 255:
        raise NotFound(f"no checkout session {session_id!r}")
    import stripe

    with provider_errors():
        try:
            return as_dict(client.v1.checkout.sessions.expire(session_id))
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                raise
            return None


def list_sessions(client: stripe.StripeClient, since: datetime | None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"limit": 100}
    if since is not None:
        params["created"] = {"gte": int(since.timestamp())}
    with provider_errors():
        page = client.v1.checkout.sessions.list(params=params)  # type: ignore[arg-type]
        return [as_dict(s) for s in page.auto_paging_iter()]



def list_events(client: stripe.StripeClient, since: datetime | None) -> list[dict[str, Any]]:
    """The replayable events since `since`, oldest first (Stripe lists newest first)."""
    params: dict[str, Any] = {"limit": 100, "types": list(REPLAYED_EVENTS)}
    if since is not None:
        params["created"] = {"gte": int(since.timestamp())}
    with provider_errors():
        page = client.v1.events.list(params=params)  # type: ignore[arg-type]
        newest_first = [as_dict(e) for e in page.auto_paging_iter()]
    return sorted(reversed(newest_first), key=lambda e: int(e.get("created") or 0))




# -- webhook signatures -----------------------------------------------------------------------------


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
    import stripe

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
