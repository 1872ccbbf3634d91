"""The stand-in's HTTP side: Stripe's `/v1` API, the hosted checkout page and the `/_local` test controls.

Routes only translate HTTP to `StandIn` calls and back; every rule lives in `standin.py`/`params.py`.
The wire format is Stripe's: form-encoded bodies, `Authorization: Bearer sk_test_...`, JSON answers,
`{"error": {...}}` with a 4xx status, `Idempotency-Key` honoured, `Request-Id` on every answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import bottle
import jinja2

from paidpdf.money import format_amount
from paidpdf.stripe_local import params
from paidpdf.stripe_local.api_errors import ApiError
from paidpdf.stripe_local.config import Config
from paidpdf.stripe_local.formdata import parse_query
from paidpdf.stripe_local.standin import RequestInfo, StandIn

Handler = Callable[..., Any]

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, using "
    "Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). "
    "See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
)

#: The documented test controls, served at GET /_local so a curious developer can find them.
CONTROLS = {
    "POST /_local/sessions/{id}/pay": (
        "method=card|delayed_success|delayed_failure|delayed|decline [delay=SECONDS]"
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
}


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

    def api(method: str, path: str) -> Callable[[Handler], Handler]:
        """Register a Stripe API route: auth, params, idempotency (POST), JSON, Stripe errors."""

        def register(handler: Handler) -> Handler:
            def wrapper(**url_args: Any) -> str:
                request_id = "req_" + secrets.token_hex(7)
                bottle.response.set_header("Request-Id", request_id)
                bottle.response.set_header("Stripe-Version", config.api_version)

                def answer() -> Any:
                    key = _authenticate(bottle.request.get_header("Authorization"), config.api_key)
                    raw = _params(bottle.request)
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

                return _json_answer(answer)

            app.route(path, method=method, callback=wrapper)
            return handler

        return register

    # --------------------------------------------------------------- Stripe API

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

    # --------------------------------------------------------------- test controls (not Stripe's API)

    def control(method: str, path: str) -> Callable[[Handler], Handler]:
        """Like `api` (same auth and error JSON) but without idempotency: these are the test's own knobs."""

        def register(handler: Handler) -> Handler:
            def wrapper(**url_args: Any) -> str:
                def answer() -> Any:
                    _authenticate(bottle.request.get_header("Authorization"), config.api_key)
                    return handler(_params(bottle.request), **url_args)

                return _json_answer(answer)

            app.route(path, method=method, callback=wrapper)
            return handler

        return register

    @control("GET", "/_local")
    def controls(raw: dict[str, Any]) -> Any:
        return {"object": "stripe_local.controls", "controls": CONTROLS}

    @control("POST", "/_local/sessions/<session_id>/pay")
    def local_pay(raw: dict[str, Any], session_id: str) -> Any:
        delay = _float(raw.get("delay"), "delay")
        return core.pay(session_id, str(raw.get("method") or "card"), delay)

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

    @control("POST", "/_local/events/<event_id>/resend")
    def local_resend(raw: dict[str, Any], event_id: str) -> Any:
        return core.resend(event_id)

    # --------------------------------------------------------------- hosted checkout page

    def page(session_id: str, message: str = "", kind: str = "error") -> str:
        try:
            view = core.page_view(session_id)
        except ApiError:
            bottle.response.status = 404
            return templates.get_template("message.html").render(
                title="Checkout session not found", text="This checkout link is not valid."
            )
        session = view["session"]
        total = format_amount(session["amount_total"], session["currency"])
        for product in view["products"]:
            product["amount_text"] = format_amount(product["amount"], product["currency"])
        if session["status"] == "expired" and not message:
            message, kind = "This checkout session has expired and can no longer be paid.", "error"
            bottle.response.status = 410
        elif session["status"] == "complete" and not message:
            paid = session["payment_status"] == "paid"
            message = "This session is paid." if paid else "Your payment is processing."
            kind = "info"
        title = view["products"][0]["name"] if len(view["products"]) == 1 else "Your order"
        return templates.get_template("checkout.html").render(
            title=title,
            total=total,
            products=view["products"],
            status=session["status"],
            email=session["customer_email"],
            token=view["token"],
            action=f"/pay/{session_id}",
            message=message,
            message_kind=kind,
            session_id=session_id,
            success_url=_safe_url(session["success_url"]),
            cancel_url=_safe_url(session["cancel_url"]),
        )

    @app.get("/pay/<session_id>")
    def show_page(session_id: str) -> str:
        bottle.response.set_header("Cache-Control", "no-store")
        bottle.response.set_header("X-Frame-Options", "DENY")
        return page(session_id)

    @app.post("/pay/<session_id>")
    def submit_page(session_id: str) -> str:
        bottle.response.set_header("Cache-Control", "no-store")
        form = _params(bottle.request)
        if not core.check_page_token(session_id, str(form.get("token") or "")):
            bottle.response.status = 403
            return page(session_id, "This form has expired. Reload the page and try again.")
        action = form.get("action")
        session = core.page_view(session_id)["session"]
        if action == "cancel":
            target = session["cancel_url"]
            if target:
                bottle.redirect(target, 303)
            return page(session_id, "Checkout cancelled. You can close this page.", "info")
        if session["status"] != "open":
            return page(session_id)
        method = {"pay": "card", "decline": "decline"}.get(str(action))
        if action == "delayed":
            method = "delayed_failure" if form.get("outcome") == "failed" else "delayed_success"
        if method is None:
            bottle.response.status = 400
            return page(session_id, "Unknown action.")
        try:
            paid = core.pay(session_id, method)
        except ApiError as exc:
            bottle.response.status = exc.status
            text = (
                "Your card was declined. Try another card or payment method."
                if exc.status == 402
                else exc.message
            )
            return page(session_id, text)
        if paid["success_url"]:
            bottle.redirect(paid["success_url"], 303)
        return page(session_id)

    @app.get("/")
    def home() -> str:
        return templates.get_template("message.html").render(
            title="Local Stripe stand-in",
            text="This server speaks the parts of Stripe's API that paidpdf uses. "
            "Point STRIPE_API_BASE here; the test controls are listed at /_local.",
        )

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


def _json_answer(answer: Callable[[], Any]) -> str:
    """JSON for an API or control route: what `answer` returns, or a raised `ApiError` as Stripe's error
    body with its status, so both kinds of route fail the same way."""
    bottle.response.content_type = "application/json"
    try:
        return json.dumps(answer(), indent=2)
    except ApiError as exc:
        bottle.response.status = exc.status
        return json.dumps(exc.body(), indent=2)


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


def _authenticate(header: str | None, expected: str | None) -> str:
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


def _params(request: bottle.BaseRequest) -> dict[str, Any]:
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


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links are rendered (the session's URLs were validated, this is belt and braces)."""
    if url and urlsplit(url).scheme in ("http", "https"):
        return url
    return None
