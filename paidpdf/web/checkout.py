"""Checkout routes: start a Stripe Checkout, the buyer's return (success / cancel).

No payment logic lives here: `paidpdf.sales.checkout` starts sessions and confirms returns through the same
`fulfilment.fulfil` the webhook uses. The success page never trusts its URL: it asks Stripe for the session
and checks it belongs to the logged-in buyer.
"""

from __future__ import annotations

from typing import Any

import bottle

from paidpdf.content import catalog
from paidpdf.errors import NotFound, PaymentProviderError
from paidpdf.ownership import access
from paidpdf.sales import checkout, orders, stripe_gateway
from paidpdf.web.context import WebContext

#: Seconds between reloads of the "payment processing" page (no JavaScript needed).
REFRESH_SECONDS = 3


def install(app: bottle.Bottle, web: WebContext) -> None:
    clients: dict[str, stripe_gateway.Client] = {}

    def client() -> stripe_gateway.Client:
        if web.stripe_client is not None:
            return web.stripe_client  # type: ignore[no-any-return]
        if "c" not in clients:
            clients["c"] = stripe_gateway.make_client(web.settings)
        return clients["c"]

    def item_of(order: dict[str, Any] | None) -> dict[str, Any] | None:
        if order is None:
            return None
        try:
            return catalog.get_item(web.store, order["content_id"])
        except NotFound:
            return None

    @app.post("/checkout/<content_id>")
    def start(content_id: str) -> Any:
        user = web.require_user()
        web.check_csrf()
        shelf = access.shelf_item(web.store, user, content_id)  # NotFound for bad ids, retired items
        started = checkout.start_checkout(
            web.store, client(), web.settings, user=user, content_id=shelf.item["id"]
        )
        if started.kind != "redirect":  # free or already owned: no checkout, back to the item
            web.redirect(item_url(started.item["id"]))
        web.redirect(started.url)

    @app.get("/checkout/success")
    def success() -> Any:
        user = web.require_user()
        session_id = bottle.request.query.getunicode("session_id") or ""
        try:
            outcome = checkout.confirm_return(
                web.store, client(), web.settings, session_id=session_id, user_id=user["id"]
            )
        except PaymentProviderError:
            # Stripe unreachable right now: the webhook (or reconcile) still fulfils; keep waiting.
            return processing(None, "We could not reach the payment provider yet.")
        order = outcome.order
        if order is None:
            raise NotFound("no such checkout for this account")
        item = item_of(order)
        if outcome.granted:
            return web.render("checkout_done.html", item=item, order=order)
        if order["status"] in ("failed", "expired", "abandoned", "flagged", "refunded", "disputed"):
            return web.render("checkout_pending.html", item=item, order=order, final=True, refresh=0)
        return processing(order, "")

    def processing(order: dict[str, Any] | None, note: str) -> Any:
        item = item_of(order)
        bottle.response.set_header("Refresh", str(REFRESH_SECONDS))
        bottle.response.set_header("Cache-Control", "no-store")
        return web.render(
            "checkout_pending.html", item=item, order=order, final=False, refresh=REFRESH_SECONDS, note=note
        )

    @app.get("/checkout/cancel")
    def cancel() -> Any:
        """Read-only, like every GET (a cross-site link must not change an order): the pending order
        simply expires with its Checkout Session, and a payment that still arrives is fulfilled."""
        user = web.require_user()
        order_id = bottle.request.query.getunicode("order") or ""
        found = web.store.view(orders.SALES).get(orders.ORDERS, order_id) if order_id else None
        order = found if found is not None and found["user_id"] == user["id"] else None
        return web.render("checkout_cancel.html", item=item_of(order), order=order)


def item_url(content_id: str) -> str:
    return f"/content/{content_id}"
