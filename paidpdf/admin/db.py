"""`paidpdf db ...`: backup, restore, check, flush and info, on top of `paidpdf.maintenance.backups`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from paidpdf.admin.context import state
from paidpdf.admin.database_figures import NOT_COMPACTED, NOTHING_TO_COMPACT, check_summary, info_pairs
from paidpdf.admin.output import (
    JSON_OPTION,
    byte_progress,
    confirm,
    console,
    details,
    emit_json,
    err_console,
    table,
)
from paidpdf.byte_sizes import human_size
from paidpdf.config import Secret
from paidpdf.errors import InvalidInput


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


app = typer.Typer(
    help="The database: backup, restore, check, compact, flush, info, init, migrate.", no_args_is_help=True
)


@contextmanager
def _progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A byte progress bar on stderr (silent when stderr is not a terminal)."""
    with byte_progress(description, total) as bar:
        task = bar.add_task(description, total=total or None)
        yield lambda done: bar.update(task, completed=done)


@app.command("backup")
def backup_cmd(
    ctx: typer.Context,
    path: Path | None = typer.Argument(
        None, help="Empty or new folder for the backup (default: <data>/backups/<UTC timestamp>/)."
    ),
    copy: bool = typer.Option(
        False, "--copy", help="Copy content files instead of hard-linking them (to survive disk damage)."
    ),
) -> None:
    """Back up the data files and content files into a folder with a manifest; prints its path.

    Every content file is hashed; a damaged one fails the backup (see `paidpdf db check`).
    Example: paidpdf db backup --copy /mnt/usb/paidpdf-2026-11-27
    """
    from paidpdf.maintenance import backups, data_folder

    store = state(ctx).store
    with _progress("Backing up", data_folder.blob_bytes(store)) as report:
        result = backups.backup(store, path, report, copy=copy)
    for warning in result.warnings:
        err_console().print(f"warning: {warning.where}: {warning.problem}", markup=False)
    typer.echo(str(result.path))  # first line: the path alone, for scripts
    total = result.bytes + sum(int(f.get("size") or 0) for f in result.files.values())
    how = f"{result.linked} hard-linked, {result.copied} copied" if result.blobs else "no content files"
    typer.echo(
        f"{_count(len(result.files), 'data file')} and {_count(result.blobs, 'content/cover file')} "
        f"({how}), {human_size(total)} in all, every content file hashed",
        err=True,
    )


@app.command("restore")
def restore_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="A backup folder made by `paidpdf db backup`."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask; required when not on a terminal."),
) -> None:
    """Replace the data with a backup, after verifying every file and hash in it.

    Example: paidpdf db restore data/backups/20261127T193005Z --yes
    """
    from paidpdf.maintenance import backups
    from paidpdf.store import backup_manifest

    store = state(ctx).creating_store
    backup_manifest.read_manifest(path)
    confirm(yes, f"Replace the data in {store.root} with the backup {path}?")
    with _progress("Verifying", backups.backup_size(path)) as report:
        manifest = backups.restore(store, path, report)
    files, blob_count = len(manifest["files"]), len(manifest["blobs"])
    typer.echo(f"restored {path} ({files} data files, {blob_count} content/cover files)")


