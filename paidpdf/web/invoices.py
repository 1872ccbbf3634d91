"""`/orders/<id>/invoice`: the buyer's invoice for an order, on Stripe's hosted invoice page.

Why a redirect instead of storing Stripe's link: the order learns only the invoice's id from the
completed session (the webhook's copy carries no more), and Stripe's hosted link is for the buyer alone;
so the link in the library and the receipt points here, and only the order's buyer is sent on.
"""

from __future__ import annotations

from typing import Any

from bottle import redirect

from paidpdf.errors import NotFound
from paidpdf.languages import N_
from paidpdf.sales import orders
from paidpdf.sales.stripe_gateway import invoice_url
from paidpdf.store import Doc
from paidpdf.web.context import WebContext
from paidpdf.web.guards import login_required


@login_required
def order_invoice(web: WebContext, user: Doc, order_id: str) -> Any:
    found = web.store.view(orders.SALES).get(orders.ORDERS, order_id)
    if found is None or found.get("user_id") != user["id"] or not found.get("invoice"):
        raise NotFound(N_("no invoice for this order"))
    redirect(invoice_url(web.stripe(), str(found["invoice"])), 303)
