"""A guest's downloads right after paying: the files of one order, for the browser that started it.

Why not a session: the checkout cookie proves that this browser pressed Buy, not that it owns the
address Stripe collected (anyone the checkout URL was sent to may have paid with theirs), so the
account is never opened to it. What the browser may have is what it just bought: the items of this
one order (`guest_checkout.order_for_browser`: its cookie, paid, at most a day old), served exactly as
the account's owner would get them (same file, stamping, limits and download log), and nothing else
of the account. Any other browser, or another order, gets a 404 that says nothing.
"""

from __future__ import annotations

from typing import Any

from paidpdf.errors import NotFound
from paidpdf.languages import N_
from paidpdf.sales import guest_checkout
from paidpdf.web import downloads
from paidpdf.web.checkout import GUEST_COOKIE
from paidpdf.web.context import WebContext


def download(web: WebContext, order_id: str, item_id: str, key: str | None = None) -> Any:
    found = guest_checkout.order_for_browser(web.store, order_id, web.cookies.get(GUEST_COOKIE))
    if found is None or item_id not in guest_checkout.order_items(found[0]):
        raise NotFound(N_("no such download in this browser; the receipt we emailed has a sign-in link"))
    return downloads.send_download(web, found[1], item_id, key)


def file_download(web: WebContext, order_id: str, item_id: str, key: str) -> Any:
    """Another file of an item of the order (`/checkout/<order>/download/<item>/<key>`)."""
    return download(web, order_id, item_id, key)
