"""The creator's own stylesheet (`shop set --css FILE.css`), served after the site's own.

Kept in the shop's identity document (`catalog`, table `shop`: `css`, `css_sha256`, `css_bytes`), so
backups keep it, both backends store it as they store the rest of the identity (PostgreSQL's documents
are JSONB: no migration), and every page cache keyed by the catalog's version drops its pages the
moment it changes. It is served at an address made from its hash (`/shop/custom-<16 hex>.css`), so
browsers may cache it for a year and a new stylesheet is a new URL on the next page; an old address
is a 404. Checked before it is stored (`custom_css_check`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from paidpdf.content import media
from paidpdf.errors import InvalidInput
from paidpdf.store import Doc

#: Hex characters of the SHA-256 in the file name: 64 bits, no collision between a shop's versions.
HASH_CHARS = 16
URL_PREFIX = "/shop/custom-"
_FILE_NAME = re.compile(rf"\Acustom-([0-9a-f]{{{HASH_CHARS}}})\.css\Z")
#: The identity's fields for "no stylesheet" (what `shop set --no-css` writes).
REMOVED: Doc = {"css": None, "css_sha256": None, "css_bytes": None}


def read_css_file(path: Path) -> Doc:
    """The identity fields for the stylesheet in `path`, checked; nothing is stored here."""
    from paidpdf.content.custom_css_check import MAX_BYTES, check_stylesheet  # tinycss2: only when used

    size = media.check_regular_file(path, "stylesheet")
    if size > MAX_BYTES:
        raise InvalidInput(f"stylesheet {path} is {size:,} bytes: a shop stylesheet may have at most "
                           f"{MAX_BYTES:,} (64 KB)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read stylesheet {path}: {exc.strerror}") from None
    text = check_stylesheet(data, source=str(path))
    body = text.encode("utf-8")
    return {"css": text, "css_sha256": hashlib.sha256(body).hexdigest(), "css_bytes": len(body)}


def url_of(identity: dict[str, Any]) -> str | None:
    """Where the pages link the stylesheet of this identity, or None when it has none."""
    digest = identity.get("css_sha256")
    return f"{URL_PREFIX}{digest[:HASH_CHARS]}.css" if digest else None


def served(stored: Doc | None, name: str) -> bytes | None:
    """The stylesheet's bytes when `name` (`custom-<hash>.css`) is the current one's in `stored` (the
    identity document as stored), else None."""
    wanted = _FILE_NAME.match(name)
    found = stored or {}
    digest, text = found.get("css_sha256"), found.get("css")
    if wanted is None or not digest or text is None or digest[:HASH_CHARS] != wanted.group(1):
        return None
    return str(text).encode("utf-8")
