"""`paidpdf content files / file-add / file-remove`: the files an item holds, each with its format
(`content.item_files`, `content.item_file_changes`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, copy_progress, emit_json, table

SECONDS_HELP = "Seconds of the public audio/video sample cut from the file (0 = none, default 30)."


def size_text(size: object) -> str:
    value = float(size) if isinstance(size, int) else 0.0
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return "?"  # pragma: no cover


def facts_text(row: dict[str, Any]) -> str:
    """What a file is, in a few words: pages, chapters, duration, dimensions."""
    parts = []
    if row.get("pages"):
        parts.append(f"{row['pages']} pages")
    if row.get("chapters"):
        parts.append(f"{row['chapters']} chapters")
    if row.get("duration_ms"):
        seconds = int(row["duration_ms"]) // 1000
        parts.append(f"{seconds // 60}:{seconds % 60:02d}")
    if row.get("width") and row.get("height"):
        parts.append(f"{row['width']}x{row['height']}")
    return ", ".join(parts)


def files_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
    include_removed: bool = typer.Option(False, "--all", help="Include removed files (owners keep them)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List an item's files with their format, size and version.

    Example: paidpdf content files the-sourdough-guide --json
    """
    from paidpdf.content import catalog, item_files

    item = catalog.get_item(state(ctx).store, item_id)
    rows = item_files.files_of(item, include_removed=include_removed)
    if as_json:
        emit_json([item_files.public(r) for r in rows])
        return
    table(
        f"{item['id']}: {len(rows)} file(s)",
        ("file (key)", "format", "size", "details", "version", "sample", "status"),
        (
            (r["name"] if r["key"] == r["name"] else f"{r['name']} ({r['key']})", r["format"],
             size_text(r.get("size")), facts_text(r), r["version"],
             "yes" if r.get("sample") else "", "removed" if r.get("removed_at") else
             ("main" if r.get("primary") else ""))
            for r in rows
        ),
    )


def file_add_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
    file: Path = typer.Argument(..., metavar="FILE", help="A PDF, EPUB, audio, video or ZIP file."),
    preview_seconds: int = typer.Option(30, "--preview-seconds", metavar="N", help=SECONDS_HELP),
) -> None:
    """Add a file to an item; its owners get it too.

    Example: paidpdf content file-add the-sourdough-guide sourdough.epub
    """
    from paidpdf.content import item_file_changes

    with copy_progress(file) as progress:
        item, row = item_file_changes.add_file(
            state(ctx).store, item_id, file, sample_seconds=preview_seconds, progress=progress
        )
    console().print(
        f"{item['id']} now has {row['name']} ({row['format']}, {size_text(row['size'])}) as {row['key']}"
        f" (version {row['version']}).", markup=False,
    )


def file_remove_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
    name: str = typer.Argument(..., metavar="NAME", help="The file's key or name (see `content files`)."),
) -> None:
    """Stop selling one file of an item; owners who had it keep downloading it.

    Example: paidpdf content file-remove the-sourdough-guide sourdough.epub
    """
    from paidpdf.content import item_file_changes

    item, row = item_file_changes.remove_file(state(ctx).store, item_id, name)
    console().print(
        f"{row['name']} left {item['id']}: new buyers do not get it; owners who had it keep it.", markup=False
    )


def register(app: typer.Typer) -> None:
    app.command("files")(files_cmd)
    app.command("file-add")(file_add_cmd)
    app.command("file-remove")(file_remove_cmd)
