"""`paidpdf api-keys ...`: keys for the creator API (`/api/v1/`, docs/api.md), over
`paidpdf.creator_api.keys`. A token is printed once, when it is made; only its keyed hash is kept.
"""

from __future__ import annotations

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, emit_json, table, when

app = typer.Typer(help="Creator API keys: add, list, revoke (docs/api.md).", no_args_is_help=True)


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="What uses the key (a script, an app)."),
    read_only: bool = typer.Option(
        False, "--read-only", help="The key can read but not grant, revoke or refund."
    ),
) -> None:
    """Make an API key and print its token (shown this once only).

    Example: paidpdf api-keys add zapier --read-only
    """
    from paidpdf.creator_api import keys

    doc, token = keys.add(state(ctx).store, name, read_only=read_only)
    typer.echo(token)
    access = "read-only" if read_only else "full"
    typer.secho(
        f"API key {doc['id']} ({access}) made: keep the token above, it is not shown again.", err=True
    )


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List API keys (never their tokens).

    Example: paidpdf api-keys list --json
    """
    from paidpdf.creator_api import keys

    rows = keys.list_keys(state(ctx).store)
    if as_json:
        emit_json(rows)
        return
    table(
        f"{len(rows)} API key{'' if len(rows) == 1 else 's'}",
        ["id", "name", "access", "created", "revoked"],
        [[r["id"], r["name"], r["access"], when(r["created_at"]), when(r["revoked_at"])] for r in rows],
    )


@app.command("revoke")
def revoke_cmd(
    ctx: typer.Context, key_id: str = typer.Argument(..., metavar="ID", help="The key's id.")
) -> None:
    """Revoke an API key: its token stops working at once.

    Example: paidpdf api-keys revoke 3f9a1c2b7d4e
    """
    from paidpdf.creator_api import keys

    row = keys.revoke(state(ctx).store, key_id)
    console().print(f"Revoked API key {row['id']} ({row['name']}).")
