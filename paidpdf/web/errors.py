"""Errors as pages: domain errors map to their `http_status`, Bottle's own errors to styled pages.

No error page ever shows a traceback, a path on disk or the text of an unexpected exception; those
go to the `paidpdf.web` log for the operator.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import bottle
from bottle import request, response

from paidpdf.accounts.throttle import Throttled
from paidpdf.errors import AuthRequired, PaidPdfError, PaymentsNotConfigured
from paidpdf.languages import N_, SOURCE
from paidpdf.local_formats import wait
from paidpdf.web.context import Handler, WebContext

log = logging.getLogger("paidpdf.web")

TITLES = {
    400: N_("Bad request"),
    401: N_("Please log in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Too large"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    502: N_("A service we rely on did not answer"),
    503: N_("Temporarily unavailable"),
}

DEFAULT_MESSAGES = {
    403: N_("You are not allowed to open this page."),
    404: N_("There is nothing here. The link may be old or mistyped."),
    405: N_("This address does not accept that kind of request."),
    413: N_("The request was too large."),
    429: N_("Too many attempts. Please wait a little and try again."),
    500: N_("The shop hit an unexpected problem. It was logged; please try again later."),
    503: N_("This part of the shop is not available right now. Please try again later."),
}

#: Server-side errors whose cause readers may know (their own message is for the operator's log).
PUBLIC_MESSAGES: dict[type[PaidPdfError], str] = {
    PaymentsNotConfigured: N_(
        "Payments are not configured on this shop, so items cannot be bought right now. "
        "Please try again later."
    ),
}


def error_page(web: WebContext, status: int, message: str | None = None) -> str:
    """The status page in the reader's language; a domain message is translated when the catalogs
    know it (messages marked with `languages.N_`), else shown as it is."""
    return web.render(
        "error.html",
        status=status,
        title=web.gettext(TITLES.get(status, N_("Error"))),
        message=web.gettext(message or DEFAULT_MESSAGES.get(status, N_("The request could not be handled."))),
        code=status,
    )


def throttled_message(web: WebContext, exc: Throttled) -> str:
    """What was throttled and for how long: the domain's own words in English, else the wait in the
    reader's language."""
    if web.locale() == SOURCE:
        return exc.message
    template = web.gettext(N_("Too many attempts. Try again in {wait}."))
    return template.format(wait=wait(exc.retry_after, web.locale()))


def map_domain_errors(web: WebContext) -> Any:
    """A Bottle plugin: a `PaidPdfError` raised by a route becomes its status page."""

    def decorate(callback: Handler) -> Handler:
        @functools.wraps(callback)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return callback(*args, **kwargs)
            except AuthRequired:
                web.redirect_to_login()
            except Throttled as exc:
                response.set_header("Retry-After", str(exc.retry_after))
                return error_page(web, exc.http_status, throttled_message(web, exc))
            except PaidPdfError as exc:
                if exc.http_status >= 500:
                    log.error("%s %s failed: %s", request.method, request.path, exc.message)
                    return error_page(web, exc.http_status, PUBLIC_MESSAGES.get(type(exc)))
                return error_page(web, exc.http_status, exc.message)

        return wrapper

    decorate.name = "paidpdf_errors"  # type: ignore[attr-defined]
    decorate.api = 2  # type: ignore[attr-defined]
    return decorate


def install(app: bottle.Bottle, web: WebContext) -> None:
    app.install(map_domain_errors(web))

    def handler(status: int) -> Handler:
        def page(error: bottle.HTTPError) -> str:
            if status == 500:
                log.error(
                    "unhandled error on %s %s: %r\n%s",
                    request.method,
                    request.path,
                    error.exception,
                    error.traceback or "",
                )
            if status == 405:
                allow = error.headers.get("Allow") if error.headers else None
                if allow:
                    response.set_header("Allow", allow)
            try:
                return error_page(web, status)
            except Exception:  # the page itself failed (e.g. storage down): plain text, no details
                log.exception("error page %d failed", status)
                response.content_type = "text/plain; charset=utf-8"
                return f"{status} {TITLES.get(status, 'Error')}\n"

        return page

    for status in (400, 403, 404, 405, 413, 429, 500):
        app.error(status)(handler(status))
