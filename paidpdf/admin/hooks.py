"""`paidpdf hooks ...`: the creator's outgoing webhooks (docs/hooks.md), over `paidpdf.hooks`."""

from __future__ import annotations

import contextlib
import threading

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, emit_json, table
from paidpdf.errors import PaidPdfError

app = typer.Typer(
    help="Outgoing webhooks: add, list, remove, test, deliveries, deliver (docs/hooks.md).",
    no_args_is_help=True,
)


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="Where to POST events (http:// or https://)."),
    events: str = typer.Option(..., "--events", help="Comma-separated: order.paid,order.refunded,... or *."),
    allow_private: bool = typer.Option(
        False, "--allow-private", help="Allow a loopback, private or link-local address (your own network)."
    ),
) -> None:
    """Add a hook and print its whsec_ signing secret (shown this once).

    Example: paidpdf hooks add https://example.com/paidpdf --events order.paid,order.refunded
    """
    from paidpdf.hooks import endpoints

    doc, secret = endpoints.add(
        state(ctx).store, url, endpoints.parse_events(events), allow_private=allow_private
    )
    typer.echo(secret)
    typer.secho(f"Hook {doc['id']} added for {', '.join(doc['events'])}: keep the secret above.", err=True)


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List hooks (never their secrets).

    Example: paidpdf hooks list --json
    """
    from paidpdf.hooks import endpoints

    rows = [endpoints.public(d) for d in endpoints.list_all(state(ctx).store)]
    if as_json:
        emit_json(rows)
        return
    table(
        f"{len(rows)} hook(s)",
        ["id", "url", "events", "private allowed"],
        [[r["id"], r["url"], ",".join(r["events"]), "yes" if r["allow_private"] else ""] for r in rows],
    )


@app.command("remove")
def remove_cmd(
    ctx: typer.Context, hook_id: str = typer.Argument(..., metavar="ID", help="The hook's id.")
) -> None:
    """Remove a hook; its undelivered events are dropped.

    Example: paidpdf hooks remove hook_5f2c9a0e1b7d4c3a
    """
    from paidpdf.hooks import endpoints

    doc = endpoints.remove(state(ctx).store, hook_id)
    console().print(f"Removed hook {doc['id']} ({doc['url']}).")


@app.command("test")
def test_cmd(
    ctx: typer.Context, hook_id: str = typer.Argument(..., metavar="ID", help="The hook's id.")
) -> None:
    """Send one signed `test.ping` event now and say what the receiver answered.

    Example: paidpdf hooks test hook_5f2c9a0e1b7d4c3a
    """
    from paidpdf.clock import new_id, now_iso
    from paidpdf.hooks import endpoints, sending

    cli = state(ctx)
    doc = endpoints.get(cli.store, hook_id)
    payload = {"type": "test.ping", "timestamp": now_iso(), "data": {"hook_id": doc["id"]}}
    secret = endpoints.signing_secret(cli.store, doc)
    attempt = sending.post(doc, secret, new_id("msg"), payload, cli.settings.hooks_timeout)
    if not attempt.delivered:
        raise PaidPdfError(
            f"the receiver did not take the test event: {attempt.error or attempt.status_code}"
        )
    console().print(f"Delivered: HTTP {attempt.status_code} in {attempt.duration_ms} ms.")


@app.command("deliveries")
def deliveries_cmd(
    ctx: typer.Context,
    hook_id: str = typer.Argument(..., metavar="ID", help="The hook's id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a hook's deliveries, newest first, with every attempt.

    Example: paidpdf hooks deliveries hook_5f2c9a0e1b7d4c3a --json
    """
    from paidpdf.hooks import delivery, endpoints

    store = state(ctx).store
    rows = delivery.deliveries_of(store, endpoints.get(store, hook_id)["id"])
    if as_json:
        emit_json(rows)
        return

    def last(row: dict[str, object]) -> str:
        attempts = row["attempts"] or []
        if not isinstance(attempts, list) or not attempts:
            return ""
        a = attempts[-1]
        return f"{a['status_code'] or a['error']} ({a['duration_ms']} ms)"

    table(
        f"{len(rows)} deliveries",
        ["event", "type", "object", "status", "attempts", "last"],
        [
            [r["event_id"], r["type"], r["object_id"], r["status"], len(r["attempts"] or []), last(r)]
            for r in rows
        ],
    )


@app.command("deliver")
def deliver_cmd(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Send what is due now, then stop."),
) -> None:
    """Run the hook worker (as `serve` does) until Ctrl-C, or one pass with --once.

    Example: paidpdf hooks deliver --once
    """
    from paidpdf.hooks import delivery, runner

    cli = state(ctx)
    pace = delivery.Pace(cli.settings.hooks_timeout, cli.settings.hooks_first_retry)
    if once:
        pruned = delivery.prune(cli.store)
        console().print(f"Delivered {delivery.deliver_due(cli.store, pace)} event(s); pruned {pruned} old.")
        return
    with contextlib.suppress(KeyboardInterrupt):
        runner.run(cli.store, pace, threading.Event(), interval=min(1.0, cli.settings.hooks_first_retry))
