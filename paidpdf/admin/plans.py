"""`paidpdf plans ...`: membership plans, renewing or sold once as a pass (`memberships.plans`)."""

from __future__ import annotations

from pathlib import Path

import typer

from paidpdf.admin import content_prices
from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, details, emit_json, table, when
from paidpdf.money import format_amount
from paidpdf.store import Doc

app = typer.Typer(
    help="Membership plans: access to many items for a time (add, list, show, edit, retire, restore).",
    no_args_is_help=True,
)


def _terms(plan: Doc) -> str:
    price = format_amount(int(plan["price"]), plan["currency"])
    if plan.get("pass_days"):
        return f"{price} once, for {plan['pass_days']} days"
    trial = f", {plan['trial_days']}-day free trial" if plan.get("trial_days") else ""
    return f"{price} per {plan['interval']}{trial}"


def _show(plan: Doc, title: str) -> None:
    from paidpdf.memberships import plans

    details(
        title,
        [
            ("id", plan["id"]),
            ("title", plan["title"]),
            ("terms", _terms(plan)),
            ("price", f"{plan['price']} {plan['currency']}"),
            ("also in", content_prices.other_prices_text(plan)),
            ("covers", plans.describe_covers(plan.get("covers"))),
            ("status", plan["status"]),
            ("created", when(plan["created_at"], seconds=True)),
            ("updated", when(plan["updated_at"], seconds=True)),
            ("description", plan.get("description") or ""),
        ],
    )


def _description(file: Path | None) -> str | None:
    if file is None:
        return None
    from paidpdf.content import catalog

    return catalog.read_description_file(file)


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    plan_id: str = typer.Argument(..., metavar="ID", help="The plan's id (a-z, 0-9, dashes)."),
    title: str = typer.Option(..., "--title", metavar="TITLE", help="Title shown on the Membership page."),
    price: str = typer.Option(..., "--price", metavar="PRICE", help="Price per interval, e.g. 9.99."),
    interval: str = typer.Option("month", "--interval", metavar="month|year", help="How often it renews."),
    pass_term: str | None = typer.Option(
        None, "--pass", metavar="TERM", help="Sell a fixed-term pass once instead (30d, 2w, 1y): no renewal."
    ),
    trial_days: int = typer.Option(0, "--trial-days", metavar="N", help="Free days before the first charge."),
    covers: str = typer.Option("all", "--covers", metavar="all|tag:T,...", help="Which items members read."),
    description_file: Path | None = typer.Option(
        None, "--description-file", metavar="FILE", help="Markdown description from a UTF-8 file."
    ),
    also_prices: list[str] = content_prices.ALSO_PRICE_OPTION,
) -> None:
    """Add a membership plan.

    Example: paidpdf plans add all-access --title "All access" --price 9.99 --interval month --trial-days 7
    Example: paidpdf plans add month-pass --title "30-day pass" --price 25 --pass 30d --covers tag:baking
    """
    from paidpdf.memberships import plans

    cli = state(ctx)
    plan = plans.add(
        cli.creating_store, plan_id, title=title, price_text=price, currency=cli.settings.currency,
        interval=None if pass_term else interval, trial_days=trial_days, covers=covers,
        description=_description(description_file) or "", pass_text=pass_term, also=also_prices or [],
    )
    _show(plan, f"Added plan {plan['id']}")


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    include_all: bool = typer.Option(False, "--all", help="Include retired plans."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the plans (retired ones only with --all).

    Example: paidpdf plans list --json
    """
    from paidpdf.memberships import plans

    rows = plans.list_plans(state(ctx).store, include_retired=include_all)
    if as_json:
        emit_json([plans.public(p) for p in rows])
        return
    table(
        f"{len(rows)} plan(s)",
        ("id", "title", "terms", "covers", "status"),
        ((p["id"], p["title"], _terms(p), plans.describe_covers(p.get("covers")), p["status"]) for p in rows),
    )


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    plan_id: str = typer.Argument(..., metavar="ID", help="Plan id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one plan.

    Example: paidpdf plans show all-access --json
    """
    from paidpdf.memberships import plans

    plan = plans.get(state(ctx).store, plan_id)
    if as_json:
        emit_json(plans.public(plan))
        return
    _show(plan, f"Plan {plan['id']}")


@app.command("edit")
def edit_cmd(
    ctx: typer.Context,
    plan_id: str = typer.Argument(..., metavar="ID", help="Plan id."),
    title: str | None = typer.Option(None, "--title", metavar="TITLE", help="New title."),
    price: str | None = typer.Option(None, "--price", metavar="PRICE", help="New price (for new members)."),
    trial_days: int | None = typer.Option(None, "--trial-days", metavar="N", help="New trial length."),
    covers: str | None = typer.Option(None, "--covers", metavar="all|tag:T,...", help="New covered items."),
    description_file: Path | None = typer.Option(
        None, "--description-file", metavar="FILE", help="New description from a UTF-8 file."
    ),
    also_prices: list[str] = content_prices.ALSO_PRICE_OPTION,
    remove_prices: list[str] = content_prices.REMOVE_PRICE_OPTION,
) -> None:
    """Change a plan; members keep the price they joined at, new covers apply to all members at once.

    Example: paidpdf plans edit all-access --price 11 --covers tag:baking,tag:bread
    """
    from paidpdf.memberships import plans, subscriptions

    cli = state(ctx)
    plan = plans.edit(
        cli.store, plan_id, title=title, price_text=price, trial_days=trial_days, covers=covers,
        description=_description(description_file), also=also_prices or [], remove=remove_prices or [],
    )
    if covers is not None or title is not None:
        subscriptions.refresh_plan(cli.store, plan)
    _show(plan, f"Changed plan {plan['id']}")


def _set_status(ctx: typer.Context, plan_id: str, status: str, verb: str) -> None:
    from paidpdf.memberships import plans

    plan = plans.set_status(state(ctx).store, plan_id, status)
    typer.echo(f"{verb} plan {plan['id']} (status {plan['status']}).")


@app.command("retire")
def retire_cmd(ctx: typer.Context, plan_id: str = typer.Argument(..., metavar="ID", help="Plan id.")) -> None:
    """Stop selling a plan; current members keep their membership until it ends.

    Example: paidpdf plans retire all-access
    """
    _set_status(ctx, plan_id, "retired", "Retired")


@app.command("restore")
def restore_cmd(ctx: typer.Context, plan_id: str = typer.Argument(..., metavar="ID", help="Plan id")) -> None:
    """Sell a retired plan again.

    Example: paidpdf plans restore all-access
    """
    _set_status(ctx, plan_id, "active", "Restored")
