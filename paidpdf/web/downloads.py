"""Downloads and covers: owner-only files and published images, each one `FileSource` answered once.

`GET/HEAD /content/<id>/download` asks `paidpdf.ownership.access` who may have the file; which file
comes only from the catalog's sha256 (`DataStore.files`, which validates the name before it becomes a
path or an object key), never from the request. A stamped item's source is the file's source wrapped
with the owner's tail (`content.stamped_source`); either way the answer is one `send_source` call
(`source_answers`: validators, Range, the download limit's hooks, a presigned redirect where the store
offers one). `Content-Disposition: attachment` with an RFC 6266 `filename*`, `Cache-Control: private`.
"""

from __future__ import annotations

from typing import Any

from paidpdf.content import stamp_templates, stamping, versions
from paidpdf.content.stamped_source import StampedSource
from paidpdf.errors import NotFound
from paidpdf.ownership import access, library
from paidpdf.store import SALES, Doc
from paidpdf.store.files.file_source import FileSource
from paidpdf.web import ranges
from paidpdf.web.context import WebContext
from paidpdf.web.download_ledger import Ledger
from paidpdf.web.request_fields import query, remote_addr
from paidpdf.web.source_answers import send_source

DOWNLOAD_CACHE = "private, max-age=0, must-revalidate"
COVER_CACHE = "public, max-age=31536000, immutable"
#: Look-inside pages can be taken down (`content edit --preview-pages 0`): caches keep them at most
#: five minutes, then ask again (a 304 while they are published, a 404 once they are not).
PREVIEW_CACHE = "public, max-age=300, must-revalidate"


def download(web: WebContext, item_id: str) -> Any:
    """The owner's file: the newest version, or `?version=N` (earlier versions stay theirs). Within
    the item's download limit, reserved before the bytes are sent; every answer that ends is
    accounted for (`download_ledger`)."""
    return send_download(web, web.visitor.current_user(), item_id)


def send_download(web: WebContext, user: Doc | None, item_id: str) -> Any:
    """`user`'s file of the item, as `download` answers it (the guest's order-scoped link reuses it
    for the account its order went to)."""
    item = access.downloadable_item(web.store, user, item_id)
    assert user is not None  # downloadable_item refuses anonymous readers
    chosen = versions.get(item, versions.parse_number(query("version") or None))
    number = int(chosen["version"])
    source = download_source(web, user, item, chosen)
    disposition = ranges.content_disposition(str(chosen.get("filename") or f"{item['id']}.pdf"))
    ledger = Ledger(web, item, user["id"], number, remote_addr())
    try:
        return send_source(
            source, cache_control=DOWNLOAD_CACHE, disposition=disposition, redirect_ok=True,
            admit=ledger.admit, finished=ledger.finished,
        )
    except BaseException:  # a refusal reserved nothing; a failure after the reservation gives it back
        ledger.abandon()
        raise


def download_source(web: WebContext, user: Doc, item: Doc, chosen: dict[str, Any]) -> FileSource:
    """The version's file in the shop's store (its size from the catalog), stamped for `user` when
    the item is stamped."""
    sha256, number = str(chosen["sha256"]), int(chosen["version"])
    known = chosen["size"] if isinstance(chosen.get("size"), int) else None
    source = web.store.files.content(sha256, version=number, size=known)
    if item.get("stamp"):
        return StampedSource(source, stamped_tail(web, user, item, sha256, number))
    return source


def stamped_tail(web: WebContext, user: Doc, item: Doc, sha256: str, version: int) -> bytes:
    """This owner's tail for a stamped item: the order that bought it names them, or (free, granted)
    their account."""
    entry = library.entry(web.store.view(SALES), user["id"], item["id"]) or {}
    order_id = entry.get("order_id") if entry.get("source") == "bought" else None
    ident = stamping.identifier(web.store, str(order_id or user["id"]), version)
    text = stamping.stamp_text(str(user["email"]), order_id, ident)
    return stamping.fill(stamp_templates.template(web.store, sha256), text)


def cover(web: WebContext, name: str) -> Any:
    """A cover, look-inside page or logo the catalog names now (`access.published_images`): one
    taken down is a 404 at once, whatever validator the client sends."""
    if not access.valid_cover_name(name):
        raise NotFound("no such cover")
    kind = web.published_images.kind(name)
    if kind is None:
        raise NotFound("no such cover")
    cache = COVER_CACHE if kind == access.COVER else PREVIEW_CACHE
    return send_source(web.store.files.cover(name), cache_control=cache)
