"""What lives where in a data folder: the names every other module refers to, defined once.

A leaf module (it imports nothing of paidpdf), so both backends, the backup manifests and the domain
areas that name their data file (`catalog`, `accounts`, `sales`) all share one spelling without an import
circle.
"""

from __future__ import annotations

from typing import Any

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
    "joins": ("user_id", "guest_token", "stripe_session_id"),
    "subscriptions": ("user_id",),
    "invoices": ("subscription_id", "payment_intent"),
    "notices": ("status",),
    "feed_tokens": ("user_id",),
    "play_positions": ("user_id",),
    "hook_deliveries": ("status", "endpoint_id"),
}


def indexable(value: Any) -> bool:
    """Whether `find` looks `value` up through an index (on both backends): a string, number, bool or None.

    Any other value (a list, a dict) is matched without an index, the same way on both backends."""
    return isinstance(value, (str, int, bool)) or value is None
