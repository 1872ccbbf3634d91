"""Which store a shop runs on, chosen by configuration alone.

Without `PAIDPDF_DATABASE_URL` the shop keeps its documents in the data folder (`embedded.backend.Store`,
TinyDB files with journals): one machine, nothing else to run. With a `postgresql://` URL they live in
PostgreSQL (`postgres.backend.PgStore`), so several servers can share them.
"""

from __future__ import annotations

from pathlib import Path

from paidpdf.errors import ConfigError
from paidpdf.store.api import DataStore


def open_store(data_dir: Path, database_url: str | None = None) -> DataStore:
    """The store for this configuration (the data folder is used for local files either way)."""
    if not database_url:
        from paidpdf.store.embedded.backend import Store

        return Store(data_dir)
    if database_url.startswith(("postgresql://", "postgres://")):
        from paidpdf.store.postgres.backend import PgStore

        return PgStore(database_url, data_dir)
    raise ConfigError("PAIDPDF_DATABASE_URL must start with postgresql:// (or be unset for the data folder)")
