"""Downloads and covers: owner-only files and published images, each one `FileSource` answered once.

`GET/HEAD /content/<id>/download` (the main file) and `/content/<id>/files/<key>` (any of the item's
files) ask `paidpdf.ownership.access` who may have the file; which file comes only from the
catalog's sha256 (`DataStore.files`, which validates the name before it becomes a path or an object
key), never from the request: the key only picks one of the item's own files. A stamped item's
source is wrapped by its format's stamper (`file_stamps`; formats without one are served plain);
either way the answer is one `send_source` call
(`source_answers`: validators, Range, the download limit's hooks, a presigned redirect where the store
offers one). `Content-Disposition: attachment` with an RFC 6266 `filename*`, `Cache-Control: private`.
"""

from __future__ import annotations

from typing import Any

from paidpdf.content import versions
from paidpdf.errors import NotFound
from paidpdf.languages import N_
from paidpdf.ownership import access
from paidpdf.store import Doc
from paidpdf.store.files.file_source import FileSource
from paidpdf.web import file_stamps, ranges
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
    """The owner's main file: the newest version, or `?version=N` of any of the item's files (the
    link every item had before items held several files; version numbers are unique in an item).
    Within the item's download limit, reserved before the bytes are sent; every answer that ends is
    accounted for (`download_ledger`)."""
    return send_download(web, web.visitor.current_user(), item_id)


def file_download(web: WebContext, item_id: str, key: str) -> Any:
    """One file of the item by its key (`/content/<id>/files/<key>`, `?version=N`): the library's
    download links and the source of its audio and video players (Range from the same route)."""
    return send_download(web, web.visitor.current_user(), item_id, key)


def send_download(web: WebContext, user: Doc | None, item_id: str, key: str | None = None) -> Any:
    """`user`'s file of the item, as `download` answers it (the guest's order-scoped link reuses it
    for the account its order went to)."""
    item = access.downloadable_item(web.store, user, item_id)
    assert user is not None  # downloadable_item refuses anonymous readers
    number_asked = versions.parse_number(query("version") or None)
    row, chosen = access.owned_file(web.store, user, item, key, number_asked)
    number = int(chosen["version"])
    source = download_source(web, user, item, row, chosen)
    fallback = "." + str(row.get("format") or "pdf")
    name = str(chosen.get("filename") or f"{item['id']}{fallback}")
    disposition = ranges.content_disposition(name, fallback)
    ledger = Ledger(web, item, user["id"], number, remote_addr(), str(row.get("key") or ""))
    try:
        return send_source(
            source, cache_control=DOWNLOAD_CACHE, disposition=disposition, redirect_ok=True,
            admit=ledger.admit, finished=ledger.finished,
        )
    except BaseException:  # a refusal reserved nothing; a failure after the reservation gives it back
        ledger.abandon()
        raise


def download_source(
    web: WebContext, user: Doc, item: Doc, row: dict[str, Any], chosen: dict[str, Any]
) -> FileSource:
    """The version's file in the shop's store (its size from the catalog, its media type from its
    format's checks), stamped for `user` when the item is stamped and the format has a stamper."""
    sha256, number = str(chosen["sha256"]), int(chosen["version"])
    known = chosen["size"] if isinstance(chosen.get("size"), int) else None
    media_type = str(row.get("media_type") or "") or None
    source = web.store.files.content(sha256, version=number, size=known, content_type=media_type)
    stamper = file_stamps.stamper_for(str(row.get("format") or "pdf"))
    if item.get("stamp") and stamper is not None:
        return stamper(web.store, user, item, source, sha256, number)
    return source


def cover(web: WebContext, name: str) -> Any:
    """A cover, look-inside page or logo the catalog names now (`access.published_images`): one
    taken down is a 404 at once, whatever validator the client sends."""
    if not access.valid_cover_name(name):
        raise NotFound(N_("no such cover"))
    kind = web.published_images.kind(name)
    if kind is None:
        raise NotFound(N_("no such cover"))
    cache = COVER_CACHE if kind == access.COVER else PREVIEW_CACHE
    return send_source(web.store.files.cover(name), cache_control=cache)
