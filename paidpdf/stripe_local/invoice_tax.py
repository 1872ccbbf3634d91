"""Tax on the invoices of a subscription started by a Checkout Session with `automatic_tax` (Stripe
Billing with Stripe Tax): each line's `taxes`, the invoice's `total_taxes` and totals, from the same
test rates as the checkout (`tax_rates`) for the address the buyer gave on the page.

Stripe taxes every invoice of such a subscription (first and renewals) at the customer's location;
the stand-in keeps the place the buyer paid from on the subscription, so a renewal taxes like the
first invoice. Inclusive prices hold their tax (`total` unchanged); exclusive ones add it on top
(`total` and `amount_due` grow). Integer minor units throughout.
"""

from __future__ import annotations

from typing import Any

from paidpdf.stripe_local import tax_rates

Obj = dict[str, Any]


def place_of(details: Obj) -> Obj:
    """What a renewal needs to tax like the first invoice: the buyer's address and tax ids."""
    return {
        "address": dict(details["address"]),
        "tax_ids": [{"type": t["type"], "value": t["value"]} for t in details.get("tax_ids") or []],
    }


def enabled_fields() -> Obj:
    """`automatic_tax` of a subscription taxed by Stripe Tax (stripe-python's `Subscription`)."""
    return {"disabled_reason": None, "enabled": True, "liability": {"account": None, "type": "self"}}


def apply(inv: Obj, sub: Obj, place: Obj) -> None:
    """Tax the draft invoice `inv` of `sub` for the buyer at `place` (see the module docstring)."""
    address = place["address"]
    kinds = tuple(t["type"] for t in place["tax_ids"])
    bps = tax_rates.rate_bps(address.get("country"), address.get("state"), kinds)
    reverse = bps == 0 and "eu_vat" in kinds and (address.get("country") or "") in tax_rates.EU
    reason = "standard_rated" if bps else ("reverse_charge" if reverse else "not_collecting")
    behaviors = {item["id"]: item["price"].get("tax_behavior") for item in sub["items"]["data"]}
    rate_id = f"txr_local_{(address.get('country') or 'XX').upper()}_{bps}"
    totals: dict[str, Obj] = {}
    inclusive_tax = exclusive_tax = 0
    for line in inv["lines"]["data"]:
        item = (line["parent"].get("subscription_item_details") or {}).get("subscription_item")
        behavior = "inclusive" if behaviors.get(item) == "inclusive" else "exclusive"
        tax = tax_rates.tax_of(line["amount"], bps, behavior)
        taxable = line["amount"] - tax if behavior == "inclusive" else line["amount"]
        line["taxes"] = [
            {
                "amount": tax,
                "tax_behavior": behavior,
                "tax_rate_details": {"tax_rate": rate_id},
                "taxability_reason": reason,
                "taxable_amount": taxable,
                "type": "tax_rate_details",
            }
        ]
        entry = totals.setdefault(behavior, {**line["taxes"][0], "amount": 0, "taxable_amount": 0})
        entry["amount"] += tax
        entry["taxable_amount"] += taxable
        if behavior == "inclusive":
            inclusive_tax += tax
        else:
            exclusive_tax += tax
    subtotal = inv["subtotal"]
    total = subtotal + exclusive_tax
    inv.update(
        automatic_tax={**enabled_fields(), "provider": "stripe", "status": "complete"},
        customer_address=dict(address),
        customer_tax_ids=[dict(t) for t in place["tax_ids"]],
        customer_tax_exempt="reverse" if reverse else "none",
        subtotal_excluding_tax=subtotal - inclusive_tax,
        total=total,
        total_excluding_tax=total - inclusive_tax - exclusive_tax,
        total_taxes=[totals[k] for k in sorted(totals)],
        amount_due=total,
        amount_remaining=total - inv["amount_paid"],
    )
