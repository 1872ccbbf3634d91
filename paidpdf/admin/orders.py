"""`paidpdf orders ...`: list, refund, reconcile, stats and trace.

A thin layer over `paidpdf.sales`. `show` (one order, with its tax and currency rows) is
`order_show`'s and `tax-report` is `tax_report`'s; `main` adds both to this group.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rich.table import Table

from paidpdf.admin import membership_figures
from paidpdf.admin.context import state
from paidpdf.admin.output import (
    JSON_OPTION,
    confirm,
    console,
    details,
    emit_json,
    err_console,
    stream_json,
    table,
    when,
)
from paidpdf.clock import iso, parse_date_option
from paidpdf.errors import InvalidInput
from paidpdf.money import format_amount, to_decimal_text

app = typer.Typer(
    help="Orders: list, inspect, refund, reconcile with Stripe, sales stats, trace leaks.",
    no_args_is_help=True,
)

CSV_COLUMNS = (
    "id",
    "status",
    "content_id",
    "buyer",
    "amount",
    "amount_decimal",
    "currency",
    "refunded_amount",
    "stripe_session_id",
    "stripe_payment_intent",
    "created_at",
    "paid_at",
)


#: Rows a table shows unless `--limit` says otherwise (a terminal is no place for 100,000 rows).
TABLE_ROWS = 50


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, "--status", help="Only orders in this status (paid, pending, ...)."
    ),
    user: str | None = typer.Option(None, "--user", metavar="EMAIL", help="Only this buyer's orders."),
    content: str | None = typer.Option(None, "--content", metavar="ID", help="Only orders for this item."),
    since: str | None = typer.Option(
        None, "--since", metavar="DATE", help="Only orders created on/after DATE."
    ),
    limit: int | None = typer.Option(
        None, "--limit", metavar="N", min=0,
        help=f"Only the newest N orders (tables default to {TABLE_ROWS}; 0 = all; --csv/--json: all).",
    ),
    as_json: bool = JSON_OPTION,
    as_csv: bool = typer.Option(
        False, "--csv", help="CSV on stdout, streamed (amounts as integers plus decimal text)."
    ),
) -> None:
    """List orders, newest last.

    Example: paidpdf orders list --status paid --since 2026-11-01 --csv
    """

    import csv

    from paidpdf.sales import order_search, orders

    if as_json and as_csv:
        raise InvalidInput("choose one of --json and --csv")
    found = order_search.search(
        state(ctx).store, status=status, buyer=user, content_id=content, since=parse_date_option(since)
    )
    if limit is None and not (as_json or as_csv):
        limit = TABLE_ROWS
    first = max(0, len(found) - limit) if limit else 0
    rows = found.rows(first)
    if as_json:
        stream_json(orders.public(r) for r in rows)
        return
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in rows:
            shown = orders.public(r)
            shown["amount_decimal"] = to_decimal_text(r["amount"], r["currency"])
            writer.writerow(["" if shown.get(c) is None else shown.get(c) for c in CSV_COLUMNS])
        return
    title = f"{len(found):,} order(s)"
    if first:
        title = f"showing the newest {len(found) - first:,} of {len(found):,} orders (--limit N, 0 for all)"
    table(
        title,
        ("id", "status", "item", "buyer", "amount", "created", "paid"),
        (
            (
                r["id"],
                r["status"],
                r["content_id"],
                r["buyer"],
                format_amount(r["amount"], r["currency"]),
                when(r["created_at"]),
                when(r.get("paid_at")),
            )
            for r in rows
        ),
    )



@app.command("refund")
def refund_cmd(
    ctx: typer.Context,
    order_id: str = typer.Argument(..., metavar="ORDER", help="Order id (ord_...)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Refund a paid order in full at Stripe and revoke the buyer's access to that purchase.

    Example: paidpdf orders refund ord_5f2c9a0e1b7d4c3a --yes
    """
    from paidpdf.sales import admin_refund, orders, stripe_gateway  # stripe loads only for commands that pay

    cli = state(ctx)
    order = orders.refundable(cli.store.view(orders.SALES), order_id)
    amount = format_amount(order["amount"], order["currency"])
    confirm(yes, f"Refund {amount} to {order['buyer']} for {order['content_id']}?")

    client = stripe_gateway.make_client(cli.settings)
    done = admin_refund.refund(cli.store, client, order_id)
    console().print(f"Refunded {amount} for order {done['id']}: status {done['status']}.")


