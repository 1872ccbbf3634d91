"""Per-item delivery options: stamping each owner's copy, and a download limit per owner and version.

Kept apart from `catalog` (title, price, files) because they change how a file is delivered, not what
is sold: `content edit ID --stamp` turns stamping on without touching the file or its version.
"""

from __future__ import annotations

from typing import Any

from paidpdf.clock import now_iso
from paidpdf.content import catalog, format_stamps, item_files, stamp_templates, tax_codes
from paidpdf.content.catalog import CONTENT
from paidpdf.errors import InvalidInput, NotFound
from paidpdf.store import CATALOG, DataStore, Doc

MAX_DOWNLOAD_LIMIT = 10_000


def check_limit(limit: object) -> int | None:
    """A download limit from the CLI: a whole number from 1 to `MAX_DOWNLOAD_LIMIT`, or 0 for none."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= MAX_DOWNLOAD_LIMIT:
        raise InvalidInput(f"the download limit must be a whole number from 0 (none) to {MAX_DOWNLOAD_LIMIT}")
    return limit or None


def set_options(
    store: DataStore, item_id: str, *, stamp: bool | None = None, download_limit: int | None = None,
    stream_only: bool | None = None, tax_code: str | None = None,
) -> Doc:
    """Change the given options (None leaves one as it is); `download_limit=0` removes the limit.
    `stream_only` hides the download button of the item's videos (they play in the library; see
    docs/formats.md for what that does not prevent). `tax_code`: the item's Stripe product tax code
    (`tax_codes`; an empty one goes back to its format's default)."""
    changes: dict[str, Any] = {}
    if tax_code is not None:
        changes["tax_code"] = tax_codes.check_tax_code(tax_code) if tax_code.strip() else None
    if stream_only is not None:
        changes["stream_only"] = bool(stream_only)
    if stamp is not None:
        changes["stamp"] = bool(stamp)
    if download_limit is not None:
        changes["download_limit"] = check_limit(download_limit)
    if not changes:
        raise InvalidInput("nothing to change")
    if stamp:  # every version must take the stamp (and its template is ready) before it is switched on
        item = catalog.get_item(store, item_id)
        for sha256 in item_files.pdf_shas(item):
            stamp_templates.build(store, sha256)
        for file_format, sha256, name in item_files.stampable_versions(item):
            format_stamps.prepare(store, file_format, sha256, name)
    with store.unit(CATALOG) as unit:
        current = unit.get(CONTENT, item_id.strip().lower())
        if current is None:
            raise NotFound(f"no item {item_id!r} (see `paidpdf content list --all`)")
        if all(current.get(k) == v for k, v in changes.items()):
            return current
        return unit.put(CONTENT, item_files.normalized({**current, **changes, "updated_at": now_iso()}))
