"""Reader pages: the catalog, an item, "My library", the health check and the stylesheet."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from bottle import request, response

from paidpdf.content import browse, custom_css, item_files, shop
from paidpdf.currency_prices import shown_in
from paidpdf.errors import InvalidInput, NotFound, PaidPdfError, StorageError
from paidpdf.languages import N_
from paidpdf.licenses import member_keys
from paidpdf.licenses import records as license_records
from paidpdf.money import decimals, to_decimal_text
from paidpdf.ownership import access, update_notices
from paidpdf.sales import promos
from paidpdf.sales.orders import ORDERS
from paidpdf.store import SALES, Doc
from paidpdf.web import (
    catalog_cache,
    feeds,
    front_cache,
    page_cache,
    play_positions,
    reader_locale,
    reader_pages,
    samples,
    security,
    seo,
)
from paidpdf.web.context import WebContext
from paidpdf.web.guards import login_required
from paidpdf.web.page_cache import PLACEHOLDER
from paidpdf.web.request_fields import query
from paidpdf.web.templates import STATIC_DIR

_STATIC_NAME = re.compile(r"\A[a-z0-9_-]{1,40}\.(?:css|svg|png|ico|js)\Z")
_STATIC_TYPES = {
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
    "js": "text/javascript; charset=utf-8",
}


#: Catalog pages past this one are rendered per request (a crawler walking every page would otherwise
#: fill the anonymous page cache with pages few people read).
CACHED_CATALOG_PAGES = 50


def catalog_page(web: WebContext) -> str | bytes:
    wanted = browse.parse_query(query("page", 10), query("q", 300), query("sort", 20), query("tag", 60))
    currency = web.currencies.current()
    locale = web.locale()
    cards = web.catalog_cache.cards(currency, locale)
    user = web.visitor.current_user()
    owned = access.owned_ids(web.store, user)
    known_tag = not wanted.tag or wanted.tag in cards.tags
    cacheable = not wanted.q and wanted.page <= CACHED_CATALOG_PAGES and known_tag
    if web.page_caches and cacheable and not web.cookies.has_flash():
        # The page depends only on the catalog (items, prices, bundles, the shop's identity: all in
        # `catalog`, whose version `cards` was made for), the parsed query and, for a logged-in reader,
        # what it shows of them (`reader_pages`: their header and the items they own, read just now),
        # so it is rendered once per catalog version and reader state (`page_cache`). Searches are
        # rendered per request: their text is the visitor's, and would evict the common pages.
        response.set_header("Cache-Control", "private, no-cache")
        response.content_type = "text/html; charset=utf-8"
        page = f"{locale}:{currency}:/?page={wanted.page}&sort={wanted.sort}&tag={wanted.tag}"
        render = lambda: _catalog_html(web, cards, wanted, owned, token=lambda: PLACEHOLDER)  # noqa: E731
        if user is None:
            request.environ[front_cache.KEEP] = None  # the whole answer may be kept too (`front_cache`)
            return web.anonymous_pages.page(cards.identity, page, render, web.visitor.csrf_token)
        key = reader_pages.catalog_key(page, user, owned)
        request.environ[front_cache.KEEP_READER] = reader_pages.fresh_until(web.store, web.visitor, user)
        return web.reader_pages.page(cards.identity, key, render, web.visitor.csrf_token)
    return _catalog_html(web, cards, wanted, owned)


def _catalog_html(
    web: WebContext,
    cards: catalog_cache.Cards,
    wanted: browse.CatalogQuery,
    owned: frozenset[str],
    *,
    token: Callable[[], str] | None = None,
) -> str:
    """The catalog page; a kept page is rendered with `token` giving `PLACEHOLDER` (the Log out form's
    token is put in per request by `page_cache`)."""
    page = browse.browse(cards.sorted(wanted.sort), wanted, presorted=True)
    extra: dict[str, Any] = {"csrf_token": token} if token is not None else {}
    return web.render(
        "catalog.html",
        base=web.settings.base_url.rstrip("/"),
        grid_html=web.catalog_cache.grid(cards, page.items, owned),
        page=page,
        catalog_size=len(cards.items),
        tags=cards.tags,
        sorts=browse.SORT_LABELS,
        bundles=cards.bundles if wanted.page == 1 else (),
        alternates=reader_locale.alternates(web.settings.base_url.rstrip("/"), wanted.url()),
        # back to the canonical form of this query (see `item_html`: kept pages carry no visitor's text)
        languages=reader_locale.selector_links("/", wanted.url().partition("?")[2]),
        **extra,
    )


def item_page(web: WebContext, item_id: str) -> str | bytes:
    user = web.visitor.current_user()
    code = query("code", 64)
    currency = web.currencies.current()  # the page shows prices in it: cached per currency
    if web.page_caches and not web.cookies.has_flash() and not code:
        version = web.catalog_cache.version()  # before the page is read (see `page_cache`)
        response.set_header("Cache-Control", "private, no-cache")
        response.content_type = "text/html; charset=utf-8"
        path = f"{web.locale()}:{currency}:{request.path}"  # per language and currency
        if user is None:  # the page is the item's alone: kept only while the item is on sale here
            anonymous = lambda: item_html(  # noqa: E731
                web, access.shelf_item(web.store, None, item_id), token=lambda: PLACEHOLDER
            )
            found = web.anonymous_pages.kept(version, path, anonymous)
            request.environ[front_cache.KEEP] = found  # the answer too, its token put in per view
            return page_cache.fill(found, web.visitor.csrf_token)
        shelf = access.shelf_item(web.store, user, item_id)  # NotFound for bad ids, retired items
        render = lambda: item_html(web, shelf, token=lambda: PLACEHOLDER)  # noqa: E731
        key = reader_pages.item_key(path, user, shelf)  # what it shows of the reader, read now
        request.environ[front_cache.KEEP_READER] = reader_pages.fresh_until(web.store, web.visitor, user)
        return web.reader_pages.page(version, key, render, web.visitor.csrf_token)
    return item_html(web, access.shelf_item(web.store, user, item_id), code=code)


def item_html(
    web: WebContext,
    shelf: access.ShelfItem,
    *,
    token: Callable[[], str] | None = None,
    status: int = 200,
    error: str | None = None,
    code: str = "",
    amount: str = "",
) -> str:
    """The item page; with a discount `code` (typed, or from a `?code=` link) it shows the price with
    it, or why it does not apply; `error` and `amount` come back from a refused Buy.
    A member reading an item their membership covers (`shelf.included_in`) sees Download, not Buy."""
    base = web.settings.base_url.rstrip("/")
    identity = shop.identity_or_defaults(web.store)
    shelf = replace(shelf, item=shown_in(shelf.item, web.currencies.current()))
    extra: dict[str, Any] = {"csrf_token": token} if token is not None else {}
    offer: promos.Priced | None = None
    if code and error is None and not shelf.owned:
        try:
            offer = promos.price_with(web.store.view(SALES), shelf.item, code)
        except InvalidInput as exc:
            error = exc.message
    return web.render(
        "item.html", status=status, item=shelf.item, owned=shelf.owned, can_download=shelf.can_download,
        base=base, summary=seo.summary(shelf.item.get("description")), shop=identity,
        json_ld=seo.product_json_ld(base, shelf.item, identity["name"]), error=error, code=code,
        amount=amount or _suggested(shelf.item), offer=offer, files=item_files.files_of(shelf.item),
        sample_texts=samples.sample_texts(web, shelf.item), included_in=shelf.included_in,
        alternates=reader_locale.alternates(base, f"/content/{shelf.item['id']}"),
        # the language links come back to this item (with the typed code), never with what else the URL
        # carried: a kept page is served to every visitor, so one visitor's query must not be in it
        languages=reader_locale.selector_links(
            f"/content/{shelf.item['id']}", urlencode({"code": code}) if code else ""
        ),
        **extra,
    )


def _suggested(item: Doc) -> str:
    """The amount a pay-what-you-want form starts with: the minimum, or a modest one for 0+."""
    minimum = int(item.get("price") or 0)
    return to_decimal_text(minimum or 5 * 10 ** decimals(str(item["currency"])), str(item["currency"]))


@login_required
def library_page(web: WebContext, user: Doc) -> str:
    rows = access.library_items(web.store, user)
    member_keys.ensure(web.store, user["id"])  # keys a membership gives, stored before they are shown
    license_keys = license_records.keys_for_owner(web.store, user["id"], user["email"])
    shelved = {row.item["id"] for row in rows}
    included = access.included_items(web.store, user)
    shown = rows + [row for _, group in included for row in group]
    players = any(
        str(f.get("media_type") or "").startswith(("audio/", "video/")) for row in shown for f in row.files
    )
    if players:  # the resume script (/static/player.js): this page alone may run the shop's own script
        response.set_header("Content-Security-Policy", security.with_own_scripts(web.settings))
    return web.render(
        "library.html", rows=rows, included=included,
        update_mails=update_notices.wanted_updates(user),
        license_keys=license_keys, other_keys={k: v for k, v in license_keys.items() if k not in shelved},
        invoices=_invoices(web, user),
        has_players=players, resume_prefix=user["id"], feed_links=feeds.library_links(web, user),
        positions=play_positions.library_positions(web, user, shown) if players else "{}",
    )


def choose_language(web: WebContext) -> None:
    """The language selector: `?lang=de&next=/content/x` remembers German and goes back (a GET that
    only sets a preference cookie, so a plain link works without a form or script)."""
    web.redirect(reader_locale.choose(web.cookies), 303)


def _invoices(web: WebContext, user: Doc) -> dict[str, str]:
    """Item id → the paid order whose Stripe invoice the library links to (`invoices.order_invoice`)."""
    found: dict[str, str] = {}
    for order in web.store.view(SALES).find(ORDERS, "user_id", user["id"]):
        if order.get("invoice") and order.get("status") == "paid":
            for item_id in [order["content_id"], *(order.get("bundle_items") or [])]:
                found[str(item_id)] = str(order["id"])
    return found


def choose_currency(web: WebContext) -> None:
    """`GET /currency?c=eur&next=/content/x`: remember the visitor's currency (`currency_choice`) and
    go back to `next`, a path on this site only. A GET that only sets a display preference, like a
    language link: no CSRF token, nothing of the reader's changes."""
    web.currencies.choose(query("c", 8))
    web.redirect_local(query("next", 2000))


