"""`paidpdf import gumroad|lemonsqueezy|payhip FILE.csv`: move a creator's buyers and purchases in.

A thin layer over `paidpdf.imports` (docs/import.md): options, a progress bar, a table or JSON.
"""

from __future__ import annotations

from pathlib import Path

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, emit_json, err_console, table

app = typer.Typer(
    help="Import buyers and purchases from Gumroad, Lemon Squeezy or Payhip (docs/import.md).",
    no_args_is_help=True,
)

MAP_OPTION: list[str] = typer.Option(
    [],
    "--map",
    metavar="PRODUCT=ITEM_ID",
    help="The platform's product id or exact name, and our item id (repeatable).",
)
MAP_FILE_OPTION: Path | None = typer.Option(
    None, "--map-file", metavar="map.csv", help="A CSV of PRODUCT,ITEM_ID rows (same as many --map)."
)
SKIP_OPTION: bool = typer.Option(False, "--skip-unmapped", help="Import only the mapped products.")
DRY_RUN_OPTION: bool = typer.Option(False, "--dry-run", help="Show what would happen; write nothing.")


def _run(
    ctx: typer.Context,
    platform: str,
    file: Path,
    maps: list[str],
    map_file: Path | None,
    skip: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from paidpdf.imports import apply, mapping, platforms

    store = state(ctx).store
    mapped = mapping.parse(store, maps, map_file)
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
        task = bar.add_task(f"Importing {file.name}", total=None)
        report = apply.run(
            store,
            platform,
            file,
            mapped,
            skip_unmapped=skip,
            dry_run=dry_run,
            progress=lambda done, total: bar.update(task, total=total, completed=done),
        )
    if as_json:
        emit_json(report.as_dict())
        return
    verb = "Would import" if dry_run else "Imported"
    table(
        f"{verb} {report.rows:,} purchase(s) from {platforms.NAMES[platform]}"
        + (" (dry run: nothing written)" if dry_run else ""),
        ("item", "action", "purchases"),
        ((item, action, f"{n:,}") for (item, action), n in sorted(report.per_item.items())),
    )
    console().print(
        f"accounts created: {report.accounts_created:,}; granted: {report.granted:,}; "
        f"revoked: {report.revoked:,}; not granted (refunded, disputed...): {report.not_granted:,}; "
        f"already imported: {report.unchanged:,}; license keys: {report.keys:,}; "
        f"skipped (unmapped): {report.skipped_unmapped:,}"
    )


FILE = typer.Argument(..., metavar="FILE.csv", help="The platform's export (see docs/import.md).")


@app.command("gumroad")
def gumroad_cmd(
    ctx: typer.Context,
    file: Path = FILE,
    maps: list[str] = MAP_OPTION,
    map_file: Path | None = MAP_FILE_OPTION,
    skip: bool = SKIP_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Import a Gumroad sales export (Sales > Export).

    Example: paidpdf import gumroad Sales.csv --map qmgy=the-sourdough-guide
    """
    _run(ctx, "gumroad", file, maps, map_file, skip, dry_run, as_json)


@app.command("lemonsqueezy")
def lemonsqueezy_cmd(
    ctx: typer.Context,
    file: Path = FILE,
    maps: list[str] = MAP_OPTION,
    map_file: Path | None = MAP_FILE_OPTION,
    skip: bool = SKIP_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Import a Lemon Squeezy orders file (API field names or the dashboard's).

    Example: paidpdf import lemonsqueezy orders.csv --map 12345=the-sourdough-guide
    """
    _run(ctx, "lemonsqueezy", file, maps, map_file, skip, dry_run, as_json)


@app.command("payhip")
def payhip_cmd(
    ctx: typer.Context,
    file: Path = FILE,
    maps: list[str] = MAP_OPTION,
    map_file: Path | None = MAP_FILE_OPTION,
    skip: bool = SKIP_OPTION,
    dry_run: bool = DRY_RUN_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Import a Payhip sales file (webhook field names or the dashboard's).

    Example: paidpdf import payhip sales.csv --map-file products.csv
    """
    _run(ctx, "payhip", file, maps, map_file, skip, dry_run, as_json)
