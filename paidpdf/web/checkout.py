"""Checkout routes: start a Stripe Checkout, the buyer's return (success / cancel).

No payment logic lives here: `paidpdf.sales.checkout` starts sessions and confirms returns through the same
`fulfilment.fulfil` the webhook uses. The success page never trusts its URL: it asks Stripe for the session
and checks it belongs to the logged-in buyer.
"""

from __future__ import annotations

import logging
from typing import Any

import bottle

from paidpdf.content import catalog, shop
from paidpdf.errors import NotFound, PaidPdfError, PaymentProviderError
from paidpdf.ownership import access
from paidpdf.sales import checkout, orders, receipts
from paidpdf.store import Doc
from paidpdf.web.context import WebContext
from paidpdf.web.guards import login_required
from paidpdf.web.request_fields import query

log = logging.getLogger("paidpdf.web")

#: Seconds between reloads of the "payment processing" page (no JavaScript needed).
REFRESH_SECONDS = 3


@login_required
def start(web: WebContext, user: Doc, content_id: str) -> Any:
    web.visitor.check_csrf()
    shelf = access.shelf_item(web.store, user, content_id)  # NotFound for bad ids, retired items
    started = checkout.start_checkout(
        web.store, web.stripe(), web.settings, user=user, content_id=shelf.item["id"]
    )
    if started.kind != "redirect":  # free or already owned: no checkout, back to the item
        web.redirect(item_url(started.item["id"]))
    web.redirect(started.url)


@login_required
def success(web: WebContext, user: Doc) -> Any:
    try:
        outcome = checkout.confirm_return(
            web.store, web.stripe(), web.settings, session_id=query("session_id"), user_id=user["id"]
        )
    except PaymentProviderError:
        # Stripe unreachable right now: the webhook (or reconcile) still fulfils; keep waiting.
        return _processing(web, None, "We could not reach the payment provider yet.")
    order = outcome.order
    if order is None:
        raise NotFound("no such checkout for this account")
    item = _item_of(web, order)
    if outcome.granted:
        send_receipts(web)
        return web.render("checkout_done.html", item=item, order=order)
    if order["status"] in ("failed", "expired", "abandoned", "flagged", "refunded", "disputed"):
        return web.render("checkout_pending.html", item=item, order=order, final=True, refresh=0)
    return _processing(web, order, "")


@login_required
def cancel(web: WebContext, user: Doc) -> Any:
    """Read-only, like every GET (a cross-site link must not change an order): the pending order
    simply expires with its Checkout Session, and a payment that still arrives is fulfilled."""
    order_id = query("order")
    found = web.store.view(orders.SALES).get(orders.ORDERS, order_id) if order_id else None
    order = found if found is not None and found["user_id"] == user["id"] else None
    return web.render("checkout_cancel.html", item=_item_of(web, order), order=order)


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
    """Hand due receipts to the (queued) mailer; a storage or mail problem is logged, never shown:
    the purchase itself is already safe, and the next fulfilment or reconcile sends them."""
    try:
        receipts.send_due(
            web.store, web.mailer, base_url=web.settings.base_url,
            shop_name=shop.identity_or_defaults(web.store)["name"],
        )
    except PaidPdfError as exc:
        log.error("receipts not sent now: %s", exc.message)


def item_url(content_id: str) -> str:
    return f"/content/{content_id}"
