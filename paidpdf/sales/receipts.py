"""Receipt mails: one per paid order, whichever of the success page, the webhook and reconcile
fulfilled it (and however many of them did).

`fulfilment.fulfil` marks an order's receipt `due` in the very unit that marks it paid, which happens
once per order. `send_due` then claims each due receipt in a unit of its own (`due` → `sending`, so
two servers or threads never both send it), hands the mail to the mailer and marks it `sent`. A
process killed between the claim and the mark leaves the claim, which `send_due` takes over again
after `RECLAIM_AFTER`: such a receipt may then go out twice, never zero times. The web hands receipts
to its queued mailer, so a webhook's answer never waits for the mail server.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from babel.support import NullTranslations

from paidpdf import clock
from paidpdf.accounts import guest_accounts, mailed_links, sign_in_links, users
from paidpdf.clock import iso, now_iso
from paidpdf.content import bundles, catalog
from paidpdf.errors import NotFound
from paidpdf.licenses import records as license_records
from paidpdf.mail import Mailer, MailError
from paidpdf.mail_languages import of_order, translations
from paidpdf.money import format_amount
from paidpdf.sales import tax_amounts
from paidpdf.sales.orders import ORDERS, SALES, history_entry
from paidpdf.sales.purchases import granted_items
from paidpdf.store import CATALOG, DataStore, Doc

DUE, SENDING, SENT = "due", "sending", "sent"
RECLAIM_AFTER = timedelta(minutes=10)

log = logging.getLogger("paidpdf.sales")


def send_due(store: DataStore, mailer: Mailer, *, base_url: str, shop_name: str, limit: int = 50) -> int:
    """Mail every receipt that is due (at most `limit` per call); returns how many were sent."""
    view = store.view(SALES)
    stale = iso(clock.now() - RECLAIM_AFTER)
    waiting = view.find(ORDERS, "receipt", DUE) + [
        o for o in view.find(ORDERS, "receipt", SENDING) if (o.get("receipt_claimed_at") or "") < stale
    ]
    sent = 0
    for order in waiting[:limit]:
        claimed = _claim(store, order["id"], stale)
        if claimed is None:
            continue  # another thread or server has it
        try:
            mailer.send(claimed["buyer"], *_message(store, claimed, base_url, shop_name))
        except MailError as exc:
            log.error("receipt for %s to %s failed: %s", claimed["id"], claimed["buyer"], exc.message)
            _mark(store, claimed["id"], DUE, f"receipt mail failed: {exc.message}")
            continue
        _mark(store, claimed["id"], SENT, f"receipt mailed to {claimed['buyer']}")
        sent += 1
    return sent


def _claim(store: DataStore, order_id: str, stale: str) -> Doc | None:
    with store.unit(SALES) as unit:
        current = unit.get(ORDERS, order_id)
        if current is None:
            return None
        state = current.get("receipt")
        if state != DUE and not (state == SENDING and (current.get("receipt_claimed_at") or "") < stale):
            return None
        return unit.put(ORDERS, {**current, "receipt": SENDING, "receipt_claimed_at": now_iso()})


def _mark(store: DataStore, order_id: str, state: str, detail: str) -> None:
    with store.unit(SALES) as unit:
        current = unit.get(ORDERS, order_id)
        if current is not None:
            history = [*current.get("history", []), history_entry("receipt", detail, "shop")]
            unit.put(ORDERS, {**current, "receipt": state, "history": history, "updated_at": now_iso()})


def _sign_in_link(store: DataStore, order: Doc, base_url: str) -> str | None:
    """A sign-in link for a buyer whose account has no password (a guest's), else None."""
    user = users.get_user(store, order["user_id"]) if order.get("user_id") else None
    if user is None or guest_accounts.has_password(user):
        return None
    issued = mailed_links.issue(
        store, sign_in_links.KIND, user["email"], base_url, remote_addr=None, now=clock.now()
    )
    return issued[1] if issued else None


def _message(store: DataStore, order: Doc, base_url: str, shop_name: str) -> tuple[str, str]:
    """(subject, body) in the buyer's language (`mail_languages.of_order`)."""
    user = users.get_user(store, order["user_id"]) if order.get("user_id") else None
    locale = of_order(store, order, user)
    t = translations(locale)
    try:
        title = str(catalog.get_item(store, order["content_id"])["title"])
    except NotFound:
        bundle = bundles.find(store.view(CATALOG), str(order["content_id"]))
        named = t.gettext("{title} (bundle)").format(title=bundle["title"]) if bundle else None
        title = named or str(order["content_id"])
    paid = int(order["amount"])
    amount = format_amount(paid, str(order["currency"]), locale) if paid else t.gettext("Free")
    base = base_url.rstrip("/")
    signing_in = _sign_in_link(store, order, base_url)
    if signing_in:
        minutes = int(sign_in_links.LIFETIME.total_seconds() // 60)
        where = t.gettext(
            "Your purchase is in your library. To sign in, open this link within {minutes} minutes and "
            "press the button (it works once):\n\n{link}\n\nLater, use \"Email me a sign-in link\" on "
            "{login}, or set a password from your account page.\n"
        ).format(minutes=minutes, link=signing_in, login=f"{base}/login")
    else:
        where = t.gettext(
            "Your purchase is in your library, ready to download whenever you like:\n\n{link}\n"
        ).format(link=f"{base}/library")
    body = (
        t.gettext("Thank you for your purchase from {shop}.").format(shop=shop_name) + "\n\n"
        f"  {title}\n"
        f"  {amount}\n"
        f"{_tax_lines(order, base_url, t, locale)}"
        "  " + t.gettext("Order {id}").format(id=order["id"]) + "\n\n"
        f"{_license_keys(store, order, t)}"
        f"{where}"
        f"\n-- \n{shop_name}\n"
    )
    return t.gettext("Your receipt from {shop}: {title}").format(shop=shop_name, title=title), body


def _tax_lines(order: Doc, base_url: str, t: NullTranslations, locale: str) -> str:
    """Net, tax, total, the buyer's country and tax ids, and the invoice link, when tax was charged."""
    figures = tax_amounts.receipt_figures(order)
    if figures is None:
        return ""
    money = lambda amount: format_amount(int(amount), figures["currency"], locale)  # noqa: E731
    place = f" ({figures['country']})" if figures["country"] else ""
    lines = [
        t.gettext("Net {amount}").format(amount=money(figures["net"])),
        t.gettext("Tax{place} {amount}").format(place=place, amount=money(figures["tax"])),
        t.gettext("Total {amount}").format(amount=money(figures["total"])),
    ]
    lines += [t.gettext("Your tax id: {value}").format(value=value) for value in figures["tax_ids"]]
    if figures["invoice"]:
        link = f"{base_url.rstrip('/')}/orders/{order['id']}/invoice"
        lines.append(t.gettext("Invoice: {link}").format(link=link))
    return "".join(f"  {line}\n" for line in lines)


def _license_keys(store: DataStore, order: Doc, t: NullTranslations) -> str:
    """The buyer's license key for each licensed item the order gave (the same key the library shows)."""
    lines = []
    buyer = str(order.get("user_id") or "")
    for item_id in granted_items(order) if buyer else []:
        key = license_records.key_of(store, buyer, item_id)
        if key:
            line = t.gettext("License key for {item}: {key}").format(item=item_id, key=key)
            lines.append(f"  {line}\n")
    return "".join(lines) + ("\n" if lines else "")
