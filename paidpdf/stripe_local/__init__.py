"""A local Stripe stand-in: the parts of Stripe's API that paidpdf uses, a hosted test checkout page, and
webhooks signed like Stripe's, so the real `stripe` library can be pointed at it offline.

It is its own adapter: it imports nothing of the shop (only `paidpdf.money` for amounts). See
docs/stripe-local.md.
"""

from __future__ import annotations

from paidpdf.stripe_local.api_errors import ApiError
from paidpdf.stripe_local.app import create_app, standin_of
from paidpdf.stripe_local.config import Config, new_webhook_secret
from paidpdf.stripe_local.server import StripeLocal, start_in_thread
from paidpdf.stripe_local.signing import signature_header
from paidpdf.stripe_local.standin import StandIn

__all__ = [
    "ApiError",
    "Config",
    "StandIn",
    "StripeLocal",
    "create_app",
    "new_webhook_secret",
    "signature_header",
    "standin_of",
    "start_in_thread",
]