@app.command("check")
def check_cmd(
    ctx: typer.Context,
    as_json: bool = JSON_OPTION,
    fix_permissions: bool = typer.Option(
        False, "--fix-permissions", help="Make every folder 0700 and every file 0600 (owner only)."
    ),
) -> None:
    """Check the data: JSON files valid, every content file and cover present, sizes and hashes right.

    Warns about folders and files other local users may read. Exits with status 1 when there are
    problems.
    Example: paidpdf db check --fix-permissions
    """
    from paidpdf.maintenance import checks

    store = state(ctx).store
    with _progress("Hashing", checks.content_bytes(store)) as report:
        result = checks.check(store, report, fix_permissions=fix_permissions)
    rows = [{"where": p.where, "problem": p.problem} for p in result.problems]
    loose = [{"where": p.where, "problem": p.problem} for p in result.loose_modes]
    if as_json:
        found: dict[str, Any] = {
            "ok": not rows,
            "problems": rows,
            "data_files_readable": result.files,
            "items": result.items,
            "bytes_hashed": result.bytes_hashed,
            "loose_permissions": loose,
            "permissions_fixed": result.modes_fixed,
        }
        if result.database is None:
            found["journals"] = result.journals
        else:
            found["database"] = result.database
        emit_json(found)
        if rows:
            raise typer.Exit(1)
        return
    if result.modes_fixed:
        console().print(f"Fixed permissions of {result.modes_fixed} folder(s) and file(s).", markup=False)
    elif loose:
        shown = ", ".join(r["where"] for r in loose[:3]) + (" ..." if len(loose) > 3 else "")
        err_console().print(
            f"Warning: {len(loose)} folder(s) or file(s) other local users may read ({shown}); "
            "run `paidpdf db check --fix-permissions`",
            markup=False,
            style="yellow",
            soft_wrap=True,  # one line, however narrow the terminal
        )
    for journal in result.journals.values():
        if journal["interrupted_tail_bytes"]:
            err_console().print(
                f"Note: {journal['path']} ends with {journal['interrupted_tail_bytes']} byte(s) of an "
                "interrupted write (its unit never happened); the next write cuts them off",
                markup=False,
                soft_wrap=True,
            )
    if rows:
        table(
            f"{len(rows)} problem(s) in {store.root}",
            ["where", "problem"],
            [(r["where"], r["problem"]) for r in rows],
        )
    elif result.database is not None:
        summary = check_summary(result.files, result.items, result.bytes_hashed, result.database)
        console().print(f"OK: {summary}", markup=False)
    else:
        records = sum(j["records"] for j in result.journals.values())
        summary = (
            f"{result.files} data files, {_count(records, 'journal record')} (every checksum verified), "
            f"{result.items} items, {result.bytes_hashed} bytes hashed"
        )
        console().print(f"OK: {summary}", markup=False)
    if rows:
        raise typer.Exit(1)


@app.command("compact")
def compact_cmd(
    ctx: typer.Context,
    as_json: bool = JSON_OPTION,
) -> None:
    """Fold each data file's journal into a new base now (it also happens on its own when due).

    Safe while the shop runs: writers wait for a moment, readers never do. On PostgreSQL there is
    nothing to compact (it vacuums itself), and the command says so.
    Example: paidpdf db compact
    """
    from paidpdf.store import FILES

    store = state(ctx).store
    rows: list[dict[str, Any]] = []
    for name in FILES:
        folded = store.compact(name)
        if folded is None:  # the backend keeps its own files: PostgreSQL
            if as_json:
                emit_json(NOT_COMPACTED)
            else:
                console().print(NOTHING_TO_COMPACT, markup=False)
            return
        records, size = folded
        after = store.journal_state(name)
        rows.append({"file": name, "records_folded": records, "journal_bytes_before": size,
                     "base_bytes": after.base_bytes})
    if as_json:
        emit_json(rows)
        return
    table(
        f"Compacted {store.root}",
        ["file", "journal records folded", "journal before", "base now"],
        [(r["file"], f"{r['records_folded']:,}", human_size(r["journal_bytes_before"]),
          human_size(r["base_bytes"])) for r in rows],
    )


@app.command("flush")
def flush_cmd(
    ctx: typer.Context,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask; required when not on a terminal."),
) -> None:
    """Delete all data and content files, after taking and verifying a backup (its path is printed).

    Example: paidpdf db flush --yes
    """
    from paidpdf.maintenance import data_folder, flush

    store = state(ctx).store
    confirm(yes, f"Delete every record and content file in {store.root} (a backup is taken first)?")
    with _progress("Backing up", data_folder.blob_bytes(store)) as report:
        result = flush.flush(store, report)
    typer.echo(f"backup: {result.backup}")
    typer.echo(f"flushed {result.removed_files} data files and {result.removed_blobs} content/cover files")


