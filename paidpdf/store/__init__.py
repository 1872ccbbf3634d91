"""Storage: the only package that imports TinyDB. See `db.py` for the guarantees."""

from paidpdf.store.db import FILES, Doc, Store, Unit, View

__all__ = ["FILES", "Doc", "Store", "Unit", "View"]
