"""`paidpdf content update / versions / notify`: new versions of an item's file and the mails that
tell its owners (`content.versions`, `ownership.update_notices`)."""

from __future__ import annotations

from pathlib import Path

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, copy_progress, emit_json, err_console, table, when
from paidpdf.errors import PaidPdfError

RATE_HELP = "Mails per minute at most, such as 120/min, for your mail server's limits (default: no pause)."


def update_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
    pdf: Path = typer.Argument(..., metavar="FILE", help="The new version of the file."),
    name: str | None = typer.Option(
        None, "--file", metavar="NAME", help="Which file it replaces (default: the one of its format)."
    ),
    notes: str = typer.Option("", "--notes", metavar="TEXT", help="What changed (shown to owners)."),
    notify: bool = typer.Option(False, "--notify", help="Mail every current owner about it now."),
    rate: str | None = typer.Option(None, "--rate", metavar="N/min", help=RATE_HELP),
) -> None:
    """Publish a new version of one of an item's files; owners keep every earlier one.

    Example: paidpdf content update the-sourdough-guide guide-v2.pdf --notes "New chapter on rye" --notify
    """
    from paidpdf.content import item_file_changes
    from paidpdf.ownership import update_notices

    cli = state(ctx)
    seconds = update_notices.parse_rate(rate)  # checked before anything is written
    with copy_progress(pdf) as progress:
        item, row = item_file_changes.update_file(
            cli.store, item_id, pdf, name=name, progress=progress, notes=notes
        )
    console().print(f"{item['id']}: {row['name']} is now version {row['version']}.", markup=False)
    if notify:
        _notify(ctx, item["id"], int(row["version"]), seconds, as_json=False)


def versions_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List an item's file versions (every file's) with their notes and dates.

    Example: paidpdf content versions the-sourdough-guide --json
    """
    from paidpdf.content import catalog, item_files

    item = catalog.get_item(state(ctx).store, item_id)
    rows = sorted(
        ({**v, "file": f["key"]} for f in item_files.files_of(item, include_removed=True)
         for v in item_files.file_history(f)),
        key=lambda r: int(r["version"] or 0),
    )
    if as_json:
        emit_json(rows)
        return
    table(
        f"{item['id']}: {len(rows)} version(s)",
        ("version", "file", "date", "pages", "size", "notes"),
        ((r["version"], r["file"], when(r["created_at"]), r["pages"] or "", r["size"], r["notes"])
         for r in rows),
    )


def notify_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
    version: int | None = typer.Option(
        None, "--version", metavar="N", help="Which version (default: newest)."
    ),
    rate: str | None = typer.Option(None, "--rate", metavar="N/min", help=RATE_HELP),
    as_json: bool = JSON_OPTION,
) -> None:
    """Mail the owners of an item about a version, once each; rerun to resume or retry failures.

    Example: paidpdf content notify the-sourdough-guide --rate 120/min
    """
    from paidpdf.ownership import update_notices

    _notify(ctx, item_id, version, update_notices.parse_rate(rate), as_json=as_json)


def _notify(
    ctx: typer.Context, item_id: str, version: int | None, seconds: float | None, *, as_json: bool
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from paidpdf.content import shop
    from paidpdf.mail import make_mailer
    from paidpdf.ownership import update_notices

    cli = state(ctx)
    store = cli.store
    mailer = make_mailer(cli.settings)
    bar = Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err_console(), transient=True, disable=as_json or not err_console().is_terminal,
    )
    with bar:
        task = bar.add_task("Mailing owners", total=None)

        def progress(summary: update_notices.Summary) -> None:
            done = summary.sent + summary.already + len(summary.failed)
            bar.update(task, total=summary.total, completed=done)

        summary = update_notices.notify(
            store, mailer, item_id, base_url=cli.settings.base_url, shop_name=shop.identity(store)["name"],
            version=version, seconds_between=seconds, progress=progress,
        )
    if as_json:
        emit_json({
            "item": summary.item_id, "version": summary.version, "owners": summary.total,
            "sent": summary.sent, "already_sent": summary.already,
            "failed": [{"email": e, "error": m} for e, m in summary.failed],
        })
    else:
        console().print(
            f"{summary.item_id} version {summary.version}: {summary.sent} sent now, {summary.already} sent "
            f"before, {len(summary.failed)} failed, of {summary.total} owner(s) who get update mails.",
            markup=False,
        )
        for email, error in summary.failed:
            err_console().print(f"failed: {email}: {error}", markup=False)
    if summary.failed:
        raise _Failures(
            f"{len(summary.failed)} mail(s) failed; run `paidpdf content notify {summary.item_id} "
            f"--version {summary.version}` again to retry them"
        )


class _Failures(PaidPdfError):
    exit_code = 9


def register(app: typer.Typer) -> None:
    app.command("update")(update_cmd)
    app.command("versions")(versions_cmd)
    app.command("notify")(notify_cmd)
