"""Webhook signatures exactly as Stripe makes them: `Stripe-Signature: t=<unix>,v1=<hex>`.

v1 is HMAC-SHA256 keyed with the endpoint secret over `f"{t}.{payload}"`; the same computation as
`stripe.WebhookSignature.generate_signature_header`, so `stripe.Webhook.construct_event` accepts it.
"""

from __future__ import annotations

import hashlib
import hmac


def signature_header(payload: str, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
