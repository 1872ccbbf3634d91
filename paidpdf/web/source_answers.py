"""Answering GET/HEAD for any `FileSource`: a download, a stamped copy, a cover or a look-inside page.

One path for every kind of file and every store (see `paidpdf.store.files.file_source`):

- a download (`redirect_ok=True`) whose source offers a presigned address (the object store in
  `PAIDPDF_S3_DOWNLOADS=redirect` mode) is a 303 there: the bytes go from the store to the reader and
  never through Python. A download limit reserves one whole copy before each redirect (the shop
  never sees what the store then sends: the signed address works for anyone who holds it, any number
  of times and with any Range, until it expires); the proxy mode counts bytes exactly;
- otherwise the source's validators and size decide the answer (`decide`: ETag, Last-Modified,
  If-None-Match → 304, If-Range + Range → 206 or 416, pure rules in `ranges`), the `admit` hook is
  asked before any header is set, the bytes are opened (a missing file is still a clean 404), and
  only then are the headers set (`set_headers`);
- a local file (a whole file, or a range on waitress, whose file wrapper honours Content-Length) is
  handed to the server's `wsgi.file_wrapper`, so waitress sends it from its I/O loop and a slow reader
  holds no worker thread and no memory beyond a socket buffer; a range on other servers is 256 KiB
  chunks, and a remote store's blocks are streamed by a worker;
- `finished(body, size, sent)` runs once the body is over (`download_ledger`, `download_records`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bottle import redirect, request, response

from paidpdf.store.files.file_source import FileSource, LocalFile
from paidpdf.web import ranges
from paidpdf.web.download_records import CountedStream, TrackedFile, chunks
from paidpdf.web.request_fields import raw_header


@dataclass(frozen=True)
class Body:
    """Which bytes to send: `length` bytes from `start`; `partial` for a 206."""

    start: int
    length: int
    partial: bool


#: Told, before any header is set, which bytes an answer will send (None: no body) and of how big a
#: file; it may refuse by raising (a download limit, `download_ledger`), and the refusal's page is
#: then the whole answer.
Admit = Callable[["Body | None", int], None]
#: Told, once an answer's body is over, how many of its bytes were handed on: `(body, size, sent)`.
Finished = Callable[["Body", int, int], None]


@dataclass(frozen=True)
class Plan:
    """An answer decided: its status, the range asked for (206) and the bytes to send (None: none)."""

    status: int
    size: int
    wanted: ranges.ByteRange | None
    sends: Body | None


def decide(size: int, *, etag: str, last_modified: str, admit: Admit | None = None) -> Plan:
    """The answer for a file of `size` bytes (304, 416, 206 or 200, and which bytes), with `admit`
    asked; nothing is set on the response yet, so a failure after this is still a clean error page."""
    status, wanted = _decide(size, etag, last_modified)
    body: Body | None = None
    if status == 200:
        body = Body(0, size, partial=False)
    elif status == 206 and wanted is not None:
        body = Body(wanted.start, wanted.length, partial=True)
    sends = body if body is not None and request.method != "HEAD" and body.length > 0 else None
    if admit is not None:
        admit(sends, size)
    return Plan(status, size, wanted, sends)


def set_headers(
    plan: Plan, *, etag: str, last_modified: str, cache_control: str, content_type: str,
    disposition: str | None = None,
) -> None:
    """Status, validators, length and range of the answer `plan` decided."""
    size, status, wanted = plan.size, plan.status, plan.wanted
    response.set_header("ETag", etag)
    response.set_header("Last-Modified", last_modified)
    response.set_header("Cache-Control", cache_control)
    response.set_header("Accept-Ranges", "bytes")
    response.content_type = content_type
    if disposition:
        response.set_header("Content-Disposition", disposition)
    response.status = status
    if status == 416:
        response.set_header("Content-Range", f"bytes */{size}")
        response.content_type = "text/plain; charset=utf-8"
    elif status == 200:
        response.set_header("Content-Length", str(size))
    elif status == 206 and wanted is not None:
        response.set_header("Content-Length", str(wanted.length))
        response.set_header("Content-Range", wanted.content_range(size))


def _decide(size: int, etag: str, last_modified: str) -> tuple[int, ranges.ByteRange | None]:
    """The status (304, 416, 206 or 200) and, for 206, the range."""
    if ranges.none_match(raw_header("If-None-Match"), etag):
        return 304, None
    if ranges.if_range_allows(raw_header("If-Range"), etag, last_modified):
        try:
            wanted = ranges.parse_range(raw_header("Range"), size)
        except ranges.Unsatisfiable:
            return 416, None
        if wanted is not None:
            return 206, wanted
    return 200, None


def server_bounds_file_wrapper() -> bool:
    """True when `wsgi.file_wrapper` sends no more than Content-Length bytes (waitress does), so a
    range can be handed to it too."""
    wrapper = request.environ.get("wsgi.file_wrapper")
    return str(getattr(wrapper, "__module__", "")).startswith("waitress.")


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
    # Only a GET goes to the presigned address: a HEAD must not hand out a link that fetches the
    # whole file, again and again for its lifetime, without the download being counted.
    if redirect_ok and disposition is not None and request.method == "GET":
        url = source.presigned_url(disposition=disposition)
        if url is not None:
            _account_redirect(source, admit, finished)
            response.set_header("Cache-Control", "no-store")
            redirect(url, 303)
    size = source.size()
    last_modified = source.last_modified()
    plan = decide(size, etag=source.etag, last_modified=last_modified, admit=admit)
    body = plan.sends
    headers = functools.partial(
        set_headers, plan, etag=source.etag, last_modified=last_modified,
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
    if body.partial and not server_bounds_file_wrapper():
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
    whole = Body(0, size, partial=False)  # only a GET is redirected
    if admit is not None:
        admit(whole, size)
    if finished is not None:
        finished(whole, size, size)
