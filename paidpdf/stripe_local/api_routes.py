"""The Stripe API routes the shop uses (`/v1/...`): each maps its parameters to one `StandIn` call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bottle

from paidpdf.stripe_local import params
from paidpdf.stripe_local.config import Config
from paidpdf.stripe_local.standin import RequestInfo, StandIn
from paidpdf.stripe_local.wire import api_route


def install(app: bottle.Bottle, core: StandIn, config: Config) -> None:
    api = api_route(app, core, config)

    def retrieve(path: str, getter: Callable[[str, list[str]], Any]) -> None:
        """Register a Stripe "retrieve" route (`GET .../<id>`), whose only parameter is `expand`."""

        def handler(raw: dict[str, Any], info: RequestInfo, **url_args: str) -> Any:
            params.check_known(raw, {"expand"})
            (object_id,) = url_args.values()
            return getter(object_id, params.expand(raw))

        api("GET", path)(handler)

    @api("POST", "/v1/checkout/sessions")
    def create_session(raw: dict[str, Any], info: RequestInfo) -> Any:
        return core.create_session(raw, info)

    @api("GET", "/v1/checkout/sessions")
    def list_sessions(raw: dict[str, Any], info: RequestInfo) -> Any:
        return core.list_sessions(raw)

    retrieve("/v1/checkout/sessions/<session_id>", core.get_session)

    @api("GET", "/v1/checkout/sessions/<session_id>/line_items")
    def line_items(raw: dict[str, Any], info: RequestInfo, session_id: str) -> Any:
        return core.session_line_items(session_id, raw)

    @api("POST", "/v1/checkout/sessions/<session_id>/expire")
    def expire_session(raw: dict[str, Any], info: RequestInfo, session_id: str) -> Any:
        params.check_known(raw, {"expand"})
        return core.expire_session(session_id, info)

    retrieve("/v1/payment_intents/<intent_id>", core.get_payment_intent)
    retrieve("/v1/charges/<charge_id>", core.get_charge)

    @api("POST", "/v1/refunds")
    def create_refund(raw: dict[str, Any], info: RequestInfo) -> Any:
        return core.create_refund(raw, info)

    retrieve("/v1/refunds/<refund_id>", core.get_refund)
    retrieve("/v1/disputes/<dispute_id>", core.get_dispute)

    @api("GET", "/v1/events")
    def list_events(raw: dict[str, Any], info: RequestInfo) -> Any:
        return core.list_events(raw)

    @api("GET", "/v1/events/<event_id>")
    def get_event(raw: dict[str, Any], info: RequestInfo, event_id: str) -> Any:
        params.check_known(raw, {"expand"})
        return core.get_event(event_id)
