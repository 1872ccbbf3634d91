"""Private feed links: the secret in `/feeds/<token>/...` that lets a reader's apps (KOReader, Calibre,
a podcast app) fetch their library without logging in.

Why a separate secret, not the session: apps cannot log in or keep cookies, and a feed link is pasted
into apps, synced to other devices and sometimes shared by mistake, so it must be revocable on its own
("Reset my feed link") without logging the reader out anywhere.

How it is kept: a row per reader in `feed_tokens` of `accounts.json` holds a random `seed`; the token
is HMAC(secret key, seed), and the row's id is HMAC(secret key, token), a keyed hash of the token.
A request's token is found by computing that hash and looking the row up by id (one indexed get, no
scan over tokens; the id is then compared with `hmac.compare_digest`). The token itself is never
stored, so a copy of the data folder without the shop's secret key (`PAIDPDF_SECRET_KEY`) opens no
feed; the seed lets the library page show the reader their link again on every visit. Resetting
replaces the row in one unit: the old token's hash names nothing any more, so its feeds and file links
answer 404 at once, on every server. A disabled account's feed answers 404 too, and taking an
account back by a mailed link (a password its owner never set ends, `sign_in_links`) ends its feed
link: whoever set that password may have made it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from paidpdf.accounts.records import ACCOUNTS, USERS, moment_or_now
from paidpdf.clock import iso
from paidpdf.errors import NotFound
from paidpdf.store import DataStore, Doc, Unit, View

FEED_TOKENS = "feed_tokens"
#: Tokens are 43 characters of URL-safe base64 (256 bits); anything else is refused before hashing.
TOKEN_LENGTH = 43


def _mac(key: bytes, purpose: bytes, value: str) -> bytes:
    return hmac.new(key, purpose + value.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def token_of(key: bytes, seed: str) -> str:
    """The feed token a row's seed stands for (the shop's secret key makes it; the seed alone does not)."""
    return base64.urlsafe_b64encode(_mac(key, b"feed-token:", seed)).decode("ascii").rstrip("=")


def token_digest(key: bytes, token: str) -> str:
    """The keyed hash a token is stored and looked up under."""
    return _mac(key, b"feed-lookup:", token).hex()


def current_token(view: View, key: bytes, user_id: str) -> str | None:
    """The reader's working feed token, or None when they have none yet (or it was made with another
    secret key: then it opens nothing and the library offers a new one)."""
    for row in view.find(FEED_TOKENS, "user_id", user_id):
        token = token_of(key, str(row.get("seed") or ""))
        if hmac.compare_digest(str(row["id"]), token_digest(key, token)):
            return token
    return None


def reset(store: DataStore, key: bytes, user_id: str, *, now: datetime | None = None) -> str:
    """Give the reader a new feed token (their first, or in place of the old one, which stops working
    in the same unit); returns it."""
    seed = secrets.token_urlsafe(32)
    token = token_of(key, seed)
    with store.unit(ACCOUNTS) as unit:
        if unit.get(USERS, user_id) is None:
            raise NotFound(f"no user {user_id!r}")
        for row in unit.find(FEED_TOKENS, "user_id", user_id):
            unit.delete(FEED_TOKENS, row["id"])
        unit.put(FEED_TOKENS, {
            "id": token_digest(key, token), "user_id": user_id, "seed": seed,
            "created_at": iso(moment_or_now(now)),
        })
    return token


def end(unit: Unit, user_id: str) -> int:
    """End the reader's feed link inside a unit that takes the account back from whoever had it
    (`sign_in_links`: a password the address's owner never set); returns how many ended."""
    rows = unit.find(FEED_TOKENS, "user_id", user_id)
    for row in rows:
        unit.delete(FEED_TOKENS, row["id"])
    return len(rows)


def feed_user(store: DataStore, key: bytes, token: str) -> Doc | None:
    """The enabled reader whose feed `token` opens, or None (malformed, unknown, reset, account gone
    or disabled). Read-only: one view, two lookups by id."""
    if len(token) != TOKEN_LENGTH or not token.isascii():
        return None
    digest = token_digest(key, token)
    view = store.view(ACCOUNTS)
    row = view.get(FEED_TOKENS, digest)
    if row is None or not hmac.compare_digest(str(row["id"]), digest):
        return None
    user = view.get(USERS, str(row["user_id"]))
    if user is None or user.get("disabled"):
        return None
    return user
