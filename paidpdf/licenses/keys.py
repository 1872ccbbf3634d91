"""What a license key is: its text, the keyed hash it is stored and found under, and its display prefix.

A key the shop issues is never stored: it is derived as HMAC(shop secret, "license-key:" + reader id +
":" + item id), so the owner's library page and receipt can show it again at any time, on every server,
after a restore, and it is the same key however often (and wherever) the grant is replayed. What is
stored is `key_hash`: HMAC(shop secret, "license-hash:" + the key upper-cased), the id the key is looked
up by, so a copy of the data (a backup, a database dump) holds no usable key, and a lookup compares
digests of equal length whether the key exists or not. Keys sold elsewhere cannot be derived: they are
sealed with a key derived from the same secret (`sealing`).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

#: Key formats: Gumroad's four groups of eight upper-case hex digits, or a lower-case UUID (Lemon Squeezy).
FORMATS = ("gumroad", "uuid")
DEFAULT_FORMAT = "gumroad"
#: Characters of a key kept for display (`licenses list`): enough to tell keys apart, useless to verify.
PREFIX_LENGTH = 8
#: The longest key accepted anywhere (Payhip allows sellers' own keys of up to 100 characters).
MOST_CHARS = 100


def check_format(name: str) -> str:
    from paidpdf.errors import InvalidInput

    if name not in FORMATS:
        raise InvalidInput(f"--key-format must be one of {', '.join(FORMATS)}, got {name!r}")
    return name


def derive(secret: bytes, user_id: str, item_id: str, key_format: str = DEFAULT_FORMAT) -> str:
    """The key of (reader, item): the same on every call, unguessable without the shop secret."""
    raw = hmac.new(secret, f"license-key:{user_id}:{item_id}".encode(), hashlib.sha256).digest()[:16]
    if key_format == "uuid":
        return str(uuid.UUID(bytes=raw, version=4))
    text = raw.hex().upper()
    return "-".join(text[i : i + 8] for i in range(0, 32, 8))


def normalise(key: str) -> str:
    """Keys match case-insensitively and without surrounding blanks (a pasted key keeps its newline)."""
    return key.strip().upper()


def key_hash(secret: bytes, key: str) -> str:
    """The id a key is stored and looked up under (64 hex digits, whatever the key's length)."""
    return hmac.new(secret, f"license-hash:{normalise(key)}".encode(), hashlib.sha256).hexdigest()


def prefix(key: str) -> str:
    return normalise(key)[:PREFIX_LENGTH]


def number(text: str) -> int:
    """A stable whole number for an id (Gumroad's `order_number`, Lemon Squeezy's numeric ids): 12 hex
    digits of its SHA-256, below 2**48 so JavaScript reads it exactly."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)
