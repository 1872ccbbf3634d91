"""Storage: the only package that imports TinyDB, in three rooms behind one interface.

- `api`: the protocols the rest of paidpdf is written against (`DataStore`, `View`, `Unit`, `Doc`), and
  `backends.open_store`, which picks the backend from the configuration.
- `embedded/`: the default backend, TinyDB files with journals in the data folder. `backend` (the
  `Store`: files, locks, units; see it for the guarantees), `data_file` and `data_file_writer` (one
  file's base and journal, read incrementally, written under its lock), `journal` (the record format),
  `tables` (versioned tables: base + overlay), `documents` (views and units over TinyDB), `cold` (tables
  whose base stays on disk), `base_index`, `base_scan` and `base_writer` (a base's sidecar index: read,
  rebuilt by streaming, written with a new base).
- `postgres/`: the scale-out backend. `backend` (`PgStore`: schema, locks, units), `documents` (views and
  units over SQL), `release` (finished views' rollbacks off the reader's thread).
- `files/`: files on disk and in an object store, used by both backends and by the domain. `atomic`
  (crash-safe replacement), `blobs` (content-addressed files), `object_files` (the S3 mirror),
  `permissions` (private files and folders).
- Shared by both backends at the top: `layout` (the data folder's names, the indexed fields),
  `parsing` (what a healthy data file is: backups and restores parse through it on either backend),
  `backup_manifest` (a backup's manifest, and the latest restorable backup).

Dependencies point one way: `embedded` and `postgres` use `files` and the shared modules, never each
other; `files` uses neither backend. `Store` (the embedded backend) and `open_store` are loaded on first
use, so a command that never opens the data folder (`paidpdf --help`) does not pay for TinyDB, filelock
and the store.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from paidpdf.store.api import DataStore, Doc, Unit, View
from paidpdf.store.layout import ACCOUNTS, CATALOG, FILES, SALES

if TYPE_CHECKING:
    from paidpdf.store.backends import open_store
    from paidpdf.store.embedded.backend import Store

__all__ = [
    "ACCOUNTS", "CATALOG", "FILES", "SALES", "DataStore", "Doc", "Store", "Unit", "View", "open_store"
]

_LAZY = {"Store": "paidpdf.store.embedded.backend", "open_store": "paidpdf.store.backends"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'paidpdf.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
