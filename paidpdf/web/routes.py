"""Every route of the reader site in one table: method, path, handler, and whether it needs a login.

Read this list to know what the site answers; each handler is a plain function of the area module
that owns it, called as `handler(web, **url_args)`. Handlers marked `login_required` (see `guards`)
get the reader as their second argument and send anonymous browsers to the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bottle

from paidpdf.web import (
    account,
    checkout,
    creator_api,
    downloads,
    feeds,
    guest_downloads,
    invoices,
    license_api,
    membership,
    pages,
    play_positions,
    samples,
    seo,
    update_mails,
    webhook,
)
from paidpdf.web.context import Handler, WebContext

GET_HEAD = ("GET", "HEAD")


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    path: str
    handler: Handler


def _route(method: str | tuple[str, ...], path: str, handler: Handler) -> Route:
    return Route((method,) if isinstance(method, str) else method, path, handler)


ROUTES: tuple[Route, ...] = (
    # browsing
    _route("GET", "/", pages.catalog_page),
    _route("GET", "/content/<item_id>", pages.item_page),
    _route("GET", "/bundles/<bundle_id>", checkout.bundle_page),
    _route("GET", "/library", pages.library_page),
    _route("GET", "/orders/<order_id>/invoice", invoices.order_invoice),
    _route(GET_HEAD, "/content/<item_id>/download", downloads.download),  # the main file (old links)
    _route(GET_HEAD, "/content/<item_id>/files/<key>", downloads.file_download),  # owners: any file
    _route(GET_HEAD, "/content/<item_id>/files/<key>/sample", samples.sample),  # public samples
    # where an owner stopped playing the file (JSON for the library's player; its entitlement check)
    _route("GET", "/content/<item_id>/files/<key>/position", play_positions.position),
    _route("POST", "/content/<item_id>/files/<key>/position", play_positions.save_position),
    _route(GET_HEAD, "/covers/<name>", downloads.cover),
    _route("GET", "/static/<name>", pages.static),
    # a reader's private feeds: the token is the credential, no cookie is read (docs/feeds.md)
    _route("GET", "/feeds/<token>/opds", feeds.opds),
    _route("GET", "/feeds/<token>/podcast.xml", feeds.podcast),
    _route(GET_HEAD, "/feeds/<token>/files/<item_id>/<key>", feeds.file),
    _route("POST", "/library/feed-link", feeds.reset_link),
    _route("GET", "/currency", pages.choose_currency),  # the selector: a cookie, then back
    _route("GET", "/shop.css", pages.shop_css),
    _route("GET", "/shop/<name>", pages.custom_stylesheet),  # `shop set --css`: /shop/custom-<hash>.css
    _route("GET", "/favicon.ico", pages.favicon),
    _route("GET", "/healthz", pages.healthz),
    _route("GET", "/language", pages.choose_language),  # the footer's selector: cookie, then back
    _route("GET", "/robots.txt", seo.robots_txt),
    _route("GET", "/sitemap.xml", seo.sitemap_xml),
    # accounts
    _route("GET", "/signup", account.signup_form),
    _route("POST", "/signup", account.signup),
    _route("GET", "/signup/sent", account.signup_sent),
    _route("GET", "/signup/confirm/<token>", account.confirm_form),
    _route("POST", "/signup/confirm/<token>", account.confirm),
    _route("GET", "/login", account.login_form),
    _route("POST", "/login", account.login),
    _route("POST", "/logout", account.logout),
    _route("GET", "/forgot", account.forgot_form),
    _route("POST", "/forgot", account.forgot),
    _route("GET", "/reset/<token>", account.reset_form),
    _route("POST", "/reset/<token>", account.reset),
    _route("POST", "/login/link", account.request_sign_in_link),
    _route("GET", "/signin/<token>", account.sign_in_form),
    _route("POST", "/signin/<token>", account.sign_in),
    _route("GET", "/account/password", account.password_form),
    _route("POST", "/account/password", account.change_password),
    _route("POST", "/account/updates", update_mails.set_updates),
    _route("GET", "/updates/unsubscribe", update_mails.unsubscribe_form),
    _route("POST", "/updates/unsubscribe", update_mails.unsubscribe),  # one-click: the link's token
    # buying
    _route("POST", "/checkout/<content_id>", checkout.start),
    _route("POST", "/checkout/bundle/<bundle_id>", checkout.start_bundle),
    _route("GET", "/checkout/success", checkout.success),
    _route("GET", "/checkout/cancel", checkout.cancel),
    _route(GET_HEAD, "/checkout/<order_id>/download/<item_id>", guest_downloads.download),  # a guest's
    _route(GET_HEAD, "/checkout/<order_id>/download/<item_id>/<key>", guest_downloads.file_download),
    # memberships
    _route("GET", "/membership", membership.membership_page),
    _route("POST", "/membership/join/<plan_id>", membership.join),
    _route("GET", "/membership/success", membership.success),
    _route("POST", "/membership/manage", membership.manage),
    _route("POST", "/stripe/webhook", webhook.webhook),  # Stripe's signature, no cookies
    # the license API for the creator's software (no cookies read: see license_api)
    _route("POST", "/v2/licenses/verify", license_api.verify),
    _route("POST", "/v1/licenses/activate", license_api.activate),
    _route("POST", "/v1/licenses/validate", license_api.validate),
    _route("POST", "/v1/licenses/deactivate", license_api.deactivate),
    # the creator API: a bearer key, no cookies read (see creator_api; docs/api.md)
    _route("GET", "/api/v1/openapi.json", creator_api.openapi_json),
    *(_route(e.method, e.path, creator_api.handler(e)) for e in creator_api.ENDPOINTS),
    _route(("GET", "POST", "PUT", "PATCH", "DELETE"), "/api/v1/<rest:path>", creator_api.not_found),
)

#: POST routes that take no CSRF token because they read no cookie (tests/web/test_security.py).
COOKIELESS = frozenset({"/stripe/webhook", "/v2/licenses/verify", "/v1/licenses/activate",
                        "/v1/licenses/validate", "/v1/licenses/deactivate"})
#: Path prefixes whose every route reads no cookie: the creator API authenticates by bearer key only.
COOKIELESS_PREFIXES = ("/api/v1/",)


def cookieless(path: str) -> bool:
    return path in COOKIELESS or path.startswith(COOKIELESS_PREFIXES)


def install(app: bottle.Bottle, web: WebContext) -> None:
    for route in ROUTES:
        callback = _bind(route.handler, web, cookieless=cookieless(route.path))
        app.route(route.path, method=list(route.methods), callback=callback, name=route.handler.__name__)


def _bind(handler: Handler, web: WebContext, *, cookieless: bool = False) -> Callable[..., Any]:
    def callback(**url_args: str) -> Any:
        if cookieless:  # what these routes do never depends on a browser's session
            bottle.request.environ.pop("HTTP_COOKIE", None)
        return handler(web, **url_args)

    callback.__name__ = handler.__name__
    return callback
