"""What every command needs: the settings (from the environment and `--data`) and a lazily opened store."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer

from paidpdf.config import Settings
from paidpdf.store import Store


@dataclass
class CliState:
    settings: Settings
    _store: Store | None = field(default=None, repr=False)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.settings.data_dir)
        return self._store


def state(ctx: typer.Context) -> CliState:
    """The `CliState` the root callback put on the context (found from any nested command)."""
    root = ctx.find_root()
    obj = root.obj
    if not isinstance(obj, CliState):  # pragma: no cover - only when a command is invoked without the root
        obj = CliState(Settings.from_env())
        root.obj = obj
    return obj
