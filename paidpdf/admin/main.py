"""The root of the admin CLI: the global `--data` option, error mapping, and the sub-apps joined together.

Errors: every `PaidPdfError` becomes one line on stderr and its `exit_code`; nothing the product expects
ever prints a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from paidpdf import __version__
from paidpdf.admin.context import CliState
from paidpdf.config import Settings
from paidpdf.errors import PaidPdfError


class _ErrorMappingGroup(TyperGroup):
    """Turns domain errors (raised anywhere below) into a one-line message and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except PaidPdfError as exc:
            typer.echo(f"Error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            typer.echo(f"Error: {exc.strerror or exc}{where}", err=True)
            ctx.exit(1)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"paidpdf {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """Create the CLI. Nothing happens at import time; tests build a fresh app per invocation."""
    app = typer.Typer(
        cls=_ErrorMappingGroup,
        name="paidpdf",
        help="Sell PDFs from your own server: manage content, users, orders and the database.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        data: Path | None = typer.Option(
            None, "--data", metavar="DIR", help="Data folder (default: $PAIDPDF_DATA or ./data)."
        ),
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ) -> None:
        """Sell PDFs from your own server: manage content, users, orders and the database."""
        try:
            settings = Settings.from_env(data_dir=data)
        except PaidPdfError as exc:
            typer.echo(f"Error: {exc.message}", err=True)
            raise typer.Exit(exc.exit_code) from None
        ctx.obj = CliState(settings)

    from paidpdf.admin import subapps

    for name, sub in subapps.all_subapps():
        app.add_typer(sub, name=name)
    for command in subapps.all_commands():
        app.command(**command.options)(command.function)
    return app


def main() -> None:
    build_app()(prog_name="paidpdf")
