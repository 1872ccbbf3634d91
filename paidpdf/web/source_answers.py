"""Answering GET/HEAD for any `FileSource`: a download, a stamped copy, a cover or a look-inside page.

One path for every kind of file and every store (see `paidpdf.store.file_source`):

- a download (`redirect=True`) whose source offers a presigned address (the object store in
  `PAIDPDF_S3_DOWNLOADS=redirect` mode) is a 303 there: the bytes go from the store to the reader and
  never through Python. A download limit reserves one whole copy before each redirect (the shop
  never sees what the store then sends: the signed address works for anyone who holds it, any number
  of times and with any Range, until it expires); the proxy mode counts bytes exactly;
- otherwise the source's validators and size decide the answer (`file_answers`: ETag, Last-Modified,
  If-None-Match → 304, If-Range + Range → 206 or 416), the `admit` hook is asked before any header
  is set, and only then are the bytes opened;
- a local file (a whole file, or a range on waitress, whose file wrapper honours Content-Length) is
  handed to the server's `wsgi.file_wrapper`, so waitress sends it from its I/O loop and a slow reader
  holds no worker thread and no memory beyond a socket buffer; a range on other servers is 256 KiB
  chunks, and a remote store's blocks are streamed by a worker;
- `finished(body, size, sent)` runs once the body is over (`download_ledger`, `download_records`).
"""

from __future__ import annotations

import functools
from typing import Any

from bottle import redirect, request, response

from paidpdf.store.file_source import FileSource, LocalFile
from paidpdf.web import file_answers
from paidpdf.web.download_records import CountedStream, TrackedFile, chunks
from paidpdf.web.file_answers import Admit, Finished


def send_source(
    source: FileSource,
    *,
    cache_control: str,
    disposition: str | None = None,
    redirect_ok: bool = False,
    admit: Admit | None = None,
    finished: Finished | None = None,
) -> Any:
    """The answer for `source` (see the module); `redirect_ok` lets a download (it needs a
    `disposition`) go to the source's presigned address when it has one."""
    if redirect_ok and disposition is not None:
        url = source.presigned_url(disposition=disposition)
        if url is not None:
            _account_redirect(source, admit, finished)
            response.set_header("Cache-Control", "no-store")
            redirect(url, 303)
    size = source.size()
    last_modified = source.last_modified()
    plan = file_answers.decide(size, etag=source.etag, last_modified=last_modified, admit=admit)
    body = plan.sends
    headers = functools.partial(
        file_answers.set_headers, plan, etag=source.etag, last_modified=last_modified,
        cache_control=cache_control, content_type=source.content_type, disposition=disposition,
    )
    if body is None:
        headers()
        return b""
    opened = source.open_range(body.start, body.length)  # may fail: no header is set yet
    try:
        headers()
    except BaseException:
        opened.close()
        raise
    ended = _nothing if finished is None else lambda sent: finished(body, size, sent)
    if not isinstance(opened, LocalFile):
        return CountedStream(opened, ended)
    if body.partial and not file_answers.server_bounds_file_wrapper():
        return chunks(opened, body.length, ended)
    if finished is None:
        return opened  # Bottle hands it to wsgi.file_wrapper
    return TrackedFile(opened, body.start, body.length, ended)


def _nothing(sent: int) -> None:
    """No one to tell how an answer ended (covers and previews)."""


def _account_redirect(source: FileSource, admit: Admit | None, finished: Finished | None) -> None:
    """A redirect counts as the whole file: reserved by `admit`, and over (`finished`) as sent."""
    if finished is None and admit is None:
        return
    size = source.size()  # the catalog's, for a content file: no round trip
    whole = file_answers.Body(0, size, partial=False) if request.method == "GET" else None
    if admit is not None:
        admit(whole, size)
    if finished is not None and whole is not None:
        finished(whole, size, size)
