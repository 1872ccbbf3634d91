"""Tax at the moment a test buyer pays: their address and tax ids on the session, the tax from the test
rates (`tax_rates`), and the invoice `invoice_creation` asks for.

Stripe computes tax once the buyer's address is known, so the stand-in does it in `pay`: each line's
`amount_tax`, the session's `total_details.amount_tax` and, for exclusive prices, an `amount_total`
that grows by the tax (the PaymentIntent then charges that total).
"""

from __future__ import annotations

import secrets
from typing import Any

from paidpdf.stripe_local import invoice_objects, tax_rates
from paidpdf.stripe_local.api_errors import invalid
from paidpdf.stripe_local.objects import new_id

Obj = dict[str, Any]

#: Tax id types the test page accepts (a few of Stripe's `customer_details.tax_ids[].type`).
TAX_ID_TYPES = ("eu_vat", "gb_vat", "ch_vat", "no_vat", "us_ein")


def taxed(session: Obj) -> bool:
    return bool(session["automatic_tax"]["enabled"])


def wants_address(session: Obj) -> bool:
    """Whether the page asks for a billing address (Stripe's page does for tax and when required)."""
    return taxed(session) or session["billing_address_collection"] == "required"


def buyer_details(
    base: Obj, country: str | None, state: str | None, tax_id: str | None, session: Obj
) -> Obj:
    """`customer_details` with the address and tax id typed on the test page (or sent to the control)."""
    details = dict(base)
    code = (country or "").strip().upper() or "US"
    if len(code) != 2 or not code.isalpha():
        raise invalid("country", "country must be a two-letter ISO code, such as DE")
    region = (state or "").strip().upper() or None
    details["address"] = {**details["address"], "country": code, "state": region}
    tax_ids: list[Obj] = []
    if tax_id and tax_id.strip() and session["tax_id_collection"]:
        kind, _, value = tax_id.strip().partition(":")
        if not value:
            kind, value = ("gb_vat" if code == "GB" else "eu_vat"), kind
        if kind not in TAX_ID_TYPES or not 4 <= len(value) <= 30:
            raise invalid("tax_id", f"tax_id must be TYPE:VALUE with TYPE one of {', '.join(TAX_ID_TYPES)}")
        tax_ids.append({"type": kind, "value": value.upper()})
        details["tax_exempt"] = "reverse" if kind == "eu_vat" and code in tax_rates.EU else "none"
    details["tax_ids"] = tax_ids
    return details


def apply_tax(session: Obj, line_items: list[Obj]) -> None:
    """Compute each line's tax for the buyer on the session and update the session's totals."""
    if not taxed(session):
        return
    address = session["customer_details"]["address"]
    kinds = tuple(t["type"] for t in session["customer_details"]["tax_ids"])
    bps = tax_rates.rate_bps(address["country"], address["state"], kinds)
    tax_total = 0
    on_top = 0
    for li in line_items:
        behavior = li["price"]["tax_behavior"]
        tax = tax_rates.tax_of(li["amount_subtotal"], bps, behavior)
        added = 0 if behavior == "inclusive" else tax
        li.update(amount_tax=tax, amount_total=li["amount_subtotal"] - li["amount_discount"] + added)
        tax_total += tax
        on_top += added
    session["total_details"] = {**session["total_details"], "amount_tax": tax_total}
    discount = session["total_details"]["amount_discount"]
    session["amount_total"] = session["amount_subtotal"] - discount + on_top
    session["automatic_tax"] = {**session["automatic_tax"], "status": "complete"}


def checkout_invoice(session: Obj, line_items: list[Obj], now: int, number: str, base_url: str) -> Obj:
    """The paid invoice of a `payment` session with `invoice_creation[enabled]=true`."""
    details = session["customer_details"]
    items = [
        {
            "id": new_id("si_"),
            "price": li["price"],
            "quantity": li["quantity"],
            "current_period_start": now,
            "current_period_end": now,
        }
        for li in line_items
    ]
    sub = {
        "id": None, "currency": session["currency"], "status": "active", "metadata": {},
        "items": {"data": items},
    }
    cust = {"id": session["customer"], "email": details["email"], "name": details["name"], "test_clock": None}
    names = {item["id"]: li["description"] for item, li in zip(items, line_items, strict=True)}
    inv = invoice_objects.invoice(sub, cust, "manual", (now, now), now, number, names)
    for line in inv["lines"]["data"]:
        line["parent"] = {
            "invoice_item_details": {
                "invoice_item": new_id("ii_"),
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        }
    tax = session["total_details"]["amount_tax"]
    total = session["amount_total"]
    token = secrets.token_urlsafe(18)
    inv.update(
        parent=None,
        customer_address=dict(details["address"]),
        customer_tax_ids=[{"type": t["type"], "value": t["value"]} for t in details["tax_ids"]],
        amount_due=total,
        amount_paid=total if session["payment_status"] == "paid" else 0,
        amount_remaining=0 if session["payment_status"] == "paid" else total,
        subtotal=session["amount_subtotal"],
        subtotal_excluding_tax=total - tax,
        total=total,
        total_excluding_tax=total - tax,
        status="paid" if session["payment_status"] == "paid" else "open",
        hosted_invoice_url=f"{base_url}/i/{inv['id']}/{token}",
        collection_method="charge_automatically",
        auto_advance=False,
        status_transitions={
            "finalized_at": now,
            "marked_uncollectible_at": None,
            "paid_at": now if session["payment_status"] == "paid" else None,
            "voided_at": None,
        },
        effective_at=now,
        attempted=True,
        attempt_count=1,
    )
    return inv
