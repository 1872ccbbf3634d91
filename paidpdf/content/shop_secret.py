"""The shop's own random key, kept in its catalog: it authenticates stamped files' identifiers and
salts the hashed client addresses of the download log.

Why in the data and not the environment: a stamp must stay verifiable for as long as the copies it
marks circulate, on every server (PostgreSQL shares it), after a restore from backup, and whatever
happens to `PAIDPDF_SECRET_KEY` (which signs short-lived CSRF tokens and may be rotated). It is made
once, under the catalog's lock, so two processes that need it first at the same time agree on it.
Never shown by any command.
"""

from __future__ import annotations

import hmac
import secrets

from paidpdf.store import CATALOG, DataStore

TABLE = "shop"
DOC_ID = "secret"


def shop_secret(store: DataStore) -> bytes:
    """The key (32 random bytes as hex), made on first use."""
    found = store.view(CATALOG).get(TABLE, DOC_ID)
    if found is None:
        with store.unit(CATALOG) as unit:
            found = unit.get(TABLE, DOC_ID)
            if found is None:
                found = unit.put(TABLE, {"id": DOC_ID, "key": secrets.token_hex(32)})
    return bytes.fromhex(str(found["key"]))


def tag(store: DataStore, purpose: str, text: str, length: int = 16) -> str:
    """HMAC-SHA256 of `text` for one `purpose`, as `length` hex digits."""
    mac = hmac.new(shop_secret(store), f"{purpose}:{text}".encode(), "sha256")
    return mac.hexdigest()[:length]
