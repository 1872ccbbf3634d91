"""Checkout routes: start a Stripe Checkout, the buyer's return (success / cancel).

No payment logic lives here: `paidpdf.sales.checkout` starts sessions and confirms returns through the same
`fulfilment.fulfil` the webhook uses. The success page never trusts its URL: it asks Stripe for the session
and checks it belongs to the logged-in buyer.
"""

from __future__ import annotations

from typing import Any

import bottle

from paidpdf import clock
from paidpdf.accounts import records, throttle
from paidpdf.content import bundles, catalog
from paidpdf.currency_prices import shown_in
from paidpdf.errors import AccessDenied, InvalidInput, NotFound, PaymentProviderError
from paidpdf.languages import N_
from paidpdf.ownership import access
from paidpdf.sales import checkout, guest_checkout, orders, tax_amounts
from paidpdf.store import ACCOUNTS, CATALOG, Doc
from paidpdf.web import pages, reader_locale
from paidpdf.web.context import WebContext
from paidpdf.web.request_fields import form, query, remote_addr

#: The cookie that ties a guest's checkout to the browser that started it.
GUEST_COOKIE = "paidpdf_checkout"

#: Seconds between reloads of the "payment processing" page (no JavaScript needed).
REFRESH_SECONDS = 3


def start(web: WebContext, content_id: str) -> Any:
    """Buy: a reader's checkout, or, for a visitor who is not logged in, a guest's (Checkout asks
    for the email; this browser gets the checkout cookie that lets it download this order's files
    from the success page)."""
    web.visitor.check_csrf()
    user = web.visitor.current_user()
    shelf = access.shelf_item(web.store, user, content_id)  # NotFound for bad ids, retired items
    count_start(web, user)
    amount, code = form("amount", 32), form("code", 64)
    try:
        started = checkout.start_checkout(
            web.store, web.stripe(), web.settings, user=user, content_id=shelf.item["id"],
            guest_token=None if user else guest_checkout.token_digest(guest_cookie(web, create=True)),
            amount_text=amount, code=code, currency=web.currencies.current(), locale=web.locale(),
        )
    except InvalidInput as exc:  # a price or code the reader typed: the item page again, with why
        return pages.item_html(web, shelf, status=400, error=exc.message, code=code, amount=amount)
    web.remember_language(user, started.order)  # the receipt speaks the language of this page
    if started.kind != "redirect":  # free or already owned: no checkout, back to the item
        web.redirect(item_url(started.item["id"]))
    web.redirect(started.url)


def bundle_page(web: WebContext, bundle_id: str) -> str:
    """A bundle: its price against its items' and the items themselves; Buy unless all are owned."""
    bundle = bundles.find(web.store.view(CATALOG), bundle_id) if access.valid_item_id(bundle_id) else None
    if bundle is None or bundle.get("status") != "active":
        raise NotFound(N_("no such bundle"))
    user = web.visitor.current_user()
    currency = web.currencies.current()
    bundle = shown_in(bundle, currency)
    items = [shown_in(i, currency) for i in bundles.contents(web.store, bundle)]
    owned = access.owned_ids(web.store, user)
    return web.render(
        "bundle.html", bundle=bundle, items=items, owned_ids=owned, base=web.settings.base_url.rstrip("/"),
        worth=sum(int(i["price"]) for i in items if i["currency"] == bundle["currency"]),
        all_owned=bool(user) and set(bundle["items"]) <= owned,
        owned_some=bool(owned & set(bundle["items"])),
        alternates=reader_locale.alternates(web.settings.base_url.rstrip("/"), f"/bundles/{bundle['id']}"),
    )


def start_bundle(web: WebContext, bundle_id: str) -> Any:
    """Buy a bundle: like an item's Buy, for everything the bundle holds."""
    web.visitor.check_csrf()
    bundle = bundles.find(web.store.view(CATALOG), bundle_id) if access.valid_item_id(bundle_id) else None
    if bundle is None or bundle.get("status") != "active":  # one answer: a retired id is not revealed
        raise NotFound(N_("no such bundle"))
    user = web.visitor.current_user()
    count_start(web, user)
    started = checkout.start_bundle_checkout(
        web.store, web.stripe(), web.settings, user=user, bundle_id=bundle_id,
        guest_token=None if user else guest_checkout.token_digest(guest_cookie(web, create=True)),
        currency=web.currencies.current(), locale=web.locale(),
    )
    web.remember_language(user, started.order)
    if started.kind != "redirect":
        web.redirect("/library")
    web.redirect(started.url)


