"""`paidpdf promos ...`: discount codes (`sales.promos`): add, list, show, disable."""

from __future__ import annotations

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, details, emit_json, table, when
from paidpdf.money import format_amount
from paidpdf.store import Doc

app = typer.Typer(help="Discount codes: add, list, show, disable.", no_args_is_help=True)


def _off(promo: Doc) -> str:
    if promo.get("percent"):
        return f"{promo['percent']}%"
    others = (promo.get("amounts") or {}).items()
    return ", ".join([format_amount(int(promo["amount"]), promo["currency"])]
                     + [format_amount(int(v), str(c)) for c, v in sorted(others)])


def _uses(promo: Doc) -> str:
    limit = promo.get("max_uses")
    return f"{promo.get('uses') or 0}" + (f" of {limit}" if limit else "")


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    code: str = typer.Argument(..., metavar="CODE", help="The code readers type, such as SPRING-20."),
    percent: int | None = typer.Option(None, "--percent", metavar="P", help="Percent off (1 to 100)."),
    amount: str | None = typer.Option(None, "--amount", metavar="A", help="Amount off, such as 2.50."),
    items: str | None = typer.Option(
        None, "--items", metavar="ID,...", help="Only these items (default: all)."
    ),
    until: str | None = typer.Option(
        None, "--until", metavar="DATE", help="Last day it works (YYYY-MM-DD, UTC)."
    ),
    max_uses: int | None = typer.Option(
        None, "--max-uses", metavar="N", help="Paid orders it may take at most."
    ),
    also_amounts: list[str] = typer.Option(
        None, "--also-amount", metavar="CUR:A", help="Amount off in another currency (repeat: eur:2.50)."
    ),
) -> None:
    """Add a discount code for the item page or a ?code= link.

    Example: paidpdf promos add SPRING-20 --percent 20 --until 2027-03-31 --max-uses 100
    """
    from paidpdf.sales import promos

    cli = state(ctx)
    promo = promos.add(
        cli.store, code, currency=cli.settings.currency, percent=percent, amount_text=amount,
        items=items.split(",") if items else None, until=until, max_uses=max_uses,
        also_amounts=also_amounts or [],
    )
    link = f"{cli.settings.base_url.rstrip('/')}/content/<id>?code={promo['code']}"
    console().print(f"Added {promos.describe(promo)}. Share it as a link: {link}", markup=False)


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List the discount codes with their uses.

    Example: paidpdf promos list --json
    """
    from paidpdf.sales import promos

    rows = promos.list_codes(state(ctx).store)
    if as_json:
        emit_json([promos.public(p) for p in rows])
        return
    table(
        f"{len(rows)} code(s)",
        ("code", "off", "items", "until", "uses", "state"),
        (
            (p["code"], _off(p), ", ".join(p.get("items") or []) or "all", when(p.get("until")), _uses(p),
             "disabled" if p.get("disabled") else "active")
            for p in rows
        ),
    )


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    code: str = typer.Argument(..., metavar="CODE", help="The code."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one discount code.

    Orders paid past the code's limit (a payment that could not be refused) are listed as such.

    Example: paidpdf promos show SPRING-20 --json
    """
    from paidpdf.sales import promos

    promo = promos.get(state(ctx).store, code)
    if as_json:
        emit_json(promos.shown(promo))
        return
    over = promos.shown(promo)["over_limit_orders"]
    details(promo["code"], [
        ("off", _off(promo)), ("items", ", ".join(promo.get("items") or []) or "all"),
        ("until", when(promo.get("until"))), ("uses (paid orders)", _uses(promo)),
        ("state", "disabled" if promo.get("disabled") else "active"),
        ("created", when(promo.get("created_at"))),
        *([("OVER LIMIT", f"{len(over)} order(s) paid past the limit (payments kept; see orders show): "
            + ", ".join(over))] if over else []),
    ])


@app.command("disable")
def disable_cmd(
    ctx: typer.Context,
    code: str = typer.Argument(..., metavar="CODE", help="The code."),
) -> None:
    """Stop a code from working (orders already paid with it keep it).

    Example: paidpdf promos disable SPRING-20
    """
    from paidpdf.sales import promos

    promo = promos.disable(state(ctx).store, code)
    console().print(f"{promo['code']} is disabled.")
