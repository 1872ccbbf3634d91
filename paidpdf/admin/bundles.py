"""`paidpdf bundles ...`: several items sold together at one price (`content.bundles`)."""

from __future__ import annotations

import typer

from paidpdf.admin import content_prices
from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, details, emit_json, table, when
from paidpdf.currency_prices import price_in
from paidpdf.money import format_amount
from paidpdf.store import Doc

app = typer.Typer(
    help="Bundles: several items at one price (add, list, show, edit, retire, restore).", no_args_is_help=True
)


def _items(text: str | None) -> list[str] | None:
    return [i for i in text.split(",") if i.strip()] if text is not None else None


def _show(bundle: Doc, title: str) -> None:
    details(
        title,
        [
            ("id", bundle["id"]),
            ("title", bundle["title"]),
            (
                "price",
                f"{format_amount(int(bundle['price']), bundle['currency'])} "
                f"({bundle['price']} {bundle['currency']})",
            ),
            ("also in", content_prices.other_prices_text(bundle)),
            ("items", ", ".join(bundle["items"])),
            ("status", bundle["status"]),
            ("created", when(bundle["created_at"], seconds=True)),
            ("updated", when(bundle["updated_at"], seconds=True)),
            ("description", bundle.get("description") or ""),
        ],
    )


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    bundle_id: str = typer.Argument(..., metavar="ID", help="The bundle's id (its URL: /bundles/ID)."),
    title: str = typer.Option(..., "--title", metavar="TITLE", help="Title shown in the shop."),
    price: str = typer.Option(..., "--price", metavar="PRICE", help="Price such as 24.99."),
    items: str = typer.Option(..., "--items", metavar="A,B,C", help="The item ids it holds (2 or more)."),
    description: str = typer.Option("", "--description", metavar="TEXT", help="Description text."),
    also_prices: list[str] = content_prices.ALSO_PRICE_OPTION,
) -> None:
    """Sell several items together at one price.

    Example: paidpdf bundles add baking-set --title "The Baking Set" --price 24.99 --items sourdough,rye
    """
    from paidpdf.content import bundles

    cli = state(ctx)
    bundle = bundles.add(
        cli.creating_store,
        bundle_id,
        title=title,
        price_text=price,
        currency=cli.settings.currency,
        items=_items(items) or [],
        description=description,
        also=also_prices or [],
    )
    _show(bundle, f"Added bundle {bundle['id']}")


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    include_all: bool = typer.Option(False, "--all", help="Include retired bundles."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the bundles (retired ones only with --all).

    Example: paidpdf bundles list --json
    """
    from paidpdf.content import bundles

    rows = bundles.list_bundles(state(ctx).store, include_retired=include_all)
    if as_json:
        emit_json([bundles.public(b) for b in rows])
        return
    table(
        f"{len(rows)} bundle(s)",
        ("id", "title", "price", "items", "status"),
        (
            (
                b["id"],
                b["title"],
                format_amount(int(b["price"]), b["currency"]),
                ", ".join(b["items"]),
                b["status"],
            )
            for b in rows
        ),
    )


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    bundle_id: str = typer.Argument(..., metavar="ID", help="Bundle id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one bundle with its items.

    Example: paidpdf bundles show baking-set --json
    """
    from paidpdf.content import bundles

    store = state(ctx).store
    bundle = bundles.get(store, bundle_id)
    if as_json:
        emit_json(bundles.public(bundle))
        return
    _show(bundle, f"Bundle {bundle['id']}")
    worth = sum(price_in(i, bundle["currency"]) or 0 for i in bundles.contents(store, bundle))
    console().print(f"Its items cost {format_amount(worth, bundle['currency'])} one by one.", markup=False)


@app.command("edit")
def edit_cmd(
    ctx: typer.Context,
    bundle_id: str = typer.Argument(..., metavar="ID", help="Bundle id."),
    title: str | None = typer.Option(None, "--title", metavar="TITLE", help="New title."),
    price: str | None = typer.Option(None, "--price", metavar="PRICE", help="New price."),
    items: str | None = typer.Option(None, "--items", metavar="A,B,C", help="New list of items."),
    description: str | None = typer.Option(None, "--description", metavar="TEXT", help="New description."),
    also_prices: list[str] = content_prices.ALSO_PRICE_OPTION,
    remove_prices: list[str] = content_prices.REMOVE_PRICE_OPTION,
) -> None:
    """Change a bundle; orders already paid keep the items they gave.

    Example: paidpdf bundles edit baking-set --items sourdough,rye,brioche --price 29.99
    """
    from paidpdf.content import bundles

    bundle = bundles.edit(
        state(ctx).store,
        bundle_id,
        title=title,
        price_text=price,
        items=_items(items),
        description=description,
        also=also_prices or [],
        remove=remove_prices or [],
    )
    _show(bundle, f"Updated bundle {bundle['id']}")


@app.command("retire")
def retire_cmd(
    ctx: typer.Context, bundle_id: str = typer.Argument(..., metavar="ID", help="Bundle id.")
) -> None:
    """Take a bundle out of the shop; buyers keep its items.

    Example: paidpdf bundles retire baking-set
    """
    from paidpdf.content import bundles, catalog

    bundle = bundles.set_status(state(ctx).store, bundle_id, catalog.RETIRED)
    console().print(f"{bundle['id']} is retired; buyers keep its items.")


@app.command("restore")
def restore_cmd(
    ctx: typer.Context, bundle_id: str = typer.Argument(..., metavar="ID", help="Bundle id.")
) -> None:
    """Put a retired bundle back in the shop.

    Example: paidpdf bundles restore baking-set
    """
    from paidpdf.content import bundles, catalog

    bundle = bundles.set_status(state(ctx).store, bundle_id, catalog.ACTIVE)
    console().print(f"{bundle['id']} is back in the shop.")
