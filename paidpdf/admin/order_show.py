"""`paidpdf orders show ORDER`: one order as a human reads it, or as JSON.

Apart from `orders` (list, refund, reconcile, stats, trace) because one order's view grew its own
rows: the money as Stripe computed it for a taxed sale (net, tax, the place it is due in, tax ids,
invoice) and, for a buyer in another currency, what they were shown beside what was settled. Both are
shown only when the order has them, so an order sold with tax off and in the shop's currency reads as
before.
"""

from __future__ import annotations

import typer

from paidpdf.admin import download_rows
from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, details, emit_json, table, when
from paidpdf.money import format_amount, format_figure
from paidpdf.store import Doc

Row = tuple[str, object]


def show_cmd(
    ctx: typer.Context,
    order_id: str = typer.Argument(..., metavar="ORDER", help="Order id (ord_...)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one order with its tax, currencies, Stripe ids and event history.

    Example: paidpdf orders show ord_5f2c9a0e1b7d4c3a --json
    """
    from paidpdf.ownership import download_log
    from paidpdf.sales import orders

    view = state(ctx).store.view(orders.SALES)
    order = orders.get(view, order_id)
    buyer = order.get("user_id")
    fetched = download_log.for_user(view, buyer, order["content_id"]) if buyer else []
    if as_json:
        emit_json({**orders.public(order), "downloads": download_rows.public(fetched)})
        return
    details(
        f"Order {order['id']}",
        [
            ("status", order["status"]),
            ("item", order["content_id"]),
            ("buyer", f"{order['buyer']} ({order['user_id']})"),
            (
                "amount",
                f"{format_amount(order['amount'], order['currency'])}"
                f" ({order['amount']} {order['currency']})",
            ),
            *presentment_rows(order),
            ("discount code", _code(order)),
            ("bundle", ", ".join(order["bundle_items"]) if order.get("bundle_items") else None),
            *tax_rows(order),
            ("refunded", _refunded(order)),
            ("created", when(order["created_at"], seconds=True)),
            ("paid", when(order.get("paid_at"), seconds=True)),
            ("stripe session", order.get("stripe_session_id")),
            ("stripe payment intent", order.get("stripe_payment_intent")),
            ("livemode", order.get("livemode")),
            ("flag reason", order.get("flag_reason")),
        ],
    )
    table(
        "History",
        ("at", "event", "detail", "source"),
        (
            (when(h["at"], seconds=True), h["event"], h["detail"], h["source"])
            for h in order.get("history", [])
        ),
    )
    download_rows.show(fetched, "Downloads of this item by the buyer")


def tax_rows(order: Doc) -> list[Row]:
    """Net, tax (with where it is due), total charged, tax ids and invoice of an order sold with tax
    on (`tax_amounts`: Stripe's figures as fulfilment kept them); nothing for one sold with tax off."""
    from paidpdf.sales.tax_amounts import receipt_figures

    figures = receipt_figures(order)  # the receipt's own figures: one rule for net, tax and total
    if figures is None:
        return []
    currency, total, tax = figures["currency"], figures["total"], figures["tax"]
    place = str(order.get("buyer_country") or "unknown")
    if order.get("buyer_state"):
        place += f"-{order['buyer_state']}"
    ids = ", ".join(f"{t.get('value')} ({t.get('type')})" for t in order.get("tax_ids") or [])
    included = order["tax_behavior"] == "inclusive"
    return [
        ("prices", "tax included" if included else "tax added on top"),
        ("net", format_figure(figures["net"], currency)),
        ("tax", f"{format_figure(tax, currency)} ({place})"),
        ("total charged", f"{format_figure(total, currency)} ({total} {currency})"),
        ("buyer tax ids", ids or "none"),
        ("invoice", order.get("invoice") or "none"),
    ]


def presentment_rows(order: Doc) -> list[Row]:
    """What an Adaptive Pricing buyer saw and paid in their own currency, beside the settled amount."""
    amount, currency = order.get("presentment_amount"), order.get("presentment_currency")
    if not isinstance(amount, int) or not isinstance(currency, str):
        return []
    return [("buyer paid (presentment)", f"{format_amount(amount, currency)} ({amount} {currency})")]


def _refunded(order: Doc) -> str:
    amount = int(str(order.get("refunded_amount") or 0))
    return format_amount(amount, str(order["currency"])) if amount else "nothing"


def _code(order: Doc) -> str | None:
    if not order.get("promo"):
        return None
    return f"{order['promo']} (list price {format_amount(int(order['list_price']), order['currency'])})"


def register(app: typer.Typer) -> None:
    """Add the command to the `orders` group, second after `list` as before the move."""
    if any(c.name == "show" for c in app.registered_commands):  # build_app may run again
        return
    app.command("show")(show_cmd)
    commands = app.registered_commands
    commands.insert(min(1, len(commands) - 1), commands.pop())
