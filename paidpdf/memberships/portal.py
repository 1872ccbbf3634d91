"""'Manage membership': a Stripe customer portal session for the reader's Stripe customer.

The customer is the one their latest subscription was paid by (`joins` reuses it for later joins, so a
reader has one). The portal is where members cancel, resume, change their card and see invoices; what
they do there reaches the shop as Billing events (`lifecycle`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from paidpdf.config import Settings
from paidpdf.errors import NotFound
from paidpdf.memberships.billing_gateway import portal_session
from paidpdf.memberships.subscriptions import find_for_user
from paidpdf.store import SALES, DataStore

if TYPE_CHECKING:  # stripe (and its HTTP libraries, ~30 MB) loads with the first payment call
    import stripe


def customer_of(store: DataStore, user_id: str) -> str | None:
    for sub in find_for_user(store.view(SALES), user_id):
        customer = sub.get("customer")
        if isinstance(customer, str) and customer.startswith("cus_"):
            return customer
    return None


def portal_url(
    store: DataStore, client: stripe.StripeClient, settings: Settings, user: Mapping[str, Any],
    locale: str | None = None,
) -> str:
    """The URL of a new portal session for `user` (returning to /library); `NotFound` when
    they never had a subscription."""
    customer = customer_of(store, str(user["id"]))
    if customer is None:
        raise NotFound("you have no membership to manage")
    return portal_session(client, customer, f"{settings.base_url.rstrip('/')}/library", locale)
