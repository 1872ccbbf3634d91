"""API keys (`paidpdf api-keys`): bearer tokens for the creator API, stored only as keyed hashes.

A token is `ppk_<id>_<secret>`. The id finds the stored key; the whole token's HMAC-SHA256 under the
shop's own secret (`content.shop_secret`) is compared in constant time. So a copy of the data (a
backup, a database dump) does not hold a usable token, and the shop secret alone does not make one.
The token is shown once, when it is made. Keys live in `accounts`, beside the readers' sessions.
"""

from __future__ import annotations

import hmac
import secrets

from paidpdf.clock import now_iso
from paidpdf.content.shop_secret import shop_secret
from paidpdf.errors import AuthRequired, InvalidInput, NotFound
from paidpdf.store import ACCOUNTS, DataStore, Doc

API_KEYS = "api_keys"
PREFIX = "ppk_"


def _hash(secret: bytes, token: str) -> str:
    return hmac.new(secret, f"api-key:{token}".encode(), "sha256").hexdigest()


def add(store: DataStore, name: str, *, read_only: bool = False) -> tuple[Doc, str]:
    """A new key: (its stored record, the token to show once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("give the key a name of 1 to 100 characters (what uses it)")
    key_id = secrets.token_hex(6)
    token = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    doc: Doc = {
        "id": key_id,
        "name": name,
        "read_only": read_only,
        "hash": _hash(shop_secret(store), token),
        "created_at": now_iso(),
        "revoked_at": None,
    }
    with store.unit(ACCOUNTS) as unit:
        unit.insert(API_KEYS, doc)
    return doc, token


def public(doc: Doc) -> Doc:
    """The key as listed: never its hash."""
    return {
        "id": doc["id"],
        "name": doc["name"],
        "access": "read-only" if doc.get("read_only") else "full",
        "created_at": doc.get("created_at"),
        "revoked_at": doc.get("revoked_at"),
    }


def list_keys(store: DataStore) -> list[Doc]:
    rows = store.view(ACCOUNTS).all(API_KEYS)
    return [public(d) for d in sorted(rows, key=lambda d: (d.get("created_at") or "", d["id"]))]


def revoke(store: DataStore, key_id: str) -> Doc:
    """Revoke a key: every later call with its token gets 401. Revoking twice changes nothing."""
    with store.unit(ACCOUNTS) as unit:
        doc = unit.get(API_KEYS, key_id.strip())
        if doc is None:
            raise NotFound(f"no API key {key_id!r} (see `paidpdf api-keys list`)")
        if not doc.get("revoked_at"):
            doc = unit.put(API_KEYS, {**doc, "revoked_at": now_iso()})
    return public(doc)


def authenticate(store: DataStore, token: str) -> Doc:
    """The live key a bearer token belongs to, else `AuthRequired` (one message for every failure)."""
    refused = AuthRequired("a valid API key is required: Authorization: Bearer ppk_...")
    if not token.startswith(PREFIX) or len(token) > 200:
        raise refused
    key_id, _, rest = token[len(PREFIX) :].partition("_")
    doc = store.view(ACCOUNTS).get(API_KEYS, key_id) if key_id and rest else None
    expected = doc["hash"] if doc is not None else "0" * 64
    given = _hash(shop_secret(store), token)
    if not hmac.compare_digest(expected, given) or doc is None or doc.get("revoked_at"):
        raise refused
    return doc
