"""The headers and status of a file's answer, shared by files on disk and objects in a bucket.

Both answer GET and HEAD the same way: validators (`ETag`, `Last-Modified`), `If-None-Match` → 304,
`If-Range` + `Range` → 206 with `Content-Range` (or 416), otherwise 200; only where the bytes come from
differs (a `FileSource`, answered by `source_answers.send_source`). Deciding (`decide`, which asks
the `admit` hook) and setting headers (`set_headers`) are two steps, so opening the bytes in between
can still fail as a clean error page.
"""

from __future__ import annotations

from collections.abc import Callable
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
