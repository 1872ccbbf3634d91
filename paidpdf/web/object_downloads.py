"""Downloads and covers served from the object store (`PAIDPDF_FILES_URL`), after the same checks.

`redirect` (the default): a 303 to a presigned GET valid for 5 minutes that answers with the file's
Content-Disposition and type, so the bytes go from the object store to the reader and never through
Python; resumes (Range) are the object store's. `proxy`: the shop streams the object itself, with the
same validators and Range semantics as a local file (`downloads.send_file`). Covers are always
proxied: they are small, public and cached for a year under their content hash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from bottle import redirect, request, response

from paidpdf.store.object_files import ObjectFiles
from paidpdf.web import file_answers

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
    finished: Callable[[file_answers.Body, int], None] | None = None,
    known_size: int | None = None,
) -> Any:
    """Answer GET/HEAD for one object: a presigned redirect, or the bytes streamed (see the module).
    `finished(body, size)` runs when a streamed body was sent whole, or, for a redirect (the bytes
    then never pass here), when the reader is sent to the object store."""
    if objects.downloads == "redirect" and disposition is not None:
        response.set_header("Cache-Control", "no-store")
        url = objects.presigned(rel, disposition=disposition, content_type=content_type)
        if finished is not None and request.method == "GET":  # the size from the catalog: no round trip
            size = known_size if known_size is not None else objects.size(rel)
            finished(file_answers.Body(0, size, partial=False), size)
        redirect(url, 303)
    size = objects.size(rel)
    body = file_answers.plan(
        size, etag=etag, last_modified=LAST_MODIFIED, cache_control=cache_control,
        content_type=content_type, disposition=disposition,
    )
    if body is None:
        return b""
    return _stream(objects, rel, body, size, finished)


def _stream(
    objects: ObjectFiles, rel: str, body: file_answers.Body, size: int,
    finished: Callable[[file_answers.Body, int], None] | None,
) -> Iterator[bytes]:
    yield from objects.read(rel, body.start, body.length)
    if finished is not None:
        finished(body, size)
