"""The root of the admin CLI: the global `--data` option, error mapping, and the sub-apps joined together.

Errors: every `PaidPdfError` becomes one line on stderr and its `exit_code`; usage mistakes (a missing
option, an unknown command) become one line and exit 2; anything unexpected becomes one line and exit 1
(set `PAIDPDF_DEBUG=1` to see the traceback). Nothing prints a traceback by default.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from paidpdf import __version__
from paidpdf.admin import (
    api_keys,
    bundles,
    content,
    db,
    demo,
    hooks,
    imports,
    licenses,
    order_show,
    orders,
    plans,
    promos,
    serve,
    shop,
    stripe_local,
    subscriptions,
    tax_report,
    users,
)
from paidpdf.admin.context import CliState, TopCommand
from paidpdf.config import Settings
from paidpdf.errors import InvalidInput, PaidPdfError
from paidpdf.store.files.permissions import private_umask

#: What click raises for a usage mistake (a missing option, an unknown command, a bad value): typer's
#: public base of the click exceptions it vendors, so no private module is imported.
UsageMistake = typer.TyperException


def _fail(message: str, code: int) -> NoReturn:
    """One line on stderr (red on a terminal; plain when piped) and the exit code."""
    typer.secho(f"Error: {' '.join(message.split())}", err=True, fg="red")
    sys.exit(code)


def _quiet_broken_pipe() -> NoReturn:
    """stdout was closed early (`paidpdf ... | head -1`): end quietly with 0, as Unix tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python's final flush must not fail again
    sys.exit(0)


def hoist_data_option(args: Sequence[str]) -> list[str]:
    """`--data DIR` may come after the subcommand too (`paidpdf content list --data DIR`): move it to
    the front, where the root callback reads it. Arguments after `--` are left alone."""
    front: list[str] = []
    rest: list[str] = []
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg == "--":
            rest.extend(items[i:])
            break
        if arg == "--data" and i + 1 < len(items):
            front += items[i : i + 2]
            i += 2
            continue
        if arg.startswith("--data="):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


def _hide_flag_types(command: Any) -> None:
    """Typer's rich help prints `<bool>` beside every on/off flag (`--json <bool>`); a flag takes no
    value, so its type column stays empty. Walks the whole tree once, when the root group is built."""
    for param in getattr(command, "params", []):
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    make_help_option = command.get_help_option

    def help_option(ctx: Any) -> Any:  # `--help` is made per context, after this walk
        option = make_help_option(ctx)
        if option is not None and option.metavar is None:
            option.metavar = ""
        return option

    command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        _hide_flag_types(sub)


class _ErrorMappingGroup(TyperGroup):
    """Turns every error raised below into a one-line message on stderr and an exit code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _hide_flag_types(self)

    def list_commands(self, ctx: Any) -> list[str]:
        """The noun groups first (what an admin looks for), then the top-level verbs."""
        names = super().list_commands(ctx)
        return sorted(names, key=lambda name: not hasattr(self.commands[name], "commands"))

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except PaidPdfError as exc:
            _fail(exc.message, exc.exit_code)
        except (UsageMistake, typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:
            _quiet_broken_pipe()
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _fail(f"{exc.strerror or exc}{where}", 1)
        except Exception as exc:
            if os.environ.get("PAIDPDF_DEBUG"):
                raise
            _fail(f"internal error ({type(exc).__name__}: {exc}); run with PAIDPDF_DEBUG=1 for details", 1)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's standalone mode with two differences: a usage mistake is one line on stderr instead
        of a usage box, and a closed stdout ends with 0. Everything else is click's own `main`."""
        args = hoist_data_option(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_broken_pipe()
        except SystemExit as exc:
            # Rich and typer turn a closed stdout into exit status 1; it is not a failure.
            pacified = type(sys.stdout).__name__ == "PacifyFlushWrapper"
            piped = isinstance(exc.__context__, BrokenPipeError) or pacified
            if exc.code == 1 and piped:
                _quiet_broken_pipe()
            raise
        except UsageMistake as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            _fail(f"{exc.format_message()}{hint}", int(getattr(exc, "exit_code", 2)))
        except typer.Abort:
            _fail("aborted", 1)
        sys.exit(result if isinstance(result, int) else 0)


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
        data: str | None = typer.Option(
            None, "--data", metavar="DIR", help="Data folder (default: $PAIDPDF_DATA or ./data)."
        ),
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ) -> None:
        """Sell PDFs from your own server: manage content, users, orders and the database."""
        try:
            if data is not None and not data.strip():
                raise InvalidInput("--data needs a folder path (it was empty)")
            settings = Settings.from_env(data_dir=None if data is None else Path(data))
        except PaidPdfError as exc:
            typer.secho(f"Error: {exc.message}", err=True, fg="red")
            raise typer.Exit(exc.exit_code) from None
        ctx.obj = CliState(settings)
        ctx.call_on_close(ctx.obj.close)

    order_show.register(orders.app)
    tax_report.register(orders.app)
    for name, module in NOUNS:
        app.add_typer(module.app, name=name)
    for top in (demo.command(), stripe_local.command(), serve.command()):
        _add_top_command(app, top)
    return app


#: The noun groups, in the order `paidpdf --help` lists them; each module's `app` carries its own help.
NOUNS = (
    ("orders", orders),
    ("users", users),
    ("content", content),
    ("bundles", bundles),
    ("promos", promos),
    ("db", db),
    ("shop", shop),
    ("licenses", licenses),
    ("plans", plans),
    ("subscriptions", subscriptions),
    ("import", imports),
    ("api-keys", api_keys),
    ("hooks", hooks),
)


def _add_top_command(app: typer.Typer, top: TopCommand) -> None:
    app.command(**top.options)(top.function)


def main() -> None:
    private_umask()  # data files, content, backups, locks: readable by the shop's user only
    build_app()(prog_name="paidpdf")
