"""Stripe's wire format, for every route: form-encoded parameters, `Authorization: Bearer sk_test_...`,
JSON answers, `{"error": {...}}` with a 4xx status, `Idempotency-Key` honoured, `Request-Id` set.

`api_route` and `control_route` register a handler with all of that done around it, so a route
module only maps parameters to a `StandIn` call.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable
from typing import Any

import bottle

from paidpdf.stripe_local.api_errors import ApiError
from paidpdf.stripe_local.config import Config
from paidpdf.stripe_local.formdata import parse_query
from paidpdf.stripe_local.standin import RequestInfo, StandIn

Handler = Callable[..., Any]
Register = Callable[[str, str], Callable[[Handler], Handler]]

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, using "
    "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). "
    "See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
)


def api_route(app: bottle.Bottle, core: StandIn, config: Config) -> Register:
    """A decorator factory for Stripe API routes: auth, params, idempotency (POST), JSON, Stripe errors."""

    def api(method: str, path: str) -> Callable[[Handler], Handler]:
        """Register a Stripe API route: auth, params, idempotency (POST), JSON, Stripe errors."""

        def register(handler: Handler) -> Handler:
            def wrapper(**url_args: Any) -> str:
                request_id = "req_" + secrets.token_hex(7)
                bottle.response.set_header("Request-Id", request_id)
                bottle.response.set_header("Stripe-Version", config.api_version)

                def answer() -> Any:
                    key = authenticate(bottle.request.get_header("Authorization"), config.api_key)
                    raw = form_params(bottle.request)
                    idem = bottle.request.get_header("Idempotency-Key")
                    info = RequestInfo(request_id, idem)
                    if method != "POST":
                        return handler(raw, info, **url_args)
                    fingerprint = json.dumps([method, bottle.request.path, raw], sort_keys=True)
                    status, body, replayed = core.idempotent(
                        key, idem, fingerprint, lambda: (200, handler(raw, info, **url_args))
                    )
                    if replayed:
                        bottle.response.set_header("Idempotent-Replayed", "true")
                    bottle.response.status = status
                    return body

                return json_answer(answer)

            app.route(path, method=method, callback=wrapper)
            return handler

        return register

    return api


def control_route(app: bottle.Bottle, config: Config) -> Register:
    """Like `api_route` (same auth and error JSON) but without idempotency: the tests' own knobs."""

    def control(method: str, path: str) -> Callable[[Handler], Handler]:
        """Like `api` (same auth and error JSON) but without idempotency: these are the test's own knobs."""

        def register(handler: Handler) -> Handler:
            def wrapper(**url_args: Any) -> str:
                def answer() -> Any:
                    authenticate(bottle.request.get_header("Authorization"), config.api_key)
                    return handler(form_params(bottle.request), **url_args)

                return json_answer(answer)

            app.route(path, method=method, callback=wrapper)
            return handler

        return register

    return control


def json_answer(answer: Callable[[], Any]) -> str:
    """JSON for an API or control route: what `answer` returns, or a raised `ApiError` as Stripe's error
    body with its status, so both kinds of route fail the same way."""
    bottle.response.content_type = "application/json"
    try:
        return json.dumps(answer(), indent=2)
    except ApiError as exc:
        bottle.response.status = exc.status
        return json.dumps(exc.body(), indent=2)


def authenticate(header: str | None, expected: str | None) -> str:
    """Return the API key of a `Bearer` (or curl's Basic `sk_test_...:`) header, or raise Stripe's 401."""
    if not header:
        raise ApiError(NO_KEY, status=401)
    scheme, _, value = header.strip().partition(" ")
    key = value.strip()
    if scheme.lower() == "basic":
        try:
            key = base64.b64decode(key, validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            key = ""
    elif scheme.lower() != "bearer":
        raise ApiError(NO_KEY, status=401)
    shown = f"{key[:8]}****{key[-4:]}" if len(key) > 12 else "****"
    if key.startswith(("sk_live_", "rk_live_")):
        raise ApiError(
            f"Invalid API Key provided: {shown} (the local Stripe stand-in only accepts test keys)",
            status=401,
        )
    if expected is not None:
        if not secrets.compare_digest(key.encode(), expected.encode()):
            raise ApiError(f"Invalid API Key provided: {shown}", status=401)
    elif not key.startswith(("sk_test_", "rk_test_")) or len(key) <= len("sk_test_"):
        raise ApiError(f"Invalid API Key provided: {shown}", status=401)
    return key


def form_params(request: bottle.BaseRequest) -> dict[str, Any]:
    """Query string plus (for POST) the form body, decoded as UTF-8 like Stripe does."""
    merged = parse_query(request.query_string)
    if request.method == "POST":
        raw_body = request.body.read()
        try:
            text = raw_body.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError("Invalid request body: it must be UTF-8 form data.") from None
        body = parse_query(text)
        merged.update(body)
    return merged
