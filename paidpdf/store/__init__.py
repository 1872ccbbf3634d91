"""Storage: the only package that imports TinyDB. See `db.py` for the guarantees.

`db` (the `Store`: files, locks, units), `data_file` (one file's base and journal, read incrementally),
`journal` (the record format), `tables` (versioned tables: base + overlay), `documents` (views and units
over TinyDB), `parsing` (what a healthy base is), `files` (atomic writes), `blobs` (content-addressed
files), `backup_manifest` (a backup's manifest), `permissions` (private files and folders), `layout`
(the names of the data folder's files and folders).

The rest of paidpdf is written against `api` (`DataStore`, `View`, `Unit`, `Doc`: protocols) and gets
its store from `open_store`. `Store` (the embedded backend) is loaded on first use, so a command that
never opens the data folder (`paidpdf --help`) does not pay for TinyDB, filelock and the store.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from paidpdf.store.api import DataStore, Doc, Unit, View
from paidpdf.store.layout import ACCOUNTS, CATALOG, FILES, SALES

if TYPE_CHECKING:
    from paidpdf.store.backends import open_store
    from paidpdf.store.db import Store

__all__ = [
    "ACCOUNTS", "CATALOG", "FILES", "SALES", "DataStore", "Doc", "Store", "Unit", "View", "open_store"
]

_LAZY = {"Store": "paidpdf.store.db", "open_store": "paidpdf.store.backends"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'paidpdf.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
