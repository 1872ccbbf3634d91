"""`paidpdf demo`: a fresh demo shop with sample booklets, shown as a catalog table.

The command is built in two steps, `seed` and `serve`. Serving (the reader site and the local Stripe
stand-in) is added by the web and payments areas at the marked place; `--seed-only` stops after seeding.
"""

from __future__ import annotations

from pathlib import Path

import typer

from paidpdf.admin.content import show_catalog
from paidpdf.admin.context import TopCommand, state
from paidpdf.admin.output import console
from paidpdf.config import Settings
from paidpdf.errors import AddressInUse
from paidpdf.store import DataStore

#: The demo's folder when neither --folder nor the global --data names one.
DEFAULT_FOLDER = Path("demo-data")
#: The demo's preferred port; when it is taken the demo picks a free one instead.
DEFAULT_PORT = 8080


def demo_cmd(
    ctx: typer.Context,
    folder: Path | None = typer.Option(
        None,
        "--folder",
        metavar="DIR",
        help="The demo's own data folder, kept between runs (default: the global --data, else ./demo-data).",
    ),
    fresh: bool = typer.Option(False, "--fresh", help="Start over: empty the demo folder (not backups/)."),
    seed_only: bool = typer.Option(False, "--seed-only", help="Create and seed the demo shop, then stop."),
    port: int = typer.Option(
        DEFAULT_PORT, "--port", min=0, max=65535, help="Port of the shop on 127.0.0.1 (0: any free port)."
    ),
) -> None:
    """Run a demo shop with sample booklets (one free) in its own data folder, kept between runs.

    Example: paidpdf demo --folder demo-data --port 8080   (add --fresh to start over)
    """
    from paidpdf.content import catalog, demo

    chosen = demo_folder(ctx, folder)
    prepared = demo.prepare_folder(chosen, fresh=fresh)
    settings = state(ctx).settings.replace(data_dir=prepared.path)
    store = settings.open_store()
    if prepared.wiped:
        gone = ", ".join(prepared.wiped)
        console().print(f"--fresh: deleted {gone} from {chosen} (backups/ kept)", markup=False)
    if prepared.fresh:
        items = demo.seed_demo(store, settings) + demo.seed_media(store, settings)
        demo.seed_demo_plan(store, settings)
        title = f"New demo shop in {settings.data_dir}: {len(items)} item(s)"
    else:
        items = catalog.list_items(store, include_retired=True)
        title = f"Reusing the demo shop in {settings.data_dir} ({len(items)} item(s); --fresh starts over)"
    show_catalog(items, title)
    if seed_only:
        return
    # -- serving starts here ------------------------------------------------------------------------
    # The reader site and the local Stripe stand-in are started by `serve(settings, store)` below.
    serve(settings, store, port)


def demo_folder(ctx: typer.Context, folder: Path | None) -> Path:
    """--folder, else the global `--data DIR` when it was given on the command line, else ./demo-data.

    Either way `demo.prepare_folder` refuses a folder the demo did not make, so `--data` pointing at
    real data is never wiped."""
    if folder is not None:
        return folder
    data = ctx.find_root().params.get("data")
    return Path(data) if isinstance(data, str) and data.strip() else DEFAULT_FOLDER


def serve(settings: Settings, store: DataStore, port: int = 0) -> None:
    """Start the demo's reader site on loopback (on `port`; the default 8080 falls back to a free port)."""
    from paidpdf.admin.demo_payments import demo_payments
    from paidpdf.admin.site_server import run_site

    with demo_payments(settings, store) as pay:  # the local Stripe stand-in, wired to the shop

        def announce(url: str) -> None:
            pay.connect(url)
            console().print(
                f"\n[bold]The demo shop is open at {url}[/]\n"
                f"  Log in as [bold]{pay.email}[/] with password [bold]{pay.password}[/]"
                f" (or sign up at {url}/signup).\n"
                "  1. Open the free booklet in the catalog and download it.\n"
                "  2. Buy a paid booklet: you land on the test checkout page of the local Stripe stand-in\n"
                f"     ({pay.stand_in.url}); press Pay (no real money), then find it in your library.\n"
                "  Mails (sign-up confirmations, sign-in links, resets) land in\n"
                f"  {settings.data_dir / 'outbox'}. Ctrl-C stops the shop.\n"
                "  To run `paidpdf orders refund/reconcile` against this demo from another terminal:"
            )
            print(f"    {pay.export_line()}", flush=True)  # plain, so it can be copied as it is

        try:
            run_site(pay.settings, host="127.0.0.1", port=port, store=store, announce=announce)
        except (AddressInUse, OSError):
            if port != DEFAULT_PORT:  # a port the user chose: say it is taken
                raise
            # the default is taken: any free port will do for a demo
            run_site(pay.settings, host="127.0.0.1", port=0, store=store, announce=announce)


def command() -> TopCommand:
    return TopCommand(demo_cmd, {"name": "demo"})
