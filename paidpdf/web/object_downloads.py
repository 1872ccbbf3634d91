"""Downloads and covers served from the object store (`PAIDPDF_FILES_URL`), after the same checks.

`redirect` (the default): a 303 to a presigned GET valid for 5 minutes that answers with the file's
Content-Disposition and type, so the bytes go from the object store to the reader and never through
Python; resumes (Range) are the object store's. A download limit reserves one whole copy before each
redirect (the shop never sees what the object store then sends: the signed address works for anyone
who holds it, any number of times and with any Range, until it expires); `proxy` counts bytes exactly.
`proxy`: the shop streams the object itself, with the
same validators and Range semantics as a local file (`downloads.send_file`). Covers are always
proxied: they are small, public and cached for a year under their content hash.
"""

from __future__ import annotations

from typing import Any

from bottle import redirect, request, response

from paidpdf.store.files.object_files import ObjectFiles
from paidpdf.web import file_answers
from paidpdf.web.download_records import CountedStream

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
    finished: file_answers.Finished | None = None,
    known_size: int | None = None,
    admit: file_answers.Admit | None = None,
) -> Any:
    """Answer GET/HEAD for one object: a presigned redirect, or the bytes streamed (see the module).
    `admit` is asked first (a redirect counts as the whole file); `finished(body, size, sent)` runs
    when a streamed body is over, or, for a redirect (the bytes then never pass here), when the reader
    is sent to the object store."""
    if objects.downloads == "redirect" and disposition is not None:
        url = objects.presigned(rel, disposition=disposition, content_type=content_type)
        if finished is not None or admit is not None:  # the size from the catalog: no round trip
            size = known_size if known_size is not None else objects.size(rel)
            whole = file_answers.Body(0, size, partial=False) if request.method == "GET" else None
            if admit is not None:
                admit(whole, size)
            if finished is not None and whole is not None:
                finished(whole, size, size)
        response.set_header("Cache-Control", "no-store")
        redirect(url, 303)
    size = objects.size(rel)
    body = file_answers.plan(
        size, etag=etag, last_modified=LAST_MODIFIED, cache_control=cache_control,
        content_type=content_type, disposition=disposition, admit=admit,
    )
    if body is None:
        return b""
    ended = (lambda sent: finished(body, size, sent)) if finished is not None else (lambda sent: None)
    return CountedStream(iter(objects.read(rel, body.start, body.length)), ended)