def count_start(web: WebContext, user: Doc | None) -> None:
    """Every Buy may make an order and a Stripe session: at most `PAIDPDF_CHECKOUTS_PER_ADDRESS` per
    client address and `PAIDPDF_CHECKOUTS_PER_BROWSER` per browser (the reader's account, or a
    guest's checkout cookie) in `throttle.CHECKOUT_WINDOW`; more is the 429 page with Retry-After."""
    browser = f"user:{user['id']}" if user else "guest:" + guest_checkout.token_digest(
        guest_cookie(web, create=True)
    )
    rules = throttle.checkout_rules(remote_addr(), browser)
    moment = clock.now()
    with web.store.unit(ACCOUNTS) as unit:
        throttle.check(unit, rules, moment, "checkouts started")
        throttle.record(unit, rules, moment)
        records.prune(unit, moment)  # at most every few minutes: a Buy must not sweep the table each time


def guest_cookie(web: WebContext, *, create: bool) -> str:
    """This browser's checkout cookie (made on its first guest Buy; it lives a day)."""
    token = web.cookies.get(GUEST_COOKIE) or ""
    if not token and create:
        token = guest_checkout.new_token()
        web.cookies.set(GUEST_COOKIE, token, int(guest_checkout.COOKIE_LIFETIME.total_seconds()))
    return token


def success(web: WebContext) -> Any:
    user = web.visitor.current_user()
    try:
        outcome = checkout.confirm_return(
            web.store, web.stripe(), web.settings, session_id=query("session_id"),
            user_id=user["id"] if user else None,
        )
    except PaymentProviderError:
        # Stripe unreachable right now: the webhook (or reconcile) still fulfils; keep waiting.
        return _processing(web, None, N_("We could not reach the payment provider yet."))
    except AccessDenied:
        web.visitor.require_user()  # a reader's checkout: log in first (then back here)
        raise
    order = outcome.order
    if order is None:
        raise NotFound(N_("no such checkout for this account"))
    item = _item_of(web, order)
    if outcome.granted:
        send_receipts(web)
        if user is not None and order["user_id"] == user["id"]:
            figures = tax_amounts.receipt_figures(order)
            return web.render("checkout_done.html", item=item, order=order, figures=figures)
        return _guest_done(web, order, item)
    if order["status"] in ("failed", "expired", "abandoned", "flagged", "refunded", "disputed"):
        return web.render("checkout_pending.html", item=item, order=order, final=True, refresh=0)
    return _processing(web, order, "")


def cancel(web: WebContext) -> Any:
    """Read-only, like every GET (a cross-site link must not change an order): the pending order
    simply expires with its Checkout Session, and a payment that still arrives is fulfilled. The
    order is named only to its reader, or to the browser that started a guest's checkout."""
    user = web.visitor.current_user()
    order_id = query("order")
    found = web.store.view(orders.SALES).get(orders.ORDERS, order_id) if order_id else None
    cookie = guest_cookie(web, create=False)
    mine = found is not None and (
        (user is not None and found["user_id"] == user["id"])
        or (bool(cookie) and found.get("guest_token") == guest_checkout.token_digest(cookie))
    )
    order = found if mine else None
    return web.render("checkout_cancel.html", item=_item_of(web, order), order=order)


def _guest_done(web: WebContext, order: Doc, item: Doc | None) -> Any:
    """A guest's paid order: never a session (the checkout cookie proves nothing about the address
    Stripe collected; the account is entered by the sign-in link mailed with the receipt). The
    browser that started this checkout gets this order's downloads (`guest_downloads`); anyone
    else, only "check your email"."""
    bought = guest_checkout.order_for_browser(web.store, order["id"], guest_cookie(web, create=False))
    if bought is None:
        return web.render("checkout_email.html", item=item, order=order)
    bottle.response.set_header("Cache-Control", "no-store")
    files = [_item_of(web, {"content_id": i}) for i in guest_checkout.order_items(order)]
    return web.render(
        "checkout_guest.html", item=item, order=order, files=[f for f in files if f],
        figures=tax_amounts.receipt_figures(order),
    )


def _processing(web: WebContext, order: Doc | None, note: str) -> Any:
    bottle.response.set_header("Refresh", str(REFRESH_SECONDS))
    bottle.response.set_header("Cache-Control", "no-store")
    return web.render(
        "checkout_pending.html", item=_item_of(web, order), order=order, final=False,
        refresh=REFRESH_SECONDS, note=note,
    )


def _item_of(web: WebContext, order: Doc | None) -> Doc | None:
    if order is None:
        return None
    try:
        return catalog.get_item(web.store, order["content_id"])
    except NotFound:
        return None


def send_receipts(web: WebContext) -> None:
    """Have due receipts sent in the background (`receipt_runner`): a storage or mail problem is
    logged, never shown; the purchase itself is already safe, and the next fulfilment or reconcile
    sends them."""
    web.receipts.kick()


def item_url(content_id: str) -> str:
    return f"/content/{content_id}"
