"""The shop's identity: its name, tagline, about text, accent colour, logo, own stylesheet and default
language.

Stored as one document beside the items (`catalog` file, table `shop`), so it is backed up with the
catalog and every server sees a change on its next request: nothing to restart. Everything is checked
before it is written (a logo is re-encoded like a cover, so only a real PNG, JPEG or WebP is ever
served; a stylesheet is checked by `custom_css_check`); a shop never set up has sensible defaults.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from paidpdf import languages
from paidpdf.clock import now_iso
from paidpdf.content import custom_css, media
from paidpdf.content.item_text import check_description, check_line, read_description_file
from paidpdf.errors import InvalidInput, StorageError
from paidpdf.store import CATALOG, DataStore, Doc
from paidpdf.store.files import blobs, object_files

TABLE = "shop"
DOC_ID = "identity"
MAX_NAME = 80
MAX_TAGLINE = 200
DEFAULT_ACCENT = "#2b59c3"
_ACCENT_RE = re.compile(r"\A#[0-9a-fA-F]{6}\Z")

#: What `shop show --json` prints, in this order (the stylesheet by hash and size: its text is a
#: document of its own, read only by its route: `custom_css`).
FIELDS = ("name", "tagline", "about", "accent", "logo", "css_sha256", "css_bytes", "locale", "updated_at")
DEFAULTS: dict[str, Any] = {
    "name": "PDF shop", "tagline": "", "about": "", "accent": DEFAULT_ACCENT, "logo": None,
    "css_sha256": None, "css_bytes": None, "locale": languages.SOURCE, "updated_at": None,
}


def identity(store: DataStore) -> dict[str, Any]:
    """The shop's identity with defaults filled in (one in-memory lookup: cheap on every page)."""
    found = store.view(CATALOG).get(TABLE, DOC_ID) or {}
    return {name: found.get(name, DEFAULTS[name]) for name in FIELDS}


def identity_or_defaults(store: DataStore) -> dict[str, Any]:
    """`identity`, or the defaults when the catalog cannot be read: pages about that very error
    (the 500 page of a damaged catalog) must still render."""
    try:
        return identity(store)
    except StorageError:
        return dict(DEFAULTS)


def set_identity(
    store: DataStore,
    *,
    name: str | None = None,
    tagline: str | None = None,
    about_file: Path | None = None,
    accent: str | None = None,
    logo: Path | None = None,
    css: Path | None = None,
    no_css: bool = False,
    locale: str | None = None,
) -> dict[str, Any]:
    """Change the given parts of the identity; the rest stays. Nothing is written unless all are valid.
    `css` is the creator's stylesheet file; `no_css` removes the stylesheet."""
    if css is not None and no_css:
        raise InvalidInput("choose one of --css and --no-css")
    sheet = custom_css.read_css_file(Path(css)) if css is not None else None
    changes: Doc = custom_css.identity_fields(sheet) if sheet is not None or no_css else {}
    if name is not None:
        changes["name"] = check_line(name, "shop name", MAX_NAME)
    if tagline is not None:
        changes["tagline"] = check_line(tagline, "tagline", MAX_TAGLINE) if tagline.strip() else ""
    if about_file is not None:
        changes["about"] = check_description(read_description_file(about_file))
    if accent is not None:
        if not _ACCENT_RE.match(accent.strip()):
            raise InvalidInput(f"accent must be a colour like #2b59c3, not {accent.strip()[:20]!r}")
        changes["accent"] = accent.strip().lower()
    if locale is not None:
        changes["locale"] = languages.check_locale(locale)  # the site's and mails' default language
    image = media.check_cover(Path(logo)) if logo is not None else None
    if not changes and image is None:
        raise InvalidInput(
            "nothing to change: give --name, --tagline, --about-file, --accent, --logo, --css, --no-css"
            " or --locale"
        )
    if image is not None:
        changes["logo"] = blobs.store_cover(store.root, image.data, image.ext)
        object_files.publish(store, [f"{blobs.COVERS_DIR}/{changes['logo']}"])
    with store.unit(CATALOG) as unit:
        if sheet is not None or no_css:
            custom_css.write(unit, sheet)
        current = unit.get(TABLE, DOC_ID) or {"id": DOC_ID}
        unit.put(TABLE, {**current, **changes, "updated_at": now_iso()})
    return identity(store)
