"""Keys sold elsewhere, kept sealed so their owners can see them again: AES-256-GCM under a key derived
from the shop secret, the key's hash as associated data (a sealed key copied onto another record does
not open). Issued keys need none of this: they are derived again (`keys.derive`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography (~6 MB) loads with the first key sealed or opened, not in every server
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _cipher(secret: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(hmac.new(secret, b"license-seal", hashlib.sha256).digest())


def seal(secret: bytes, key: str, key_hash: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher(secret).encrypt(nonce, key.encode(), key_hash.encode())
    return base64.b64encode(nonce + sealed).decode()


def unseal(secret: bytes, sealed: str, key_hash: str) -> str | None:
    """The key, or None when the record does not open (another shop's secret, a tampered record)."""
    from cryptography.exceptions import InvalidTag

    try:
        raw = base64.b64decode(sealed)
        return _cipher(secret).decrypt(raw[:12], raw[12:], key_hash.encode()).decode()
    except (InvalidTag, ValueError):
        return None
