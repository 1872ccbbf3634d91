"""The public license API for the creator's software: `POST /v2/licenses/verify` (Gumroad's shape) and
`POST /v1/licenses/{activate,validate,deactivate}` (Lemon Squeezy's); the domain is `paidpdf.licenses.api`.

These routes take no cookie: the Cookie header is dropped before anything could read it, nothing sets
one, so a browser's session can neither authorise nor be spent by a call here. That is why they are
the only POST routes besides the Stripe webhook without a CSRF token: a forged cross-site call can do
nothing that anyone holding the key could not do anyway, and it carries no reader's authority.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import bottle

from paidpdf.errors import PaidPdfError
from paidpdf.licenses import api
from paidpdf.web.context import WebContext
from paidpdf.web.request_fields import form, query, remote_addr

log = logging.getLogger("paidpdf.licenses")

GUMROAD_FIELDS = ("product_id", "product_permalink", "id", "link_id", "license_key", "increment_uses_count")
LEMON_FIELDS = ("license_key", "instance_name", "instance_id")


#: The largest JSON body read (a license call is a few short fields).
MOST_JSON = 16 * 1024


def _fields(names: tuple[str, ...]) -> dict[str, str]:
    """The call's fields wherever the app put them, as Gumroad's and Lemon Squeezy's servers read them:
    the form body, else the query string (`POST /v2/licenses/verify?product_id=…` is common), else a
    JSON object body. Values that are not strings (JSON) count as absent."""
    bottle.request.environ.pop("HTTP_COOKIE", None)  # never read: see the module's docstring
    found = {name: form(name, limit=400) or query(name, limit=400) for name in names}
    if (bottle.request.content_type or "").startswith("application/json"):
        raw = bottle.request.body.read(MOST_JSON + 1)
        try:
            data = json.loads(raw) if len(raw) <= MOST_JSON else None
        except ValueError:
            data = None
        if isinstance(data, dict):
            for name in names:
                value = data.get(name)
                if not found[name] and isinstance(value, str):
                    found[name] = value[:400]
                elif not found[name] and isinstance(value, bool):  # increment_uses_count: false
                    found[name] = "true" if value else "false"
    return found


def _send(answer: api.Answer) -> bottle.HTTPResponse:
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store", **answer.headers}
    return bottle.HTTPResponse(body=json.dumps(answer.body), status=answer.status, headers=headers)


def _guarded(call: Callable[[], api.Answer], failed: dict[str, Any]) -> bottle.HTTPResponse:
    try:
        return _send(call())
    except PaidPdfError as exc:  # storage trouble: the app may retry
        log.error("license API failed: %s", exc.message)
        return _send(api.Answer(500 if exc.http_status < 500 else exc.http_status, failed))


def verify(web: WebContext) -> Any:
    fields = _fields(GUMROAD_FIELDS)
    return _guarded(
        lambda: api.gumroad_verify(web.store, fields, remote_addr(), web.settings.base_url),
        {"success": False, "message": "The license could not be checked; try again."},
    )


def activate(web: WebContext) -> Any:
    fields = _fields(LEMON_FIELDS)
    failed = {"activated": False, "error": "The license could not be checked; try again."}
    return _guarded(lambda: api.lemon_activate(web.store, fields, remote_addr()), failed)


def validate(web: WebContext) -> Any:
    fields = _fields(LEMON_FIELDS)
    failed = {"valid": False, "error": "The license could not be checked; try again."}
    return _guarded(lambda: api.lemon_validate(web.store, fields, remote_addr()), failed)


def deactivate(web: WebContext) -> Any:
    fields = _fields(LEMON_FIELDS)
    failed = {"deactivated": False, "error": "The license could not be checked; try again."}
    return _guarded(lambda: api.lemon_deactivate(web.store, fields, remote_addr()), failed)
