"""Downloads and covers served from the object store (`PAIDPDF_FILES_URL`), after the same checks.

`redirect` (the default): a 303 to a presigned GET valid for 5 minutes that answers with the file's
Content-Disposition and type, so the bytes go from the object store to the reader and never through
Python; resumes (Range) are the object store's. `proxy`: the shop streams the object itself, with the
same validators and Range semantics as a local file (`downloads.send_file`). Covers are always
proxied: they are small, public and cached for a year under their content hash.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bottle import redirect, request, response

from paidpdf.store.object_files import ObjectFiles
from paidpdf.web import ranges
from paidpdf.web.request_fields import raw_header

#: Objects are immutable (named by content hash), so their validator never changes.
LAST_MODIFIED = "Thu, 01 Jan 2026 00:00:00 GMT"


def send_object(
    objects: ObjectFiles,
    rel: str,
    *,
    content_type: str,
    etag: str,
    cache_control: str,
    disposition: str | None = None,
) -> Any:
    """Answer GET/HEAD for one object: a presigned redirect, or the bytes streamed (see the module)."""
    if objects.downloads == "redirect" and disposition is not None:
        response.set_header("Cache-Control", "no-store")
        redirect(objects.presigned(rel, disposition=disposition, content_type=content_type), 303)
    size = objects.size(rel)
    response.set_header("ETag", etag)
    response.set_header("Last-Modified", LAST_MODIFIED)
    response.set_header("Cache-Control", cache_control)
    response.set_header("Accept-Ranges", "bytes")
    response.content_type = content_type
    if disposition:
        response.set_header("Content-Disposition", disposition)
    if ranges.none_match(raw_header("If-None-Match"), etag):
        response.status = 304
        return b""
    wanted: ranges.ByteRange | None = None
    if ranges.if_range_allows(raw_header("If-Range"), etag, LAST_MODIFIED):
        try:
            wanted = ranges.parse_range(raw_header("Range"), size)
        except ranges.Unsatisfiable:
            response.status = 416
            response.set_header("Content-Range", f"bytes */{size}")
            response.content_type = "text/plain; charset=utf-8"
            return b""
    if wanted is None:
        response.set_header("Content-Length", str(size))
        start, length = 0, size
    else:
        response.status = 206
        response.set_header("Content-Range", wanted.content_range(size))
        response.set_header("Content-Length", str(wanted.length))
        start, length = wanted.start, wanted.length
    if request.method == "HEAD" or length == 0:
        return b""
    return _stream(objects, rel, start, length)


def _stream(objects: ObjectFiles, rel: str, start: int, length: int) -> Iterator[bytes]:
    yield from objects.read(rel, start, length)
