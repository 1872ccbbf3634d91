"""The `/_local` test controls: what a buyer or a bank would do on Stripe's side (pay, settle, dispute),
and the webhook knobs tests and the demo turn. Not Stripe's API; listed at `GET /_local`."""

from __future__ import annotations

from typing import Any

import bottle

from paidpdf.stripe_local import billing_params, params
from paidpdf.stripe_local.api_errors import ApiError
from paidpdf.stripe_local.config import Config
from paidpdf.stripe_local.standin import StandIn
from paidpdf.stripe_local.wire import control_route

#: The documented test controls, served at GET /_local so a curious developer can find them.
CONTROLS = {
    "POST /_local/sessions/{id}/pay": (
        "method=card|delayed_success|delayed_failure|delayed|decline [delay=SECONDS] [email=ADDRESS]"
        " [country=DE] [state=WA] [tax_id=eu_vat:DE123456789]"
    ),
    "POST /_local/sessions/{id}/settle": "outcome=succeeded|failed (finish a method=delayed payment)",
    "POST /_local/sessions/{id}/expire": "expire now, sends checkout.session.expired",
    "POST /_local/disputes": "payment_intent=pi_...|charge=ch_... [reason=fraudulent] [amount=N]",
    "POST /_local/disputes/{id}/close": "outcome=won|lost, sends charge.dispute.closed",
    "GET /_local/webhooks": "endpoint, mode and delivery counts",
    "POST /_local/webhooks": "url=URL [secret=whsec_...] (re-point deliveries)",
    "POST /_local/webhooks/pause": "hold deliveries until resume",
    "POST /_local/webhooks/resume": "deliver held ones and carry on",
    "POST /_local/webhooks/drop": "drop every pending and future delivery until resume",
    "GET /_local/deliveries": "[event=evt_...] [type=...] [status=pending|delivered|failed|dropped|held]",
    "POST /_local/events/{id}/resend": "deliver a stored event once more",
    "POST /_local/advance": "by=31d|12h|90m|SECONDS: move every clock (the account's and each test clock)",
}


def install(app: bottle.Bottle, core: StandIn, config: Config) -> None:
    control = control_route(app, config)

    @control("GET", "/_local")
    def controls(raw: dict[str, Any]) -> Any:
        return {"object": "stripe_local.controls", "controls": CONTROLS}

    @control("POST", "/_local/sessions/<session_id>/pay")
    def local_pay(raw: dict[str, Any], session_id: str) -> Any:
        delay = _float(raw.get("delay"), "delay")
        email = str(raw["email"]) if raw.get("email") else None
        buyer = {k: str(raw[k]) for k in ("country", "state", "tax_id") if raw.get(k)}
        return core.pay(session_id, str(raw.get("method") or "card"), delay, email, **buyer)

    @control("POST", "/_local/sessions/<session_id>/settle")
    def local_settle(raw: dict[str, Any], session_id: str) -> Any:
        return core.settle(session_id, str(raw.get("outcome") or ""))

    @control("POST", "/_local/sessions/<session_id>/expire")
    def local_expire(raw: dict[str, Any], session_id: str) -> Any:
        return core.expire_session(session_id)

    @control("POST", "/_local/disputes")
    def local_dispute(raw: dict[str, Any]) -> Any:
        amount = params.integer(raw["amount"], "amount") if params.present(raw.get("amount")) else None
        return core.create_dispute(
            raw.get("payment_intent") or None,
            raw.get("charge") or None,
            str(raw.get("reason") or "fraudulent"),
            amount,
        )

    @control("POST", "/_local/disputes/<dispute_id>/close")
    def local_close_dispute(raw: dict[str, Any], dispute_id: str) -> Any:
        return core.close_dispute(dispute_id, str(raw.get("outcome") or ""))

    @control("GET", "/_local/webhooks")
    def local_webhooks(raw: dict[str, Any]) -> Any:
        return core.webhook_status()

    @control("POST", "/_local/webhooks")
    def local_set_webhook(raw: dict[str, Any]) -> Any:
        core.set_webhook(raw.get("url") or None, raw.get("secret") or None)
        return core.webhook_status()

    for verb, mode in (("pause", "paused"), ("resume", "on"), ("drop", "dropped")):
        control("POST", f"/_local/webhooks/{verb}")(lambda raw, _mode=mode: core.set_webhook_mode(_mode))

    @control("GET", "/_local/deliveries")
    def local_deliveries(raw: dict[str, Any]) -> Any:
        found = core.deliveries(raw.get("event") or None, raw.get("type") or None, raw.get("status") or None)
        return {"object": "list", "data": found, "has_more": False, "url": "/_local/deliveries"}

    control("POST", "/_local/advance")(lambda raw: _advance(core, raw))

    @control("POST", "/_local/events/<event_id>/resend")
    def local_resend(raw: dict[str, Any], event_id: str) -> Any:
        return core.resend(event_id)


def _advance(core: StandIn, raw: dict[str, Any]) -> Any:
    return core.advance_all(billing_params.duration(str(raw.get("by") or "")))


def _float(value: Any, param: str) -> float | None:
    if not params.present(value):
        return None
    try:
        number = float(str(value))
    except ValueError:
        raise ApiError(f"Invalid number: {value}", param=param) from None
    if not 0 <= number <= 86400:
        raise ApiError("delay must be between 0 and 86400 seconds", param=param)
    return number
