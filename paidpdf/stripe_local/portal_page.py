"""The customer portal page (`/portal/<token>`): what `billing_portal.sessions.create` links to.

Every POST carries the portal session's form token; dates are shown in the customer's own time (their
test clock's, when they have one)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import bottle
import jinja2

from paidpdf.money import format_amount
from paidpdf.stripe_local.api_errors import ApiError
from paidpdf.stripe_local.standin import StandIn
from paidpdf.stripe_local.wire import form_params

CARDS = (
    ("4242", "Visa 4242 4242 4242 4242 (succeeds)"),
    ("0341", "Visa 4000 0000 0000 0341 (attaches, later charges fail)"),
    ("0002", "Visa 4000 0000 0000 0002 (declined)"),
)
STATUS_TEXT = {
    "active": "Active",
    "trialing": "In trial",
    "past_due": "Payment failed: please pay the open invoice",
    "unpaid": "Unpaid",
    "canceled": "Canceled",
    "incomplete": "Incomplete",
}


def install(app: bottle.Bottle, core: StandIn, templates: jinja2.Environment) -> None:
    def page(token: str, message: str = "", kind: str = "info") -> str:
        bottle.response.set_header("Cache-Control", "no-store")
        bottle.response.set_header("X-Frame-Options", "DENY")
        bottle.response.set_header("Referrer-Policy", "no-referrer")
        try:
            view = core.portal_view(token)
        except ApiError:
            bottle.response.status = 404
            return templates.get_template("message.html").render(
                title="Portal link expired",
                text="This link is no longer valid. Open the portal again from the shop.",
            )
        return templates.get_template("portal.html").render(
            customer=view["customer"],
            card=view["card"],
            subscriptions=[_subscription(core, s) for s in view["subscriptions"]],
            invoices=[_invoice(i) for i in view["invoices"]],
            return_url=view["return_url"]
            if str(view["return_url"] or "").startswith(("http://", "https://"))
            else None,
            form_token=view["form_token"],
            cards=CARDS,
            action=f"/portal/{token}",
            message=message,
            message_kind=kind,
        )

    @app.get("/portal/<token>")
    def show_portal(token: str) -> str:
        return page(token)

    @app.post("/portal/<token>")
    def submit_portal(token: str) -> str:
        form = form_params(bottle.request)
        try:
            message = core.portal_action(
                token,
                str(form.get("token") or ""),
                str(form.get("action") or ""),
                str(form.get("target") or ""),
                str(form.get("card") or ""),
            )
        except ApiError as exc:
            bottle.response.status = exc.status
            text = "Your card was declined. Try another card." if exc.status == 402 else exc.message
            return page(token, text, "error")
        return page(token, message, "info")


def _date(timestamp: int | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") if timestamp else ""


def _subscription(core: StandIn, sub: dict[str, Any]) -> dict[str, Any]:
    item = sub["items"]["data"][0]
    recurring = item["price"]["recurring"]
    every = (
        recurring["interval"]
        if recurring["interval_count"] == 1
        else f"{recurring['interval_count']} {recurring['interval']}s"
    )
    amount = sum(i["price"]["unit_amount"] * i["quantity"] for i in sub["items"]["data"])
    status = STATUS_TEXT.get(sub["status"], sub["status"])
    end = _date(item["current_period_end"])
    if sub["status"] == "canceled":
        status = f"Canceled on {_date(sub['ended_at'])}"
    elif sub["cancel_at_period_end"]:
        status = f"{status}; ends on {end}"
    elif sub["status"] == "trialing":
        status = f"{status} until {end}"
    elif sub["status"] == "active":
        status = f"{status}; renews on {end}"
    return {
        **sub,
        "price_text": f"{format_amount(amount, sub['currency'])} every {every}",
        "status_text": status,
        "open_invoices": [_invoice(i) for i in core.open_invoices(sub["id"])],
    }


def _invoice(inv: dict[str, Any]) -> dict[str, Any]:
    return {
        **inv,
        "amount_text": format_amount(inv["amount_due"], inv["currency"]),
        "date": _date(inv["created"]),
    }
