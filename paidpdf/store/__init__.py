"""Storage: the only package that imports TinyDB. See `db.py` for the guarantees.

`db` (the `Store`: files, locks, units, caching), `documents` (views and units over TinyDB),
`parsing` (what a healthy data file is), `files` (atomic writes), `blobs` (content-addressed files),
`backup_manifest` (a backup's manifest), `permissions` (private files and folders).
"""

from paidpdf.store.db import FILES, Store
from paidpdf.store.documents import Doc, Unit, View

__all__ = ["FILES", "Doc", "Store", "Unit", "View"]