def healthz(web: WebContext) -> str:
    """For load balancers: 200 when the store answers, else 503 naming what failed (no secrets).
    `?format=json` answers the same as JSON, with what an operator should know (the proxy trap)."""
    problem = _health_problem(web)
    response.set_header("Cache-Control", "no-store")
    if problem:
        response.status = 503
    if query("format", 8) == "json":
        response.content_type = "application/json"
        return json.dumps({"status": "unavailable" if problem else "ok", "problem": problem or None,
                           **web.forwarded.health()})
    response.content_type = "text/plain; charset=utf-8"
    return f"unavailable: {problem}\n" if problem else "ok\n"


def _health_problem(web: WebContext) -> str:
    try:
        web.store.check_health()
    except StorageError as exc:
        return f"documents ({web.store.describe()}): {exc.message}"
    try:
        web.store.files.check()
    except PaidPdfError as exc:
        return f"files ({web.store.files.describe()}): {exc.message}"
    return ""


def shop_css(web: WebContext) -> str:
    """The shop's accent colour as a stylesheet (the CSP allows no inline styles). The link carries the
    colour, so a new colour is a new URL and this one may be cached."""
    response.content_type = "text/css; charset=utf-8"
    response.set_header("Cache-Control", "public, max-age=86400")
    return f":root {{ --accent: {shop.identity_or_defaults(web.store)['accent']}; }}\n"


