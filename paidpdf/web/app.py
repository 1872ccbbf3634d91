"""`create_app(settings)`: the reader site as a Bottle app, built without import-time side effects.

The app is a small `Bottle` subclass whose `wsgi` adds the security headers to every response (pages,
files, redirects, error pages and Bottle's own 404/405 alike) and refuses oversized request bodies
before any route reads them. The app iterable is passed through untouched, so waitress still sees
its own file wrapper and streams downloads from its I/O loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import bottle

from paidpdf.accounts import passwords, throttle
from paidpdf.config import Settings
from paidpdf.mail import Mailer, QueuedMailer, make_mailer
from paidpdf.sales import tax_checkout
from paidpdf.store import DataStore
from paidpdf.web import errors, page_encoding, routes, security
from paidpdf.web.access_log import log_request
from paidpdf.web.context import WebContext
from paidpdf.web.front_cache import FrontCache, front_versions
from paidpdf.web.templates import make_templates, static_version

log = logging.getLogger("paidpdf.web")

#: Forms are tiny; the largest body the site accepts is a Stripe webhook event.
MAX_BODY = 1024 * 1024

StartResponse = Callable[..., Any]

class ReaderApp(bottle.Bottle):
    """Bottle with security headers on every response and a request body limit."""

    web: WebContext
    security_headers: tuple[tuple[str, str], ...] = security.SECURITY_HEADERS
    too_large_page: bytes = b"413 Request body too large\n"
    front: FrontCache | None = None

    def wsgi(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        began = time.perf_counter()
        started: list[Any] = []
        front = self.front
        key = front.key(environ) if front is not None and environ.get("REQUEST_METHOD") == "GET" else None
        if key is not None:
            assert front is not None
            kept = front.answer(environ, key)
            if kept is not None:  # a kept answer: no route runs (`front_cache`)
                log_request(environ, kept[0], time.perf_counter() - began)
                start_response(kept[0], kept[1])
                return kept[2]

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers, exc_info]  # sent once the body is known (page_encoding)

        def send(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> list[tuple[str, str]]:
            log_request(environ, status, time.perf_counter() - began)
            present = {name.lower() for name, _ in headers}
            headers = list(headers) + [h for h in self.security_headers if h[0].lower() not in present]
            if exc_info is not None:
                start_response(status, headers, exc_info)
            else:
                start_response(status, headers)
            return headers

        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = MAX_BODY + 1
        if length > MAX_BODY:
            body = self.too_large_page
            send(
                "413 Request Entity Too Large",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            return [self.too_large_page]
        with throttle.limits_in_force(self.web.settings.limits):  # this shop's PAIDPDF_* limits
            result: Iterable[bytes] = super().wsgi(environ, start)
        status, headers, exc_info = started
        if exc_info is None and environ.get("REQUEST_METHOD") == "GET":
            status, headers, result = page_encoding.finish(environ, status, headers, result)
        sent = send(status, headers, exc_info)
        if key is not None and exc_info is None:
            assert front is not None
            try:  # the answer is on its way already: a failure to keep it must not break it
                front.keep(environ, key, status, sent, result)
            except Exception:
                log.exception("could not keep the answer to %s", environ.get("PATH_INFO"))
        return result


def create_app(
    settings: Settings,
    *,
    store: DataStore | None = None,
    mailer: Mailer | None = None,
    stripe_client: Any = None,
    bind_host: str | None = None,
    page_caches: bool = True,
) -> bottle.Bottle:
    """Build the site. `bind_host` (from `paidpdf serve`) tightens the secret-key rule; see `security`.

    `page_caches=False` renders every catalog card and anonymous item page on every request (nothing kept
    per catalog version: `catalog_cache`, `page_cache`); only bench/web.py uses it, to measure the
    framework against a Flask app that renders each time. `serve` always keeps them on."""
    key = security.load_secret_key(settings, bind_host)
    passwords.warm_up()
    web = WebContext(
        settings=settings,
        store=store if store is not None else settings.open_store(),
        mailer=QueuedMailer(mailer if mailer is not None else make_mailer(settings)),
        templates=make_templates(tax_note=tax_checkout.tax_behavior(settings)),
        secret_key=key,
        stripe_client=stripe_client,
        static_version=static_version(),
        page_caches=page_caches,
    )
    app = ReaderApp()
    app.config["catchall"] = True  # exceptions become the 500 page, never a traceback
    app.config["json.disable"] = True
    app.web = web
    app.security_headers = security.security_headers(settings)
    if page_caches:
        token = web.visitor.anonymous_token
        app.front = FrontCache(front_versions(web.store), token, settings.country_header)
    errors.install(app, web)
    routes.install(app, web)
    return app
