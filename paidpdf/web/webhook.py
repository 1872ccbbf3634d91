"""POST /stripe/webhook: Stripe's signed events, verified over the raw body and applied once.

The body is read as raw bytes before anything parses it (the signature covers the exact bytes). A
bad signature or payload is a 400 and changes nothing. Each event id is recorded in the same atomic
unit as its effect, so retries and duplicates are answered 2xx without doing anything twice. Unknown
event types are acknowledged (2xx) and logged. Errors of our own storage answer 500 so Stripe retries.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import bottle

from paidpdf.errors import PaidPdfError
from paidpdf.sales import stripe_gateway, webhook_events
from paidpdf.web import checkout
from paidpdf.web.access_log import LOG_NOTE
from paidpdf.web.context import WebContext
from paidpdf.web.request_fields import raw_header

log = logging.getLogger("paidpdf.webhook")

#: Stripe events are small; anything bigger than this is not one.
MAX_BODY = 1024 * 1024


def webhook(web: WebContext) -> Any:
    if (bottle.request.content_length or 0) > MAX_BODY:
        return _answer(400, {"error": "payload too large"})
    payload = bottle.request.body.read(MAX_BODY + 1)
    if len(payload) > MAX_BODY:
        return _answer(400, {"error": "payload too large"})
    try:
        event = stripe_gateway.verify_event(web.settings, payload, raw_header("Stripe-Signature"))
        outcome = webhook_events.handle_event(
            web.store, event, livemode=stripe_gateway.livemode(web.settings), client=web.stripe
        )
    except PaidPdfError as exc:
        if exc.http_status >= 500:
            log.error("webhook failed: %s", exc.message)
        else:  # said once, on the request's own log line
            bottle.request.environ[LOG_NOTE] = f"refused: {exc.message}"
        return _answer(exc.http_status, {"error": exc.message})
    bottle.request.environ[LOG_NOTE] = f"{event['id']} {event['type']}: {outcome.action}"
    if outcome.action != "duplicate":  # a purchase's receipt or a membership's mails may be due
        checkout.send_receipts(web)  # queued: the answer does not wait for the mail server
    return _answer(200, {"received": True, "outcome": outcome.action})


def _answer(status: int, body: dict[str, Any]) -> bottle.HTTPResponse:
    return bottle.HTTPResponse(
        body=json.dumps(body),
        status=status,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )
