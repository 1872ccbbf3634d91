"""The embedded backend: the shop's documents as TinyDB files with journals in the data folder.

`backend.Store` is the entry point (files, locks, units); the rest is how one data file is read
incrementally and written safely (see paidpdf/store/__init__.py for the map). Nothing outside
`paidpdf.store` imports from here but through `paidpdf.store.Store` / `open_store`, tests and benches.
"""
