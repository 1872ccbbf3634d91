"""Output for people (Rich tables, progress bars) and for scripts (plain JSON), plus confirmations."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from paidpdf.errors import InvalidInput

if TYPE_CHECKING:  # rich.progress loads when a bar is drawn, not for `paidpdf --help`
    from rich.progress import Progress

#: The `--json` switch every list/show command has: one definition, so the promise reads the same everywhere.
JSON_OPTION: bool = typer.Option(False, "--json", help="Plain JSON on stdout.")


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


def emit_json(value: Any) -> None:
    """Plain JSON on stdout and nothing else: what `--json` promises to scripts."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


def stream_json(values: Iterable[Any]) -> None:
    """A JSON array on stdout written element by element, indented like `emit_json` (a long listing
    starts at once and never holds the whole text in memory)."""
    write = sys.stdout.write
    count = 0
    for value in values:
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode().replace("\n", "\n  ")
        write(("[\n  " if count == 0 else ",\n  ") + text)
        count += 1
        if count % 256 == 1:
            sys.stdout.flush()
    write("\n]\n" if count else "[]\n")
    sys.stdout.flush()


def when(stamp: object, *, seconds: bool = False) -> str:
    """A stored UTC stamp (`2026-11-27T20:04:35Z`) as people read it in tables and details:
    `2026-11-27 20:04 UTC` (with `:35` when `seconds`). JSON and CSV keep the stamp as stored."""
    if not isinstance(stamp, str) or not stamp:
        return ""
    text = stamp.rstrip("Z").replace("T", " ")
    return (text[:19] if seconds else text[:16]) + " UTC"


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    out = Table(title=title, header_style="bold", show_lines=False)
    for column in columns:
        out.add_column(column, overflow="fold")
    for row in rows:
        out.add_row(*["" if cell is None else str(cell) for cell in row])
    console().print(out)


def details(title: str, pairs: Iterable[tuple[str, Any]]) -> None:
    """A two-column key/value table for `show` commands."""
    out = Table(title=title, show_header=False, header_style="bold")
    out.add_column("field", style="bold")
    out.add_column("value", overflow="fold")
    for key, value in pairs:
        out.add_row(key, "" if value is None else str(value))
    console().print(out)


def byte_progress(description: str, total: int) -> Progress:
    """A progress bar for copying or hashing a file; silent when stderr is not a terminal."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console(),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


@contextmanager
def copy_progress(file: Path | None) -> Iterator[Callable[[int], None] | None]:
    """A byte progress bar while a file is copied and hashed (silent when stderr is not a terminal);
    yields the callback the catalog reports bytes done to."""
    if file is None:
        yield None
        return
    try:
        total = file.stat().st_size
    except OSError:
        total = 0
    with byte_progress(f"Storing {file.name}", total) as bar:
        task = bar.add_task(f"Storing {file.name}", total=total or None)

        def update(done: int) -> None:
            bar.update(task, completed=done)

        yield update


def confirm(yes: bool, question: str) -> None:
    """Go on only with `--yes` or a "y" typed at a terminal; scripts must say `--yes` explicitly."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise InvalidInput(f"{question.rstrip('?')}: refusing without --yes when not on a terminal")
    if not typer.confirm(question, default=False):
        raise typer.Exit(1)
