"""`paidpdf orders tax-report`: sales (orders and membership invoices), tax collected and refunds per
currency, place and rate, for a period (a thin layer over `paidpdf.sales.tax_report`; docs/tax.md
says what it is for)."""

from __future__ import annotations

import csv
import sys
from datetime import timedelta

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, emit_json, table
from paidpdf.clock import parse_date_option
from paidpdf.errors import InvalidInput
from paidpdf.money import format_figure, to_decimal_text

AMOUNTS = ("gross", "net", "tax", "refunded", "refunded_tax", "tax_due", "net_after_refunds")
COLUMNS = ("currency", "place", "rate", "sales", *AMOUNTS[:3], "refunds", *AMOUNTS[3:])


def tax_report_cmd(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", metavar="DATE", help="First day of the period (UTC)."),
    end: str = typer.Option(..., "--to", metavar="DATE", help="Last day of the period, included (UTC)."),
    by: str = typer.Option(
        "country", "--by", metavar="country|jurisdiction", help="Group by country or US state."
    ),
    as_csv: bool = typer.Option(False, "--csv", help="CSV on stdout (integers plus decimal text)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Sales, tax collected and refunds per currency, country (or state) and rate, for a tax return.

    Example: paidpdf orders tax-report --from 2026-10-01 --to 2026-12-31 --by country --csv
    """
    from paidpdf.memberships.invoices import INVOICES
    from paidpdf.sales import orders, tax_report

    if by not in tax_report.BY:
        raise InvalidInput(f"--by must be one of {', '.join(tax_report.BY)}, not {by!r}")
    first, last = parse_date_option(start), parse_date_option(end)
    if first is None or last is None or last < first:
        raise InvalidInput("--to must not be before --from")
    view = state(ctx).store.view(orders.SALES)
    sales = [*view.each(orders.ORDERS), *tax_report.membership_sales(view.each(INVOICES))]
    rows = tax_report.tax_report(sales, first, last + timedelta(days=1), by)
    period = {"from": first.date().isoformat(), "to": last.date().isoformat(), "by": by}
    if as_json:
        emit_json({**period, "rows": rows})
        return
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([*COLUMNS, *(f"{name}_decimal" for name in AMOUNTS)])
        for row in rows:
            decimals = [to_decimal_text(row[name], row["currency"]) for name in AMOUNTS]
            writer.writerow([*("" if row[c] is None else row[c] for c in COLUMNS), *decimals])
        return
    table(
        f"Tax report {period['from']} to {period['to']} (by {by})",
        ("currency", by, "rate", "sales", "net", "tax", "refunds", "tax refunded", "tax due"),
        (
            (
                r["currency"].upper(),
                r["place"],
                f"{r['rate']}%" if r["rate"] else "-",
                r["sales"],
                format_figure(r["net"], r["currency"]),
                format_figure(r["tax"], r["currency"]),
                r["refunds"],
                format_figure(r["refunded_tax"], r["currency"]),
                format_figure(r["tax_due"], r["currency"]),
            )
            for r in rows
        ),
    )
    if not rows:
        console().print("No sales or refunds in this period.")


def register(app: typer.Typer) -> None:
    """Add the command to the `orders` group (kept apart: orders.py is at its size limit)."""
    if not any(c.name == "tax-report" for c in app.registered_commands):  # build_app may run again
        app.command("tax-report")(tax_report_cmd)
