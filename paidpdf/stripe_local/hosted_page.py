"""The hosted checkout page (`/pay/<session>`): Stripe's test page, where the buyer pays or declines.

A form token per session guards it; only http(s) return URLs are ever rendered."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import bottle
import jinja2

from paidpdf.money import format_amount, format_figure
from paidpdf.stripe_local import checkout_tax
from paidpdf.stripe_local.api_errors import ApiError
from paidpdf.stripe_local.standin import StandIn
from paidpdf.stripe_local.wire import form_params


def install(app: bottle.Bottle, core: StandIn, templates: jinja2.Environment) -> None:
    def page(session_id: str, message: str = "", kind: str = "error") -> str:
        try:
            view = core.page_view(session_id)
        except ApiError:
            bottle.response.status = 404
            return templates.get_template("message.html").render(
                title="Checkout session not found", text="This checkout link is not valid."
            )
        session = view["session"]
        total = format_amount(session["amount_total"], session["currency"])
        for product in view["products"]:
            product["amount_text"] = format_amount(product["amount"], product["currency"])
        if session["status"] == "expired" and not message:
            message, kind = "This checkout session has expired and can no longer be paid.", "error"
            bottle.response.status = 410
        elif session["status"] == "complete" and not message:
            paid = session["payment_status"] == "paid"
            message = "This session is paid." if paid else "Your payment is processing."
            kind = "info"
        title = view["products"][0]["name"] if len(view["products"]) == 1 else "Your order"
        recurring = view["recurring"]
        trial = view["trial_period_days"]
        recurring_text = ""
        if recurring:
            every = (
                recurring["interval"]
                if recurring["interval_count"] == 1
                else (f"{recurring['interval_count']} {recurring['interval']}s")
            )
            price = format_amount(view["recurring_amount"], session["currency"])
            recurring_text = f"Then {price} every {every}" if trial else f"{price} every {every}"
            if trial:
                recurring_text = f"{trial}-day free trial. {recurring_text}"
        return templates.get_template("checkout.html").render(
            title=title,
            total=total,
            products=view["products"],
            status=session["status"],
            email=view["payer_email"],
            token=view["token"],
            action=f"/pay/{session_id}",
            message=message,
            message_kind=kind,
            mode=session["mode"],
            recurring_text=recurring_text,
            trial=bool(trial),
            no_card=bool(trial) and session["payment_method_collection"] == "if_required",
            session_id=session_id,
            ask_address=checkout_tax.wants_address(session),
            ask_tax_id=bool(session["tax_id_collection"]),
            tax_text=_tax_text(session),
            invoice_url=_invoice_url(core, session),
            success_url=_safe_url(session["success_url"]),
            cancel_url=_safe_url(session["cancel_url"]),
        )

    @app.get("/pay/<session_id>")
    def show_page(session_id: str) -> str:
        bottle.response.set_header("Cache-Control", "no-store")
        bottle.response.set_header("X-Frame-Options", "DENY")
        return page(session_id)

    @app.post("/pay/<session_id>")
    def submit_page(session_id: str) -> str:
        bottle.response.set_header("Cache-Control", "no-store")
        form = form_params(bottle.request)
        if not core.check_page_token(session_id, str(form.get("token") or "")):
            bottle.response.status = 403
            return page(session_id, "This form has expired. Reload the page and try again.")
        action = form.get("action")
        session = core.page_view(session_id)["session"]
        if action == "cancel":
            target = session["cancel_url"]
            if target:
                bottle.redirect(target, 303)
            return page(session_id, "Checkout cancelled. You can close this page.", "info")
        if session["status"] != "open":
            return page(session_id)
        email = str(form.get("email") or "").strip() or None
        payer = core.page_view(session_id)["payer_email"]
        if not payer and (email is None or "@" not in email):
            bottle.response.status = 400
            return page(session_id, "Enter your email address: your receipt goes there.")
        method = {"pay": "card", "decline": "decline"}.get(str(action))
        if session["mode"] == "subscription" and action in ("fails_later", "no_card"):
            method = "card_fails_later" if action == "fails_later" else "no_card"
        if action == "delayed" and session["mode"] == "payment":
            method = "delayed_failure" if form.get("outcome") == "failed" else "delayed_success"
        if method is None:
            bottle.response.status = 400
            return page(session_id, "Unknown action.")
        try:
            typed = {k: str(form.get(k) or "").strip() or None for k in ("country", "state", "tax_id")}
            paid = core.pay(
                session_id, method, email=email,
                country=typed["country"], state=typed["state"], tax_id=typed["tax_id"],
            )
        except ApiError as exc:
            bottle.response.status = exc.status
            text = (
                "Your card was declined. Try another card or payment method."
                if exc.status == 402
                else exc.message
            )
            return page(session_id, text)
        if paid["success_url"]:
            bottle.redirect(paid["success_url"], 303)
        return page(session_id)

    @app.get("/i/<invoice_id>/<token>")
    def invoice_page(invoice_id: str, token: str) -> str:
        """The hosted invoice page (`hosted_invoice_url`): anyone with the link may see it, as on Stripe."""
        bottle.response.set_header("Cache-Control", "no-store")
        try:
            inv = core.get_invoice(invoice_id)
        except ApiError:
            inv = None
        expected = f"{core.public_url}/i/{invoice_id}/{token}"
        if inv is None or inv.get("hosted_invoice_url") != expected:
            bottle.response.status = 404
            return templates.get_template("message.html").render(
                title="Invoice not found", text="This invoice link is not valid."
            )
        tax = int(inv["total"]) - int(inv["total_excluding_tax"] or inv["total"])
        return templates.get_template("invoice.html").render(
            inv=inv,
            money=lambda amount: format_figure(int(amount), inv["currency"]),
            tax=tax,
        )

    @app.get("/")
    def home() -> str:
        return templates.get_template("message.html").render(
            title="Local Stripe stand-in",
            text="This server speaks the parts of Stripe's API that paidpdf uses. "
            "Point STRIPE_API_BASE here; the test controls are listed at /_local.",
        )


def _tax_text(session: dict[str, Any]) -> str:
    """The tax line of a taxed session: computed once the buyer gave an address (as on Stripe)."""
    if not checkout_tax.taxed(session):
        return ""
    if session["automatic_tax"]["status"] != "complete":
        return "Tax is calculated from your billing address."
    amount = format_figure(session["total_details"]["amount_tax"], session["currency"])
    return f"Including tax: {amount}"


def _invoice_url(core: StandIn, session: dict[str, Any]) -> str | None:
    if not session.get("invoice"):
        return None
    try:
        return _safe_url(core.get_invoice(str(session["invoice"]))["hosted_invoice_url"])
    except ApiError:
        return None


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links are rendered (the session's URLs were validated, this is belt and braces)."""
    if url and urlsplit(url).scheme in ("http", "https"):
        return url
    return None
