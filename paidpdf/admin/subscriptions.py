"""`paidpdf subscriptions ...`: members' subscriptions and passes (`paidpdf.memberships`)."""

from __future__ import annotations

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, confirm, console, details, emit_json, table, when
from paidpdf.errors import InvalidInput
from paidpdf.money import format_amount
from paidpdf.store import Doc

app = typer.Typer(
    help="Members' subscriptions and passes (list, show, cancel).", no_args_is_help=True
)

STATUS_HELP = "Only these: active, trialing, past_due, canceled, unpaid, refunded."


def _until(sub: Doc) -> str:
    return when(sub.get("access_until"), seconds=True) if sub.get("access_until") else "-"


def _price(sub: Doc) -> str:
    amount = format_amount(int(sub.get("amount") or 0), str(sub.get("currency") or "usd"))
    return f"{amount} per {sub['interval']}" if sub.get("interval") else f"{amount} (pass)"


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: str | None = typer.Option(None, "--status", metavar="STATUS", help=STATUS_HELP),
    as_json: bool = JSON_OPTION,
) -> None:
    """List subscriptions and passes, newest first.

    Example: paidpdf subscriptions list --status past_due --json
    """
    from paidpdf.memberships import subscriptions

    wanted = status.strip().lower() if status else None
    if wanted is not None and wanted not in subscriptions.LIST_STATUSES:
        raise InvalidInput(f"--status must be one of {', '.join(subscriptions.LIST_STATUSES)}")
    rows = subscriptions.list_all(state(ctx).store.view(subscriptions.SALES), wanted)
    if as_json:
        emit_json([subscriptions.public(s) for s in rows])
        return
    table(
        f"{len(rows)} subscription(s)",
        ("id", "member", "plan", "status", "access until", "price"),
        (
            (
                s["id"], s.get("email") or s["user_id"], s["plan_id"],
                s.get("status") if s.get("access_status") == s.get("status")
                else f"{s.get('status')} ({s.get('access_status')})",
                _until(s), format_amount(int(s.get("amount") or 0), str(s.get("currency") or "usd")),
            )
            for s in rows
        ),
    )


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    key: str = typer.Argument(..., metavar="ID|EMAIL", help="Subscription id or a member's email."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one subscription with its invoices, periods and events.

    Example: paidpdf subscriptions show reader@example.com --json
    """
    from paidpdf.memberships import invoices, lifecycle, subscriptions

    store = state(ctx).store
    sub = lifecycle.find_subscription(store, key)
    bills = invoices.for_subscription(store.view(subscriptions.SALES), sub["id"])
    events = subscriptions.events_of(store.view(subscriptions.SALES), sub["id"])
    if as_json:
        emit_json({**subscriptions.public(sub), "invoices": bills, "events": events})
        return
    currency = str(sub.get("currency") or "usd")
    details(
        f"Subscription {sub['id']}",
        [
            ("member", f"{sub.get('email')} ({sub['user_id']})"),
            ("plan", f"{sub.get('plan_title')} ({sub['plan_id']})"),
            ("kind", sub.get("kind")),
            ("status", sub.get("status")),
            ("access", f"{sub.get('access_status')} until {_until(sub)}"),
            ("period", f"{when(sub.get('period_start'))} → {when(sub.get('period_end'))}"),
            ("cancels at period end", "yes" if sub.get("cancel_at_period_end") else "no"),
            ("price", _price(sub)),
            ("customer", sub.get("customer") or "-"),
        ],
    )
    table(
        "Invoices",
        ("invoice", "status", "paid", "period", "refunded"),
        (
            (
                i["id"], i.get("status"), format_amount(int(i.get("amount_paid") or 0), currency),
                f"{when(i.get('period_start'))} → {when(i.get('period_end'))}",
                format_amount(int(i.get("refunded_amount") or 0), currency),
            )
            for i in bills
        ),
    )
    table(
        "History",
        ("at", "event", "detail", "source"),
        ((when(h["at"], seconds=True), h["event"], h["detail"], h["source"]) for h in sub.get("history", [])),
    )
    if events:
        table("Stripe events", ("event", "type", "processed"),
              ((e["id"], e["type"], when(e.get("processed_at"), seconds=True)) for e in events))


@app.command("cancel")
def cancel_cmd(
    ctx: typer.Context,
    subscription_id: str = typer.Argument(..., metavar="ID", help="Subscription id (sub_... or pass_...)."),
    now: bool = typer.Option(False, "--now", help="End it at once (access ends now)."),
    at_period_end: bool = typer.Option(
        False, "--at-period-end", help="End it when the paid period ends (the default)."
    ),
    refund_last: bool = typer.Option(
        False, "--refund-last", help="Also refund the latest paid invoice in full: canceled now, access ends."
    ),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Cancel a member's subscription at Stripe, at the period end or now, optionally refunding.

    Example: paidpdf subscriptions cancel sub_1QxYz --at-period-end
    Example: paidpdf subscriptions cancel sub_1QxYz --now --refund-last --yes
    """
    if now and at_period_end:
        raise InvalidInput("give --now or --at-period-end, not both")
    from paidpdf.memberships import cancellation, subscriptions
    from paidpdf.sales import stripe_gateway  # stripe loads only for commands that pay

    cli = state(ctx)
    sub = subscriptions.get(cli.store.view(subscriptions.SALES), subscription_id)
    when_text = "now" if now or refund_last else "at the end of the period"
    refund = " and refund the latest invoice" if refund_last else ""
    confirm(yes, f"Cancel {sub['id']} of {sub.get('email')} {when_text}{refund}?")
    client = stripe_gateway.make_client(cli.settings)
    change = cancellation.cancel(cli.store, client, sub["id"], now=now, refund_last=refund_last)
    done = change.subscription or sub
    console().print(
        f"Subscription {done['id']}: status {done.get('status')}, access {done.get('access_status')} "
        f"until {_until(done)}.", markup=False,
    )
