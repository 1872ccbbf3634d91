"""Storage: the only package that imports TinyDB. See `db.py` for the guarantees.

`db` (the `Store`: files, locks, units, caching), `documents` (views and units over TinyDB),
`parsing` (what a healthy data file is), `files` (atomic writes), `blobs` (content-addressed files),
`backup_manifest` (a backup's manifest), `permissions` (private files and folders), `layout`
(the names of the data folder's files and folders).
"""

from paidpdf.store.db import Store
from paidpdf.store.documents import Doc, Unit, View
from paidpdf.store.layout import ACCOUNTS, CATALOG, FILES, SALES

__all__ = ["ACCOUNTS", "CATALOG", "FILES", "SALES", "Doc", "Store", "Unit", "View"]