@app.command("reconcile")
def reconcile_cmd(
    ctx: typer.Context,
    since: str | None = typer.Option(
        None, "--since", metavar="DATE", help="Look at sessions created on/after DATE (default: 30 days ago)."
    ),
) -> None:
    """Ask Stripe for recent checkouts: fulfil paid ones the webhooks missed, close expired ones.

    Example: paidpdf orders reconcile --since 2026-11-01
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from paidpdf.sales import reconcile, stripe_gateway  # stripe loads only for commands that pay

    cli = state(ctx)
    moment = parse_date_option(since) or datetime.now(UTC) - timedelta(days=30)
    client = stripe_gateway.make_client(cli.settings)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console(),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("Reconciling", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = reconcile.reconcile(cli.store, client, moment, settings=cli.settings, progress=progress)
    from paidpdf.content import shop
    from paidpdf.mail import make_mailer
    from paidpdf.memberships import notice_mails
    from paidpdf.sales import receipts

    mailer, name, base = make_mailer(cli.settings), shop.identity(cli.store)["name"], cli.settings.base_url
    mailed = receipts.send_due(cli.store, mailer, base_url=base, shop_name=name)
    members_mailed = notice_mails.send_due(cli.store, mailer, base_url=base, shop_name=name)
    table(
        f"Reconciled {summary.sessions} Stripe session(s) since {iso(moment)}",
        ("result", "count"),
        [
            ("fulfilled (missed before)", summary.fulfilled),
            ("expired (closed)", summary.expired),
            ("already up to date", summary.already),
            ("still processing", summary.processing),
            ("flagged (mismatch)", summary.flagged),
            ("not from this shop", summary.foreign),
            (f"refund/dispute events applied (of {summary.events})", summary.events_applied),
            ("events refused (other mode or account)", summary.refused),
            ("receipts mailed", mailed),
            ("membership mails sent", members_mailed),
            *membership_figures.reconcile_rows(summary),
        ],
    )


@app.command("stats")
def stats_cmd(
    ctx: typer.Context,
    as_json: bool = JSON_OPTION,
) -> None:
    """Revenue and sales per item and per day, with a chart of daily revenue.

    Example: paidpdf orders stats
    """
    from rich.bar import Bar

    from paidpdf.sales import orders, sales_stats

    view = state(ctx).store.view(orders.SALES)
    stats = sales_stats.compute(view)
    if as_json:
        emit_json({**stats.as_json(), "memberships": membership_figures.stats_json(view)})
        return
    out = console()
    table(
        "Revenue",
        ("currency", "sales", "revenue"),
        ((c.upper(), b.sales, format_amount(b.revenue, c)) for c, b in sorted(stats.totals.items())),
    )
    table(
        "Per item",
        ("item", "sales", "revenue"),
        ((k, b.sales, format_amount(b.revenue, c)) for (k, c), b in sorted(stats.per_item.items())),
    )
    chart = Table(title="Per day", header_style="bold")
    for column in ("day", "sales", "revenue", ""):
        chart.add_column(column)
    peaks = {currency: max(stats.peak_day(currency), 1) for _, currency in stats.per_day}  # once each
    for (day, currency), bucket in sorted(stats.per_day.items()):
        chart.add_row(
            day,
            str(bucket.sales),
            format_amount(bucket.revenue, currency),
            Bar(size=peaks[currency], begin=0, end=bucket.revenue, width=40, color="green"),
        )
    out.print(chart)
    out.print("Orders by status: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.statuses.items())))
    membership_figures.show_stats(view)


@app.command("trace")
def trace_cmd(
    ctx: typer.Context,
    pdf: Path = typer.Argument(..., metavar="FILE", help="A copy found where it should not be (any format)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Name the order and buyer a leaked stamped copy was delivered to.

    Example: paidpdf orders trace found-online.epub --json
    """
    from paidpdf.sales import leak_trace

    found = leak_trace.trace(state(ctx).store, pdf)
    order, user = found.order, found.user
    if as_json:
        emit_json({
            "identifier": found.identifier, "version": found.version,
            "order": order["id"] if order else None, "item": order["content_id"] if order else None,
            "buyer": user["email"] if user else None, "user_id": user["id"] if user else None,
        })
        return
    details(
        "Stamped copy traced",
        [
            ("identifier", found.identifier),
            ("file version", found.version),
            ("order", f"{order['id']} ({order['status']}, {order['content_id']})" if order
             else "none (a free or given item)"),
            ("buyer", f"{user['email']} ({user['id']})" if user else "account no longer exists"),
        ],
    )