def custom_stylesheet(web: WebContext, name: str) -> bytes:
    """The creator's stylesheet (`shop set --css`) at its hashed name: cached for a year, since a new
    stylesheet gets a new name; any other name (an old one included) is a 404."""
    body = custom_css.served(web.store, name)
    if body is None:
        raise NotFound("no such stylesheet")
    response.content_type = "text/css; charset=utf-8"
    response.set_header("Cache-Control", "public, max-age=31536000, immutable")
    return body


def favicon(web: WebContext) -> None:
    """Browsers ask for /favicon.ico whatever the page says: send them to the logo or the default."""
    logo = shop.identity_or_defaults(web.store)["logo"]
    web.redirect(f"/covers/{logo}" if logo else "/static/favicon.svg", 302)


def static(web: WebContext, name: str) -> bytes:
    if not _STATIC_NAME.match(name):
        raise NotFound(N_("no such file"))
    path = STATIC_DIR / name
    try:
        body = path.read_bytes()
    except OSError:
        raise NotFound(N_("no such file")) from None
    response.content_type = _STATIC_TYPES[name.rsplit(".", 1)[1]]
    # Links carry ?v=<hash of the static files>, so a new stylesheet gets a new URL.
    response.set_header("Cache-Control", "public, max-age=31536000, immutable")
    return body
