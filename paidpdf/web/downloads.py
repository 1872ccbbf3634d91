"""Downloads and covers: owner-only files, streamed with flat memory, resumable.

`GET/HEAD /content/<id>/download` asks `paidpdf.ownership.access` who may have the file; the path on disk
comes only from the catalog's sha256 (`blobs.content_path` under the store's own folder), never from the
request. Serving is hand-written
(see `ranges` for why not `bottle.static_file`):

- whole files are handed to the server's `wsgi.file_wrapper`, so waitress sends them from its I/O
  loop and a slow reader holds no worker thread and no memory beyond a socket buffer;
- a single range is also handed to waitress's file wrapper (it honours Content-Length, so it sends
  exactly the range); on other servers a range is a generator of 256 KiB chunks;
- strong ETag per file version, If-None-Match → 304, If-Range, 416 with `bytes */size`,
  `Content-Disposition: attachment` with an RFC 6266 `filename*`, `Cache-Control: private`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from typing import Any

from paidpdf.content import stamp_templates, stamping, versions
from paidpdf.errors import NotFound
from paidpdf.ownership import access, library
from paidpdf.store import SALES, Doc
from paidpdf.store.files import blobs
from paidpdf.web import file_answers, ranges, stamped_files
from paidpdf.web.context import WebContext
from paidpdf.web.download_ledger import Ledger
from paidpdf.web.download_records import TrackedFile, chunks
from paidpdf.web.object_downloads import send_object
from paidpdf.web.request_fields import query, remote_addr

DOWNLOAD_CACHE = "private, max-age=0, must-revalidate"
COVER_CACHE = "public, max-age=31536000, immutable"
#: Look-inside pages can be taken down (`content edit --preview-pages 0`): caches keep them at most
#: five minutes, then ask again (a 304 while they are published, a 404 once they are not).
PREVIEW_CACHE = "public, max-age=300, must-revalidate"
_COVER_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}

log = logging.getLogger("paidpdf.web")


def send_file(
    path: Path,
    *,
    content_type: str,
    etag: str,
    cache_control: str,
    disposition: str | None = None,
    what: str = "file",
    finished: file_answers.Finished | None = None,
    admit: file_answers.Admit | None = None,
) -> Any:
    """Answer GET/HEAD for one file with validators, ranges and flat memory; `admit` is asked before
    any header is set, `finished(body, size, sent)` runs once the body is over (`download_ledger`)."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        log.error("%s missing or unreadable at %s: %s", what, path, exc.strerror)
        raise NotFound(f"this {what} is not available right now") from None
    try:
        st = os.fstat(handle.fileno())
        body = file_answers.plan(
            st.st_size, etag=etag, last_modified=formatdate(st.st_mtime, usegmt=True),
            cache_control=cache_control, content_type=content_type, disposition=disposition, admit=admit,
        )
        if body is None:
            handle.close()
            return b""
        if body.start:
            handle.seek(body.start)
        if finished is None:
            ended: Callable[[int], None] = lambda sent: None  # noqa: E731
        else:
            ended = lambda sent: finished(body, st.st_size, sent)  # noqa: E731
        if not body.partial or file_answers.server_bounds_file_wrapper():
            if finished is None:
                return handle  # Bottle hands it to wsgi.file_wrapper
            return TrackedFile(handle, body.start, body.length, ended)
        return chunks(handle, body.length, ended)
    except BaseException:
        handle.close()
        raise


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
    sha256 = str(chosen["sha256"])
    blobs.content_path(web.store.root, sha256)  # validates the name before it becomes a key
    ledger = Ledger(web, item, user["id"], number, remote_addr())
    try:
        return _send(web, user, item, chosen, ledger)
    except BaseException:  # a refusal reserved nothing; a failure after the reservation gives it back
        ledger.abandon()
        raise


def _send(web: WebContext, user: Doc, item: Doc, chosen: dict[str, Any], ledger: Ledger) -> Any:
    sha256, number = str(chosen["sha256"]), int(chosen["version"])
    etag = ranges.etag_for(sha256, number)
    disposition = ranges.content_disposition(str(chosen.get("filename") or f"{item['id']}.pdf"))
    key = f"{blobs.CONTENT_DIR}/{sha256}"
    if item.get("stamp"):
        tail = stamped_tail(web, user, item, sha256, number)
        etag = stamped_files.stamped_etag(sha256, number, tail)
        if web.store.objects is not None:
            return stamped_files.send_stamped_object(
                web.store.objects, key, tail, etag=etag, cache_control=DOWNLOAD_CACHE,
                disposition=disposition, finished=ledger.finished, admit=ledger.admit,
            )
        return stamped_files.send_stamped(
            blobs.content_path(web.store.root, sha256), tail, etag=etag, cache_control=DOWNLOAD_CACHE,
            disposition=disposition, finished=ledger.finished, admit=ledger.admit,
        )
    if web.store.objects is not None:
        return send_object(
            web.store.objects, key, content_type="application/pdf", etag=etag, cache_control=DOWNLOAD_CACHE,
            disposition=disposition, finished=ledger.finished, admit=ledger.admit,
            known_size=int(chosen["size"]) if isinstance(chosen.get("size"), int) else None,
        )
    return send_file(
        blobs.content_path(web.store.root, sha256),  # the folder the catalog row came from
        content_type="application/pdf", etag=etag, cache_control=DOWNLOAD_CACHE, disposition=disposition,
        what="download", finished=ledger.finished, admit=ledger.admit,
    )


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
    if web.store.objects is not None:
        kind = _COVER_TYPES[name.rsplit(".", 1)[1]]
        return send_object(
            web.store.objects, f"{blobs.COVERS_DIR}/{name}", content_type=kind,
            etag=f'"{name.split(".")[0][:32]}"', cache_control=cache,
        )
    return send_file(
        blobs.cover_path(web.store.root, name),
        content_type=_COVER_TYPES[name.rsplit(".", 1)[1]],
        etag=f'"{name.split(".")[0][:32]}"',
        cache_control=cache,
        what="cover",
    )
