"""The creator API over HTTP (`/api/v1/...`, docs/api.md): bearer key, rate per key, JSON in and out.

Routes come from `paidpdf.creator_api.endpoints.ENDPOINTS`. No cookie is read (the Cookie header is
dropped before a handler runs: `routes.COOKIELESS_PREFIXES`), so a browser's session neither authorises
nor is spent here and the write routes need no CSRF token: the key in the Authorization header, which
a cross-site page cannot set, is the only authority. Read-only keys get 403 on writes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable
from typing import Any, get_type_hints

import bottle

from paidpdf.creator_api import keys, openapi, resources
from paidpdf.creator_api.endpoints import ENDPOINTS, PREFIX, Call, Endpoint
from paidpdf.errors import AccessDenied, InvalidInput, NotFound, PaidPdfError, TooManyAttempts
from paidpdf.web.context import WebContext

log = logging.getLogger("paidpdf.api")

#: The largest JSON body read (a grant is two short fields).
MOST_JSON = 16 * 1024
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> bottle.HTTPResponse:
    sent = {"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})}
    return bottle.HTTPResponse(body=json.dumps(body), status=status, headers=sent)


def error_type(exc: PaidPdfError) -> str:
    return _CAMEL.sub("_", type(exc).__name__).lower()


def _error(exc: PaidPdfError, headers: dict[str, str] | None = None) -> bottle.HTTPResponse:
    status = exc.http_status if 400 <= exc.http_status < 600 else 500
    return _answer(status, {"error": {"type": error_type(exc), "message": exc.message}}, headers)


def _bearer() -> str:
    header = bottle.request.environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _fill(shape: type, values: dict[str, Any], where: str) -> Any:
    """`shape` from JSON-ish values, each checked against its declared type."""
    hints = get_type_hints(shape)
    known = {f.name for f in dataclasses.fields(shape)}
    extra = sorted(set(values) - known)
    if extra:
        raise InvalidInput(f"unknown {where} field {extra[0]!r}")
    given: dict[str, Any] = {}
    for f in dataclasses.fields(shape):
        if f.name not in values or values[f.name] in (None, ""):
            if f.default is dataclasses.MISSING:
                raise InvalidInput(f"{where} field {f.name!r} is required")
            continue
        value = values[f.name]
        wants_int = "int" in str(hints[f.name])
        if wants_int and isinstance(value, str):
            if not value.strip().lstrip("-").isdigit():
                raise InvalidInput(f"{where} field {f.name!r} must be a whole number")
            value = int(value)
        if not isinstance(value, int if wants_int else str) or isinstance(value, bool):
            raise InvalidInput(f"{where} field {f.name!r} must be a {'number' if wants_int else 'string'}")
        given[f.name] = value
    return shape(**given)


def _body(shape: type) -> Any:
    if not (bottle.request.content_type or "").startswith("application/json"):
        raise InvalidInput("send the body as JSON (Content-Type: application/json)")
    raw = bottle.request.body.read(MOST_JSON + 1)
    if len(raw) > MOST_JSON:
        raise InvalidInput("the body is too large")
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidInput("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return _fill(shape, data, "body")


def _handle(web: WebContext, endpoint: Endpoint, url_args: dict[str, str]) -> bottle.HTTPResponse:
    try:
        key = keys.authenticate(web.store, _bearer())
        wait = web.api_rate.take(key["id"])
        if wait:
            return _error(
                TooManyAttempts("too many calls with this key: slow down"), {"Retry-After": str(wait)}
            )
        if endpoint.writes and key.get("read_only"):
            raise AccessDenied("this API key is read-only")
        call = Call(web.store, web.stripe, url_args)
        if endpoint.query is not None:
            call.query = _fill(endpoint.query, dict(bottle.request.query.decode()), "query")
        if endpoint.body is not None:
            call.body = _body(endpoint.body)
        result = endpoint.run(call)
        return _answer(endpoint.status, resources.as_json(result))
    except PaidPdfError as exc:
        if exc.http_status >= 500:
            log.error("API %s failed: %s", endpoint.name, exc.message)
        return _error(exc)


def handler(endpoint: Endpoint) -> Callable[..., Any]:
    def call(web: WebContext, **url_args: str) -> Any:
        return _handle(web, endpoint, url_args)

    call.__name__ = f"api_{endpoint.name}"
    return call


def openapi_json(web: WebContext) -> Any:
    """The OpenAPI 3.1 document (public: it holds no data)."""
    return _answer(200, openapi.document(web.settings.base_url))


def not_found(web: WebContext, rest: str = "") -> Any:
    """Any other path or method under /api/v1/: a JSON 404, not the site's page."""
    return _error(NotFound(f"no API endpoint {bottle.request.method} {PREFIX}/{rest}"))


__all__ = ["ENDPOINTS", "handler", "not_found", "openapi_json"]
