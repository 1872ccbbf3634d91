"""The stand-in's whole account: sessions, payments, refunds, disputes, events and webhooks, and Stripe
Billing (customers, subscriptions, invoices, test clocks, the customer portal).

This is the stand-in's own little domain. The Bottle app (`app.py`) only parses requests and renders
what these methods return; tests and the demo call the same methods directly (through `StripeLocal`)
for the things a browser would do on Stripe's side (pay, decline, dispute...).

Thread safety: one re-entrant lock guards every object; webhook HTTP calls and timers run on the
scheduler's workers *outside* that lock. Every method returns deep copies, so callers can never change
the stored objects by accident.
"""

from __future__ import annotations

from paidpdf.stripe_local.account import CUSTOMER, Obj, RequestInfo
from paidpdf.stripe_local.config import Config
from paidpdf.stripe_local.customer_payments import PAY_METHODS
from paidpdf.stripe_local.portal import Portal
from paidpdf.stripe_local.refunds_disputes import DISPUTE_REASONS
from paidpdf.stripe_local.subscriptions import ENDED
from paidpdf.stripe_local.webhook_delivery import WEBHOOK_MODES

__all__ = ["CUSTOMER", "DISPUTE_REASONS", "PAY_METHODS", "WEBHOOK_MODES", "Obj", "RequestInfo", "StandIn"]


class StandIn(Portal):
    """All state of one local Stripe account; each resource's methods come from its own module."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self._load()
        running = [s for s in self._store["subscriptions"].values() if s["status"] not in ENDED]
        if self._expiries or running:  # open sessions expire, and subscriptions renew, on real time too
            self._start_sweeper()
