"""The download log: each owner download that completes, and the optional per-item download limit.

Why: a creator who sees one account fetch a book 400 times from 60 addresses has found a leak; a
reader who says "the file never arrived" can be shown that it did. One record per completed download
in the `downloads` table of `sales` (item, version, time, bytes, resumed or not, and the client
address as a keyed hash, so the log names no address). "Completed" means the answer's last byte was
handed to the connection; a resumed download is one request that finishes a file, so a reader who
resumes twice still downloaded once.

A limit (`content edit --download-limit N`) counts, per owner and version, the downloads that reached
the end of the file since the owner's last reset (`reset`, kept on the library entry), so parallel
range requests of one download count once. A limit that is reached refuses new requests with
`DownloadLimitReached`; the range request that finishes a download already under way is still served.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from paidpdf.clock import now_iso
from paidpdf.content.shop_secret import tag
from paidpdf.errors import AccessDenied, NotFound
from paidpdf.ownership import library
from paidpdf.store import SALES, DataStore, Doc, View

DOWNLOADS = "downloads"


class DownloadLimitReached(AccessDenied):
    """The owner has used every download this item allows for this version."""


@dataclass(frozen=True)
class Delivery:
    """One answer that was sent: which bytes of which version's file, to whom."""

    user_id: str
    content_id: str
    version: int
    start: int
    length: int
    size: int
    client: str


def record(store: DataStore, sent: Delivery) -> Doc:
    """Log a completed answer (called when its last byte was handed on)."""
    doc: Doc = {
        "id": f"dl_{secrets.token_hex(8)}",
        "user_id": sent.user_id,
        "content_id": sent.content_id,
        "version": sent.version,
        "at": now_iso(),
        "bytes": sent.length,
        "resumed": sent.start > 0,
        "to_end": sent.start + sent.length >= sent.size,
        "client": tag(store, "client", sent.client) if sent.client else "",
    }
    with store.unit(SALES) as unit:  # `put`, not `insert`: a fresh random id, nothing to check first
        return unit.put(DOWNLOADS, doc)


def for_user(view: View, user_id: str, content_id: str | None = None) -> list[Doc]:
    """A reader's downloads, oldest first (of one item with `content_id`)."""
    rows = view.find(DOWNLOADS, "user_id", user_id)
    if content_id is not None:
        rows = [r for r in rows if r.get("content_id") == content_id]
    return sorted(rows, key=lambda r: (r.get("at") or "", r["id"]))


def for_item(view: View, content_id: str) -> list[Doc]:
    return view.find(DOWNLOADS, "content_id", content_id)


def used(view: View, user_id: str, content_id: str, version: int) -> int:
    """Downloads of one version that count against a limit: those that reached the end of the file
    since the owner's last reset."""
    entry = library.entry(view, user_id, content_id) or {}
    since = str(entry.get("downloads_reset_at") or "")
    return sum(
        1 for r in for_user(view, user_id, content_id)
        if r.get("version") == version and r.get("to_end") and str(r.get("at") or "") > since
    )


def enforce(view: View, item: Doc, user_id: str, version: int) -> None:
    """`DownloadLimitReached` when the item has a limit and this owner used it up for `version`."""
    limit = item.get("download_limit")
    if isinstance(limit, int) and limit > 0 and used(view, user_id, item["id"], version) >= limit:
        raise DownloadLimitReached(
            f"you have downloaded version {version} of this item {limit} time(s), as many as the shop "
            "allows; ask the shop to reset your downloads if you need it again"
        )


def reset(store: DataStore, user_id: str, content_id: str) -> Doc:
    """Let an owner download an item again as if new (`users reset-downloads`)."""
    with store.unit(SALES) as unit:
        entry = library.entry(unit, user_id, content_id)
        if entry is None or entry.get("revoked_at") is not None:
            raise NotFound(f"this reader does not own {content_id!r}")
        return unit.put(library.LIBRARY, {**entry, "downloads_reset_at": now_iso()})
