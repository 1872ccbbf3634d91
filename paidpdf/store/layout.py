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

#: Fields that documents are looked up by (`View.find`), per table. A large base keeps an index on
#: disk for each (`base_index.py`), so a lookup reads only the matching documents; a lookup on a field
#: not named here still works on a large base, but reads the whole table (and says so in the log).
INDEXED_FIELDS: dict[str, tuple[str, ...]] = {
    "orders": ("user_id", "stripe_session_id", "stripe_payment_intent", "receipt", "guest_token", "promo"),
    "library": ("user_id", "content_id"),
    "downloads": ("user_id", "content_id"),
    "users": ("email",),
    "sessions": ("user_id",),
    "resets": ("user_id",),
    "sign_in_links": ("user_id",),
}
