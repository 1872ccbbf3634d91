"""The stand-in's HTTP side: Stripe's `/v1` API, the hosted checkout page and the `/_local` test controls.

Routes only translate HTTP to `StandIn` calls and back; every rule lives in the account's modules and
`params.py`. One module per area, each with an `install()`: `api_routes`, `local_controls`, `hosted_page`;
the wire format they share is `wire`.
The wire format is Stripe's: form-encoded bodies, `Authorization: Bearer sk_test_...`, JSON answers,
`{"error": {...}}` with a 4xx status, `Idempotency-Key` honoured, `Request-Id` on every answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import bottle
import jinja2

from paidpdf.stripe_local import api_routes, billing_routes, hosted_page, local_controls, portal_page
from paidpdf.stripe_local.api_errors import ApiError
from paidpdf.stripe_local.config import Config
from paidpdf.stripe_local.standin import StandIn


def create_app(config: Config, standin: StandIn | None = None) -> bottle.Bottle:
    """Build the WSGI app around a `StandIn` (state + webhook workers), kept in the app's config.

    `standin_of(app)` gives it back, e.g. to pay a session from a WebTest test.
    """
    core = standin if standin is not None else StandIn(config)
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    app = bottle.Bottle()
    app.config["stripe_local.standin"] = core

    @app.hook("before_request")
    def own_host_only() -> None:
        """Refuse a request whose Host is not this stand-in's own address: a web page the demo's user
        opens could otherwise drive it through DNS rebinding (`evil.example` resolving to 127.0.0.1)."""
        allowed = _own_hosts(core.public_url) | _own_hosts(core.bound_url)
        if allowed and (bottle.request.get_header("Host") or "").lower() not in allowed:
            raise bottle.HTTPResponse(
                json.dumps({"error": {"type": "invalid_request_error", "message": "unknown Host"}}),
                status=421,
                headers={"Content-Type": "application/json"},
            )

    api_routes.install(app, core, config)
    billing_routes.install(app, core, config)
    local_controls.install(app, core, config)
    hosted_page.install(app, core, templates)
    portal_page.install(app, core, templates)

    # --------------------------------------------------------------- errors in Stripe's shape

    def not_found(error: bottle.HTTPError) -> str:
        if bottle.request.path.startswith(("/v1/", "/_local")):
            bottle.response.content_type = "application/json"
            message = (
                f"Unrecognized request URL ({bottle.request.method}: {bottle.request.path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/."
            )
            return json.dumps(ApiError(message, status=error.status_code).body(), indent=2)
        bottle.response.content_type = "text/html; charset=utf-8"
        return templates.get_template("message.html").render(title="Not found", text="There is nothing here.")

    def server_error(error: bottle.HTTPError) -> str:
        if not bottle.request.path.startswith(("/v1/", "/_local")):
            bottle.response.content_type = "text/html; charset=utf-8"
            return templates.get_template("message.html").render(
                title="Something went wrong", text="The local Stripe stand-in hit an unexpected error."
            )
        bottle.response.content_type = "application/json"
        return json.dumps(
            ApiError(
                "An unexpected error occurred in the local Stripe stand-in.", status=500, type="api_error"
            ).body(),
            indent=2,
        )

    app.error(404)(not_found)
    app.error(405)(not_found)
    app.error(500)(server_error)
    return app


def standin_of(app: bottle.Bottle) -> StandIn:
    found = app.config["stripe_local.standin"]
    assert isinstance(found, StandIn)
    return found


def _own_hosts(public_url: str) -> set[str]:
    """The Host values that name this stand-in: its public URL's, and the same port on the other
    loopback spellings when that URL is on loopback. Empty (no check) before a server has bound."""
    parts = urlsplit(public_url)
    if not parts.netloc:
        return set()
    hosts = {parts.netloc.lower()}
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if (parts.hostname or "") in ("127.0.0.1", "localhost", "::1"):
        hosts |= {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}
    return hosts
