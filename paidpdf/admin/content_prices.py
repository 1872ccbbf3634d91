"""`paidpdf content price`: an item's price, and its explicit prices in other currencies
(`--also eur:18.99`, `--remove eur`; `paidpdf.currency_prices`). Shared with bundles and plans: the
`--also-price` / `--remove-price` options and how other prices are shown."""

from __future__ import annotations

from typing import Any

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import console
from paidpdf.money import format_amount

ALSO_PRICE_OPTION: Any = typer.Option(
    None, "--also-price", metavar="CUR:PRICE",
    help="A price in another currency (repeat: --also-price eur:18.99 --also-price gbp:15.99).",
)
REMOVE_PRICE_OPTION: Any = typer.Option(
    None, "--remove-price", metavar="CUR", help="Drop the price in that currency (repeat for several)."
)


def other_prices_text(doc: dict[str, Any]) -> str:
    """The explicit prices in other currencies, as people read them ("€18.99, £15.99"), or "none"."""
    others = doc.get("prices") or {}
    return ", ".join(format_amount(int(v), str(c)) for c, v in sorted(others.items())) or "none"


# Unknown "options" are taken as arguments so that `content price ID -1` reaches the price check and
# gets its one-line error, instead of Click's usage box about an option "-1".
def price_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
    price: str | None = typer.Argument(
        None, metavar="[PRICE]",
        help="19.99, 0 for free, 5+ to pay what you want from 5.00, 0+ free or more (default: unchanged).",
    ),
    also: list[str] = typer.Option(
        None, "--also", metavar="CUR:PRICE",
        help="Also sell it at this price in another currency (repeat: --also eur:18.99 --also gbp:15.99).",
    ),
    remove: list[str] = typer.Option(
        None, "--remove", metavar="CUR", help="Stop selling it in that currency (repeat for several)."
    ),
) -> None:
    """Set an item's price (0 free, 5+ pay what you want from 5.00) and its prices in other currencies.

    Example: paidpdf content price the-sourdough-guide 19.99 --also eur:18.99 --also gbp:15.99
    """
    from paidpdf.content import catalog
    from paidpdf.money import format_offer

    cli = state(ctx)
    item = catalog.set_price(
        cli.store, item_id, price, cli.settings.currency, also=also or [], remove=remove or []
    )
    shown = format_offer(int(item["price"]), item["currency"], bool(item.get("pay_what_you_want")))
    console().print(
        f"{item['id']} now costs {shown} ({item['price']} {item['currency']});"
        f" in other currencies: {other_prices_text(item)}."
    )


def register(app: typer.Typer) -> None:
    app.command("price", context_settings={"ignore_unknown_options": True})(price_cmd)
