"""What every command needs: the settings (from the environment and `--data`) and a lazily opened store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from paidpdf.config import Settings
from paidpdf.errors import NotFound

if TYPE_CHECKING:  # the store loads when a command opens the data folder, not for `--help`
    from paidpdf.store import DataStore


@dataclass
class CliState:
    settings: Settings
    _store: DataStore | None = field(default=None, repr=False)

    @property
    def store(self) -> DataStore:
        """The existing shop. On the data folder, a missing folder is an error, so a typo in `--data`
        never shows an empty shop or leaves a stray folder behind. On PostgreSQL the documents are in
        the database and the folder only holds local files (content without an object store, backups,
        the outbox): a server where it does not exist yet, right after `db init`, is a normal shop."""
        folder = self.settings.data_dir
        on_files = not self.settings.database_url
        if self._store is None and on_files and not folder.exists() and not folder.is_symlink():
            raise NotFound(
                f"no data folder at {folder} (check --data / PAIDPDF_DATA; "
                "`paidpdf content add` or `paidpdf users add` creates it)"
            )
        return self.creating_store

    @property
    def creating_store(self) -> DataStore:
        """The data folder, created if missing: for the commands that start a shop's data."""
        if self._store is None:
            self._store = self.settings.open_store()
        return self._store

    def close(self) -> None:
        """Run when the command ends (`ctx.call_on_close`): a PostgreSQL store's pool must not outlive
        it (in-process callers, such as the tests, run many commands in one process)."""
        if self._store is not None:
            self._store.close()
            self._store = None


def state(ctx: typer.Context) -> CliState:
    """The `CliState` the root callback put on the context (found from any nested command)."""
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, CliState):  # pragma: no cover - only when a command is invoked without the root
        obj = CliState(Settings.from_env())
        root.obj = obj
    return obj


@dataclass
class TopCommand:
    """A top-level verb (`paidpdf serve`): its function and the options `app.command` gets."""

    function: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict)
