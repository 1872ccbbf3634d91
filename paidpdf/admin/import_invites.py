"""`paidpdf users invite --imported`: mail every imported buyer a sign-in link, once each (docs/import.md)."""

from __future__ import annotations

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, emit_json, err_console
from paidpdf.errors import InvalidInput, PaidPdfError


class _Failures(PaidPdfError):
    exit_code = 9


def invite_cmd(
    ctx: typer.Context,
    imported: bool = typer.Option(False, "--imported", help="Every buyer brought in by `paidpdf import`."),
    rate: str | None = typer.Option(
        None,
        "--rate",
        metavar="N/min",
        help="At most N mails a minute (default: as fast as the server takes).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Mail imported buyers a sign-in link to their library, once each; rerun to resume or retry.

    Example: paidpdf users invite --imported --rate 120/min
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from paidpdf.content import shop
    from paidpdf.imports import invites
    from paidpdf.mail import make_mailer
    from paidpdf.ownership.update_notices import parse_rate

    if not imported:
        raise InvalidInput("say whom to invite: --imported (every buyer brought in by `paidpdf import`)")
    seconds = parse_rate(rate)
    cli = state(ctx)
    store = cli.store
    mailer = make_mailer(cli.settings)
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console(),
        transient=True,
        disable=as_json or not err_console().is_terminal,
    )
    with bar:
        task = bar.add_task("Inviting buyers", total=None)

        def progress(summary: invites.Summary) -> None:
            done = summary.sent + summary.already + len(summary.failed)
            bar.update(task, total=summary.total, completed=done)

        summary = invites.invite(
            store,
            mailer,
            base_url=cli.settings.base_url,
            shop_name=shop.identity(store)["name"],
            seconds_between=seconds,
            progress=progress,
        )
    if as_json:
        emit_json(
            {
                "buyers": summary.total,
                "sent": summary.sent,
                "already_sent": summary.already,
                "failed": [{"email": e, "error": m} for e, m in summary.failed],
            }
        )
    else:
        console().print(
            f"{summary.sent} invitation(s) sent now, {summary.already} sent before, {len(summary.failed)} "
            f"failed, of {summary.total} imported buyer(s).",
            markup=False,
        )
        for email, error in summary.failed:
            err_console().print(f"failed: {email}: {error}", markup=False)
    if summary.failed:
        raise _Failures(f"{len(summary.failed)} mail(s) failed; run `paidpdf users invite --imported` again")


def register(app: typer.Typer) -> None:
    app.command("invite")(invite_cmd)
