"""`paidpdf users ...`: reader accounts for admins, over `paidpdf.accounts` and `paidpdf.ownership.gifts`.

Password hashes are never printed, not even with `--json`.
"""

from __future__ import annotations

import sys

import typer

from paidpdf.admin import download_rows, import_invites
from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, details, emit_json, table, when
from paidpdf.errors import InvalidInput
from paidpdf.store import Doc

app = typer.Typer(
    help="Reader accounts: list, inspect, add, gift or revoke items, reset downloads, disable.",
    no_args_is_help=True,
)


def _status(user: Doc) -> str:
    return "disabled" if user.get("disabled") else "active"


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    as_json: bool = JSON_OPTION,
) -> None:
    """List reader accounts, oldest first, with how many items each owns.

    Example: paidpdf users list --json
    """
    from paidpdf.accounts import users
    from paidpdf.ownership import library

    store = state(ctx).store
    sales = store.view(library.SALES)
    rows = [
        {**users.public(user), "items": len(library.for_user(sales, user["id"]))}
        for user in users.list_users(store)
    ]
    if as_json:
        emit_json(rows)
        return
    table(
        f"{len(rows):,} user{'' if len(rows) == 1 else 's'}",
        ["id", "email", "status", "items", "created"],
        [[r["id"], r["email"], _status(r), r["items"], when(r["created_at"])] for r in rows],
    )


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's email (any letter case)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one user, what they own and why (bought with which order, or granted).

    Example: paidpdf users show reader@example.com --json
    """
    from paidpdf.accounts import sessions, users
    from paidpdf.ownership import covers, download_log, gifts

    store = state(ctx).store
    user = users.require_user(store, email)
    owned = gifts.holdings(store, user["id"])
    open_sessions = sessions.active_sessions(store, user["id"])
    fetched = download_log.for_user(store.view(download_log.SALES), user["id"])
    if as_json:
        emit_json({
            "user": users.public(user), "active_sessions": open_sessions, "library": owned,
            "downloads": download_rows.public(fetched),
        })
        return
    details(
        user["email"],
        [
            ("id", user["id"]),
            ("status", _status(user)),
            ("active sessions", open_sessions),
            ("created", when(user.get("created_at"), seconds=True)),
            ("updated", when(user.get("updated_at"), seconds=True)),
        ],
    )
    if not owned:
        console().print("Owns nothing yet.")
        return
    table(
        "Library",
        ["item", "title", "source", "order", "acquired", "state"],
        [
            [
                r["content_id"],
                r["title"] or "(not in catalog)",
                covers.describe(r["covers"]) or r["source"],
                r["order_id"] or "",
                when(r["acquired_at"]),
                f"revoked {when(r['revoked_at'])} ({r['revoked_reason']})" if r["revoked"] else "owned",
            ]
            for r in owned
        ],
    )
    download_rows.show(fetched)


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="Email of the new account."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin (one line) instead of a prompt."
    ),
) -> None:
    """Create a reader account; the password comes from a hidden prompt or stdin.

    Example: paidpdf users add reader@example.com

    In scripts: printf '%s\\n' "$PW" | paidpdf users add reader@example.com --password-stdin
    """
    from paidpdf.accounts import users

    store = state(ctx).creating_store
    address = users.check_email_available(store, email)  # refuse before asking for a password
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not sys.stdin.isatty():
        raise InvalidInput("no terminal to ask for a password: pipe it in with --password-stdin")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = users.add_user(store, address, password)
    console().print(f"Added {user['email']} ({user['id']}).")


@app.command("grant")
def grant_cmd(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's email."),
    content_id: str = typer.Argument(..., metavar="ID", help="The catalog item's id."),
) -> None:
    """Give an item to a user as a gift (recorded as granted, not bought).

    Example: paidpdf users grant reader@example.com field-guide
    """
    from paidpdf.ownership import covers, gifts

    entry, created = gifts.grant_by_email(state(ctx).store, email, content_id)
    who, item = email.strip().lower(), entry["content_id"]
    others = [c for c in covers.of(entry) if c["kind"] != "granted"]
    if not created:
        console().print(f"{who} already owns {item} as a gift; nothing changed.")
    elif others:  # the gift is recorded beside them: it outlives a refund of those
        console().print(f"Granted {item} to {who} (they also have it: {covers.describe(others)}).")
    else:
        console().print(f"Granted {item} to {who}.")


@app.command("revoke")
def revoke_cmd(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's email."),
    content_id: str = typer.Argument(..., metavar="ID", help="The catalog item's id."),
) -> None:
    """Take an item away from a user (the entry stays in their history as revoked).

    Example: paidpdf users revoke reader@example.com field-guide
    """
    from paidpdf.ownership import covers, gifts

    entry, had = gifts.revoke_by_email(state(ctx).store, email, content_id)
    console().print(f"Revoked {entry['content_id']} ({covers.describe(had)}) from {email.strip().lower()}.")


@app.command("reset-downloads")
def reset_downloads_cmd(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's email."),
    content_id: str = typer.Argument(..., metavar="ID", help="The catalog item's id."),
) -> None:
    """Let a reader download an item again after reaching its download limit.

    Example: paidpdf users reset-downloads reader@example.com field-guide
    """
    from paidpdf.accounts import users
    from paidpdf.ownership import download_log

    store = state(ctx).store
    user = users.require_user(store, email)
    entry = download_log.reset(store, user["id"], content_id.strip().lower())
    console().print(f"{user['email']} can download {entry['content_id']} again (the count starts from 0).")


@app.command("disable")
def disable_cmd(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's email."),
) -> None:
    """Disable an account: it cannot log in and all its sessions end now.

    Example: paidpdf users disable reader@example.com
    """
    from paidpdf.accounts import users

    user = users.set_disabled(state(ctx).store, email, True)
    console().print(f"Disabled {user['email']}; their sessions were ended.")


@app.command("enable")
def enable_cmd(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's email."),
) -> None:
    """Enable a disabled account again.

    Example: paidpdf users enable reader@example.com
    """
    from paidpdf.accounts import users

    user = users.set_disabled(state(ctx).store, email, False)
    console().print(f"Enabled {user['email']}.")


import_invites.register(app)  # `users invite --imported` (its own module: paidpdf/admin/import_invites.py)
