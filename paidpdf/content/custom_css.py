"""The creator's own stylesheet (`shop set --css FILE.css`), served after the site's own.

Its text is a document of its own beside the identity (`catalog`, table `shop`, id `stylesheet`, like
`shop_secret`), read only by its route: every page reads the identity, which carries just its hash and
size (`css_sha256`, `css_bytes`), so a page on PostgreSQL never pulls 64 KB of CSS from the database.
Both are written in one unit, so they always agree; both backends store them like any document (JSONB
on PostgreSQL: no migration); backups keep them; and every page cache keyed by the catalog's version
drops its pages the moment the stylesheet changes. It is served at an address made from its hash
(`/shop/custom-<16 hex>.css`), so browsers may cache it for a year and a new stylesheet is a new URL on
the next page; an old address is a 404. Checked before anything is stored (`custom_css_check`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paidpdf.content import media
from paidpdf.errors import InvalidInput
from paidpdf.store import CATALOG, DataStore, Doc, Unit

TABLE = "shop"
DOC_ID = "stylesheet"
#: Hex characters of the SHA-256 in the file name: 64 bits, no collision between a shop's versions.
HASH_CHARS = 16
URL_PREFIX = "/shop/custom-"
_FILE_NAME = re.compile(rf"\Acustom-([0-9a-f]{{{HASH_CHARS}}})\.css\Z")


@dataclass(frozen=True)
class Stylesheet:
    """A checked stylesheet, not yet stored."""

    text: str
    sha256: str
    size: int


def read_css_file(path: Path) -> Stylesheet:
    """The stylesheet in `path`, checked (`InvalidInput` naming the line and column otherwise)."""
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
    return Stylesheet(text, hashlib.sha256(body).hexdigest(), len(body))


def identity_fields(sheet: Stylesheet | None) -> Doc:
    """What the identity document says about `sheet` (None: the shop has no stylesheet)."""
    return {"css_sha256": sheet.sha256 if sheet else None, "css_bytes": sheet.size if sheet else None}


def write(unit: Unit, sheet: Stylesheet | None) -> None:
    """Store `sheet` as the shop's stylesheet, or remove it (None), in the caller's unit of `catalog`."""
    if sheet is None:
        unit.delete(TABLE, DOC_ID)
    else:
        unit.put(TABLE, {"id": DOC_ID, "css": sheet.text, "sha256": sheet.sha256})


def url_of(identity: dict[str, Any]) -> str | None:
    """Where the pages link the stylesheet of this identity, or None when it has none."""
    digest = identity.get("css_sha256")
    return f"{URL_PREFIX}{digest[:HASH_CHARS]}.css" if digest else None


def served(store: DataStore, name: str) -> bytes | None:
    """The stylesheet's bytes when `name` (`custom-<hash>.css`) is the current one's, else None."""
    wanted = _FILE_NAME.match(name)
    if wanted is None:
        return None
    found = store.view(CATALOG).get(TABLE, DOC_ID) or {}
    digest, text = found.get("sha256"), found.get("css")
    if not digest or text is None or str(digest)[:HASH_CHARS] != wanted.group(1):
        return None
    return str(text).encode("utf-8")