@app.command("init")
def init_cmd(ctx: typer.Context) -> None:
    """Create or upgrade the database's tables (PostgreSQL; also done on every start).

    Example: PAIDPDF_DATABASE_URL=postgresql://shop@db/shop paidpdf db init
    """
    cli = state(ctx)
    store = cli.creating_store
    init = getattr(store, "init_schema", None)
    if init is None:
        where = cli.settings.documents_location()
        typer.echo(f"{where}: nothing to create (files are made on first write)")
        return
    typer.echo(f"{cli.settings.documents_location()}: schema version {init()} in place")


@app.command("migrate")
def migrate_cmd(
    ctx: typer.Context,
    to: str | None = typer.Option(None, "--to", help="The PostgreSQL database to copy documents into."),
    files_to: str | None = typer.Option(
        None, "--files-to", help="The S3 bucket to copy files into: s3://bucket/prefix."
    ),
    replace: bool = typer.Option(False, "--replace", help="Overwrite documents the database already holds."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Copy this data folder's documents into PostgreSQL and its files into S3, every one verified.

    Run it again after changes (with --replace); then set PAIDPDF_DATABASE_URL / PAIDPDF_FILES_URL.
    Example: paidpdf db migrate --to postgresql://shop@db.internal/shop --files-to s3://shop-files/prod
    """
    from paidpdf.maintenance import data_folder, migrate
    from paidpdf.store import open_store
    from paidpdf.store.files.object_files import ObjectFiles

    cli = state(ctx)
    if not to and not files_to:
        raise InvalidInput("give --to postgresql://... and/or --files-to s3://...")
    source = cli.store
    report: dict[str, Any] = {}
    if files_to:
        objects = ObjectFiles(files_to, endpoint_url=cli.settings.s3_endpoint_url)
        with _progress("Copying files", data_folder.blob_bytes(source)) as progress:
            copied = migrate.migrate_files(source, objects, progress)
        report["files_target"] = objects.describe()
        report["files"] = {"count": copied.files, "bytes": copied.bytes}
    if to:
        result = migrate.migrate(source, open_store(cli.settings.data_dir, to), replace=replace)
        report["target"] = cli.settings.replace(database_url=Secret(to)).documents_location()
        report["documents"], report["sha256"] = result.counts, result.digests
    if as_json:
        emit_json(report)
        return
    if files_to:
        console().print(
            f"Copied {report['files']['count']:,} files ({human_size(report['files']['bytes'])}) into "
            f"{report['files_target']}, each read back and compared", markup=False,
        )
    if to:
        table(
            f"Copied into {report['target']} (every document read back and compared)",
            ["file", "table", "documents"],
            [(f, t, f"{n:,}") for f, tables in report["documents"].items() for t, n in tables.items()],
        )


@app.command("info")
def info_cmd(
    ctx: typer.Context,
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the data folder: paths, sizes, record counts, latest backup, settings (secrets redacted).

    On PostgreSQL: documents per data file and table, and the server's own figures (tables' sizes).

    Example: paidpdf db info --json
    """
    from paidpdf.maintenance import checks

    cli = state(ctx)
    found: dict[str, Any] = checks.info(cli.store)
    found["settings"] = cli.settings.redacted()
    if as_json:
        emit_json(found)
        return
    pairs: list[tuple[str, Any]] = [
        ("documents", cli.settings.documents_location()), ("data folder", found["data_dir"])
    ]
    database = found.get("database")
    if database is not None:
        pairs.extend(info_pairs(database))
    for name, entry in found["files"].items() if database is None else ():
        counts = ", ".join(f"{t}: {n}" for t, n in entry.get("tables", {}).items()) or "empty"
        status = entry.get("error") or (counts if entry["exists"] else "not created yet")
        journal = entry.get("journal") or {}
        if journal.get("records"):
            status += f"; journal: {_count(journal['records'], 'record')} since the base"
        if journal.get("read_from_disk"):
            status += "; read from disk through its index"
        pairs.append((f"{name}.json", f"{human_size(entry['size'])}; {status}"))
    for name, entry in found["blobs"].items():
        pairs.append((f"{name}/", f"{_count(entry['files'], 'file')}, {human_size(entry['bytes'])}"))
    pairs.append(("latest backup", found["latest_backup"] or "none"))
    pairs.extend((f"setting {k}", v) for k, v in found["settings"].items())
    details("paidpdf data", pairs)
