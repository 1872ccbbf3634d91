"""`paidpdf licenses ...`: list, show, disable, enable, reset activations and import license keys.

A thin layer over `paidpdf.licenses.manage` and `paidpdf.licenses.imports`; turning keys on for an item
is `paidpdf content edit ID --license-keys`. KEY is a whole key, or the prefix `licenses list` shows
when it names one key only.
"""

from __future__ import annotations

from pathlib import Path

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, details, emit_json, table, when
from paidpdf.store import DataStore, Doc

app = typer.Typer(
    help="License keys: list, show, disable, enable, reset-activations, import (docs/licenses.md).",
    no_args_is_help=True,
)

KEY_ARGUMENT: str = typer.Argument(..., metavar="KEY", help="The key, or its prefix from `licenses list`.")


def _activations(row: Doc) -> str:
    limit = row.get("activation_limit")
    return f"{row['activations']}/{limit}" if limit else str(row["activations"])


def _said(row: Doc, title: str) -> None:
    instances = [(f"instance {i['id']}", f"{i['name']} ({when(i['created_at'])})")
                 for i in row.get("instances", [])]
    details(
        title,
        [
            ("key", row.get("key") or f"{row['prefix']}…"),
            ("item", row["item"]),
            ("owner", row.get("email")),
            ("state", row["state"]),
            ("uses", row["uses"]),
            ("activations", _activations(row)),
            ("origin", row["origin"]),
            ("order", row.get("order_id")),
            ("created", when(row.get("created_at"), seconds=True)),
            ("disabled", when(row.get("disabled_at"), seconds=True)),
            *instances,
        ],
    )


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    item: str | None = typer.Option(None, "--item", metavar="ID", help="Only the keys of this item."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List license keys (prefixes only), oldest first.

    Example: paidpdf licenses list --item my-app
    """
    from paidpdf.licenses import manage

    rows = manage.list_keys(state(ctx).store, item.strip().lower() if item else None)
    if as_json:
        emit_json(rows)
        return
    table(
        f"{len(rows)} license key(s)",
        ("key", "item", "owner", "state", "uses", "activations", "origin", "created"),
        (
            (f"{r['prefix']}…", r["item"], r["email"], r["state"], r["uses"], _activations(r), r["origin"],
             when(r["created_at"]))
            for r in rows
        ),
    )


@app.command("show")
def show_cmd(ctx: typer.Context, key: str = KEY_ARGUMENT, as_json: bool = JSON_OPTION) -> None:
    """Show one key in full, with its activations.

    Example: paidpdf licenses show 85DB562A-C11D4B06-A2335A6B-8C079166
    """
    from paidpdf.licenses import manage

    row = manage.show(state(ctx).store, key)
    if as_json:
        emit_json(row)
        return
    _said(row, "License key")


@app.command("disable")
def disable_cmd(ctx: typer.Context, key: str = KEY_ARGUMENT) -> None:
    """Refuse a key from now on (the API answers "This license key has been disabled.").

    Example: paidpdf licenses disable 85DB562A
    """
    from paidpdf.licenses import manage

    row = manage.set_disabled(state(ctx).store, key, True)
    console().print(f"Disabled {row['prefix']}… ({row['item']}, {row['email']}).")


@app.command("enable")
def enable_cmd(ctx: typer.Context, key: str = KEY_ARGUMENT) -> None:
    """Lift your own disable (a refunded purchase's key stays refused until the item is granted again).

    Example: paidpdf licenses enable 85DB562A
    """
    from paidpdf.licenses import manage

    row = manage.set_disabled(state(ctx).store, key, False)
    note = "" if row["state"] == "active" else f"; still refused: its owner no longer has {row['item']}"
    console().print(f"Enabled {row['prefix']}… ({row['item']}, {row['email']}){note}.")


@app.command("reset-activations")
def reset_cmd(ctx: typer.Context, key: str = KEY_ARGUMENT) -> None:
    """Forget a key's activations and uses (a buyer's new computer).

    Example: paidpdf licenses reset-activations 85DB562A
    """
    from paidpdf.licenses import manage

    row = manage.reset_activations(state(ctx).store, key)
    console().print(f"Reset {row['prefix']}…: 0 activations, 0 uses.")


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., metavar="FILE.csv", help="CSV with email, item, key[, uses, enabled]."),
) -> None:
    """Import keys sold elsewhere (all rows or none; importing again skips what is there).

    Example: paidpdf licenses import gumroad-keys.csv
    """
    from paidpdf.licenses import imports

    added, skipped = imports.import_file(state(ctx).store, file)
    console().print(f"Imported {added} key(s)" + (f", {skipped} already there" if skipped else "") + ".")


def item_keys(
    store: DataStore, item_id: str, on: bool | None, activations: int | None, fmt: str | None
) -> None:
    """Turn an item's license keys on or off, or change their limit or format (`content edit`)."""
    from paidpdf.licenses import records

    setting = records.set_item(store, item_id, enabled=on, activations=activations, key_format=fmt)
    count = setting["activations"]
    limit = f"{count} activations per key" if count else "no activation limit"
    state_text = f"on ({limit}, {setting['key_format']} format)" if setting["enabled"] else "off"
    console().print(f"License keys for {setting['id']}: {state_text}.")
