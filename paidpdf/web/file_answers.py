"""The headers and status of a file's answer, shared by files on disk and objects in a bucket.

Both answer GET and HEAD the same way: validators (`ETag`, `Last-Modified`), `If-None-Match` → 304,
`If-Range` + `Range` → 206 with `Content-Range` (or 416), otherwise 200; only where the bytes come from
differs (`downloads.send_file`, `object_downloads.send_object`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bottle import request, response

from paidpdf.web import ranges
from paidpdf.web.request_fields import raw_header


@dataclass(frozen=True)
class Body:
    """Which bytes to send: `length` bytes from `start`; `partial` for a 206."""

    start: int
    length: int
    partial: bool


def plan(
    size: int,
    *,
    etag: str,
    last_modified: str,
    cache_control: str,
    content_type: str,
    disposition: str | None = None,
) -> Body | None:
    """Set the answer's headers and status for a file of `size` bytes; None when no body follows
    (304 Not Modified, 416, a HEAD request, an empty file)."""
    response.set_header("ETag", etag)
    response.set_header("Last-Modified", last_modified)
    response.set_header("Cache-Control", cache_control)
    response.set_header("Accept-Ranges", "bytes")
    response.content_type = content_type
    if disposition:
        response.set_header("Content-Disposition", disposition)
    if ranges.none_match(raw_header("If-None-Match"), etag):
        response.status = 304
        return None
    wanted: ranges.ByteRange | None = None
    if ranges.if_range_allows(raw_header("If-Range"), etag, last_modified):
        try:
            wanted = ranges.parse_range(raw_header("Range"), size)
        except ranges.Unsatisfiable:
            response.status = 416
            response.set_header("Content-Range", f"bytes */{size}")
            response.content_type = "text/plain; charset=utf-8"
            return None
    if wanted is None:
        response.status = 200
        response.set_header("Content-Length", str(size))
        body = Body(0, size, partial=False)
    else:
        response.status = 206
        response.set_header("Content-Range", wanted.content_range(size))
        response.set_header("Content-Length", str(wanted.length))
        body = Body(wanted.start, wanted.length, partial=True)
    if request.method == "HEAD" or body.length == 0:
        return None
    return body


def server_bounds_file_wrapper() -> bool:
    """True when `wsgi.file_wrapper` sends no more than Content-Length bytes (waitress does), so a
    range can be handed to it too."""
    wrapper = request.environ.get("wsgi.file_wrapper")
    return str(getattr(wrapper, "__module__", "")).startswith("waitress.")
