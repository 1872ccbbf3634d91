"""What every route is handed: the shop's dependencies, and the two ways a route answers.

Routes stay thin: they read the request (`request_fields`), ask `web.visitor` who is calling, call a
domain function, and answer with `web.render` or a redirect. Cookies, sessions and CSRF, request
fields and templates each live in their own module; this one only holds them together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import quote

import bottle
import jinja2
from bottle import request, response

from paidpdf import mail_languages
from paidpdf.config import Settings
from paidpdf.content import shop
from paidpdf.creator_api.key_rate import KeyRate
from paidpdf.errors import StorageError
from paidpdf.mail import Mailer
from paidpdf.memberships import notice_mails, plans
from paidpdf.sales import receipts
from paidpdf.store import CATALOG, DataStore, Doc
from paidpdf.web import reader_locale, security
from paidpdf.web.catalog_cache import CatalogCache
from paidpdf.web.cookies import Cookies
from paidpdf.web.currency_choice import CurrencyChoice
from paidpdf.web.download_records import DownloadRecorder
from paidpdf.web.forwarded import ForwardedWatch
from paidpdf.web.page_cache import PageCache
from paidpdf.web.published_images import PublishedImages
from paidpdf.web.reader_pages import READER_PAGES
from paidpdf.web.receipt_runner import ReceiptRunner
from paidpdf.web.visitor import Visitor

Handler = Callable[..., Any]


@dataclass
class WebContext:
    settings: Settings
    store: DataStore
    mailer: Mailer
    templates: jinja2.Environment
    secret_key: bytes = field(repr=False)
    stripe_client: Any = None
    static_version: str = ""
    page_caches: bool = True  # False only for bench/web.py's uncached comparison (see `create_app`)
    cookies: Cookies = field(init=False)
    visitor: Visitor = field(init=False)
    catalog_cache: CatalogCache = field(init=False)
    anonymous_pages: PageCache = field(init=False)
    reader_pages: PageCache = field(init=False)
    download_recorder: DownloadRecorder = field(init=False)
    published_images: PublishedImages = field(init=False)
    receipts: ReceiptRunner = field(init=False)
    forwarded: ForwardedWatch = field(init=False)
    currencies: CurrencyChoice = field(init=False)
    api_rate: KeyRate = field(init=False, default_factory=KeyRate)
    _stripe_lock: threading.Lock = field(init=False, default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.cookies = Cookies(security.base_is_https(self.settings))
        self.visitor = Visitor(self.store, self.cookies, self.secret_key)
        self.catalog_cache = CatalogCache(self.store, self.templates, keep=self.page_caches)
        self.anonymous_pages = PageCache()
        self.reader_pages = PageCache(READER_PAGES)
        self.download_recorder = DownloadRecorder(self.store)
        self.published_images = PublishedImages(self.store)
        self.receipts = ReceiptRunner(self._send_due_receipts)
        self.forwarded = ForwardedWatch()
        self.currencies = CurrencyChoice(self.settings, self.cookies, self.catalog_cache)

    def _send_due_receipts(self) -> int:
        """What the receipt runner does: hand every due receipt and membership mail to the (queued)
        mailer."""
        name = shop.identity_or_defaults(self.store)["name"]
        sent = receipts.send_due(self.store, self.mailer, base_url=self.settings.base_url, shop_name=name)
        return sent + notice_mails.send_due(
            self.store, self.mailer, base_url=self.settings.base_url, shop_name=name
        )

    def stripe(self) -> Any:
        """The Stripe client, made on first use (a shop without payments never builds one)."""
        with self._stripe_lock:
            if self.stripe_client is None:
                from paidpdf.sales import stripe_gateway

                self.stripe_client = stripe_gateway.make_client(self.settings)
            return self.stripe_client

    def locale(self) -> str:
        """This request's language (`reader_locale`: ?lang=, cookie, Accept-Language, shop default)."""
        return reader_locale.current(self.catalog_cache.shop_locale, self.cookies)

    def remember_language(self, user: Doc | None = None, order: Doc | None = None) -> None:
        """Keep this request's language where later mails look for it (`mail_languages`): on the
        reader's account and on an order whose checkout starts here."""
        if user is not None:
            mail_languages.remember_for_user(self.store, str(user["id"]), self.locale())
        if order is not None:
            mail_languages.remember_for_order(self.store, str(order["id"]), self.locale())

    def gettext(self, message: str) -> str:
        """`message` in this request's language (messages defined with `languages.N_`)."""
        return reader_locale.translations(self.catalog_cache.shop_locale, self.cookies).gettext(message)

    def _has_plans(self) -> bool:
        """Whether the header links "Membership": the shop sells a live plan. False when the catalog
        cannot be read: the 500 page of a damaged catalog must still render."""
        try:
            return bool(plans.plans_in(self.store.view(CATALOG)))
        except StorageError:
            return False

    # -- answers ---------------------------------------------------------------------------------
    def redirect(self, target: str, status: int = 303) -> NoReturn:
        """Redirect to a path of this site, sent as that relative path (RFC 9110 allows it; Bottle's
        own redirect would make it absolute from the request's Host header, which a client chooses),
        or to an absolute URL we built ourselves (Stripe's checkout page). Cookies set so far on this
        response are kept."""
        answer: bottle.HTTPResponse = response.copy(cls=bottle.HTTPResponse)
        answer.status = status
        answer.body = ""
        answer.set_header("Location", target)
        raise answer

    def redirect_local(self, next_url: str | None, default: str = "/") -> NoReturn:
        """303 to `next_url` when it is a path on this site, else to `default`."""
        self.redirect(security.safe_next(next_url, default), 303)

    def redirect_to_login(self) -> NoReturn:
        here = request.path + (f"?{request.query_string}" if request.query_string else "")
        self.redirect("/login?next=" + quote(here, safe="/"), 302)

    def render(self, name: str, status: int = 200, **values: Any) -> str:
        """Render a page with the values every template may use (user, csrf_token, flash, ...)."""
        response.status = status
        response.content_type = "text/html; charset=utf-8"
        if "Cache-Control" not in response.headers:  # pages show who is logged in: never shared
            response.set_header("Cache-Control", "private, no-cache")
        locale = self.locale()
        i18n = reader_locale.translations(self.catalog_cache.shop_locale, self.cookies)
        flash = self.cookies.take_flash()
        context: dict[str, Any] = {
            "locale": locale,
            "i18n": i18n,
            "languages": reader_locale.selector_links(request.path, request.query_string),
            # live: a `shop set` shows on the next page; a handler that already read it passes it
            "shop": values.pop("shop", None) or shop.identity_or_defaults(self.store),
            "user": self.visitor.current_user(),
            "csrf_token": self.visitor.csrf_token,
            "flash": i18n.gettext(flash) if flash else None,
            "static_version": self.static_version,
            "path": request.path,
            "has_plans": self._has_plans,
            "currency_selector": self.currencies.selector,
            "error": None,
            "alternates": (),  # hreflang links: public pages pass `reader_locale.alternates`
        }
        context.update(values)
        return self.templates.get_template(name).render(context)
