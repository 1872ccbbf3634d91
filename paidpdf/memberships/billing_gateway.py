"""The Stripe Billing calls memberships make, through the same `stripe.StripeClient` as sales.

Like `paidpdf.sales.stripe_gateway` (whose `provider_errors` and `as_dict` it uses), this is the only
module of the area that speaks Stripe's API: it returns plain dicts and raises our own errors only.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from paidpdf.errors import NotFound
from paidpdf.sales import checkout_locale
from paidpdf.sales.stripe_gateway import as_dict, provider_errors

if TYPE_CHECKING:  # stripe (and its HTTP libraries, ~30 MB) loads with the first payment call
    import stripe

#: The Billing events the shop acts on (each one only a prompt to retrieve the subscription).
SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
INVOICE_EVENTS = ("invoice.paid", "invoice.payment_failed")
BILLING_EVENTS = SUBSCRIPTION_EVENTS + INVOICE_EVENTS


def _check(prefix: str, object_id: str, what: str) -> None:
    if not isinstance(object_id, str) or not object_id.startswith(prefix) or len(object_id) > 255:
        raise NotFound(f"no {what} {str(object_id)[:64]!r}")


def retrieve_subscription(client: stripe.StripeClient, subscription_id: str) -> dict[str, Any]:
    _check("sub_", subscription_id, "subscription")
    with provider_errors():
        return as_dict(client.v1.subscriptions.retrieve(subscription_id))


def retrieve_invoice(client: stripe.StripeClient, invoice_id: str) -> dict[str, Any]:
    _check("in_", invoice_id, "invoice")
    with provider_errors():
        return as_dict(
            client.v1.invoices.retrieve(invoice_id, params={"expand": ["payments"]})  # type: ignore[arg-type]
        )


def list_invoices(client: stripe.StripeClient, subscription_id: str) -> list[dict[str, Any]]:
    _check("sub_", subscription_id, "subscription")
    with provider_errors():
        page = client.v1.invoices.list(
            params={"subscription": subscription_id, "limit": 100, "expand": ["data.payments"]}  # type: ignore[typeddict-item]
        )
        return [as_dict(i) for i in page.auto_paging_iter()]


def list_subscriptions(client: stripe.StripeClient) -> list[dict[str, Any]]:
    """Every subscription of the account, whatever its status (reconcile's fallback)."""
    with provider_errors():
        page = client.v1.subscriptions.list(params={"status": "all", "limit": 100})
        return [as_dict(s) for s in page.auto_paging_iter()]


def list_billing_events(client: stripe.StripeClient, since: datetime | None) -> list[dict[str, Any]]:
    """The Billing events since `since`, oldest first."""
    params: dict[str, Any] = {"limit": 100, "types": list(BILLING_EVENTS)}
    if since is not None:
        params["created"] = {"gte": int(since.timestamp())}
    with provider_errors():
        page = client.v1.events.list(params=params)  # type: ignore[arg-type]
        newest_first = [as_dict(e) for e in page.auto_paging_iter()]
    return sorted(reversed(newest_first), key=lambda e: int(e.get("created") or 0))


def cancel_subscription(client: stripe.StripeClient, subscription_id: str, *, now: bool) -> dict[str, Any]:
    """Cancel at once (`now`) or at the period end (the member keeps what they paid for)."""
    _check("sub_", subscription_id, "subscription")
    with provider_errors():
        if now:
            return as_dict(client.v1.subscriptions.cancel(subscription_id))
        return as_dict(
            client.v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": True})
        )


def refund_payment(
    client: stripe.StripeClient, payment_intent: str, *, idempotency_key: str, metadata: dict[str, str]
) -> dict[str, Any]:
    """A full refund of one invoice's payment (idempotent per key: asking twice refunds once)."""
    with provider_errors():
        refund = client.v1.refunds.create(
            params={"payment_intent": payment_intent, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return as_dict(refund)


def portal_session(
    client: stripe.StripeClient, customer: str, return_url: str, locale: str | None = None
) -> str:
    """A customer portal session's URL (manage, cancel, resume, change card, invoices), in the
    reader's language when the shop speaks it (`checkout_locale`: the portal takes the same codes)."""
    _check("cus_", customer, "customer")
    params = {"customer": customer, "return_url": return_url, **checkout_locale.session_params(locale)}
    with provider_errors():
        session = client.v1.billing_portal.sessions.create(params=params)  # type: ignore[arg-type]
        return str(session.url)


def create_checkout(
    client: stripe.StripeClient, params: dict[str, Any], idempotency_key: str
) -> dict[str, Any]:
    with provider_errors():
        return as_dict(
            client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            )
        )
