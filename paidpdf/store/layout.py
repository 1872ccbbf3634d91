"""What lives where in a data folder: the names every other module refers to, defined once.

A leaf module (it imports nothing), so the store, its backup manifests and the domain areas that name
their data file (`catalog`, `accounts`, `sales`) all share one spelling without an import circle.
"""

from __future__ import annotations

CATALOG = "catalog"
ACCOUNTS = "accounts"
SALES = "sales"
#: The data files, in the order locks are taken when several are needed at once.
FILES = (CATALOG, ACCOUNTS, SALES)

BACKUPS_DIR = "backups"
LOCKS_DIR = ".locks"
