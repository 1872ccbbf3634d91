"""Kept answers sent from waitress's I/O thread, without the hop to a request thread.

Profiled under load (py-spy `--gil`, 32 connections, one worker, docs/web.md "Round 4"), once the
front cache (`web/front_cache.py`) answered a kept page in about 10 µs, two thirds of the GIL's time
went to waitress's I/O loop and little to the site. Each request crossed threads twice: the loop
queued it for a request thread (a condition notify, a thread woken), and the thread, once done, woke
the loop through its trigger pipe so that it would send the answer: one more pass over every
connection (`poll2` asks each channel `readable()`/`writable()`). For an answer that costs ten
microseconds, the crossing cost more than the answer.

So a complete GET that the front cache can answer *now* without waiting for anything
(`FrontCache.ready`: a kept answer, made from files still at the versions it was made from, as this
process last read them: no lock, no query) is served in the loop's thread, by the same
`channel.service()` a request thread runs (the same WSGI app, the same log line and headers), and the
app sends exactly the answer `ready` found. Everything else goes to the threads: a file changed on disk
(reading it takes the lock a writer holds across its fsync), a page never kept, any other request.
What keeps the loop safe:
- on the data folder only (on PostgreSQL `versions_if_read` is always None: every check is a query);
- only from the loop's own `received()`, for a request alone on its connection (pipelined requests
  queued behind another go to the threads, as before). waitress reads from a connection only while
  it has nothing left to send (`readable()`), so an answer made here never waits for its own send;
  `MAX_PENDING` states that assumption where it is relied on.

Behind `--trusted-proxy`, the request as the loop sees it still has the proxy's headers that waitress
rewrites for the app (scheme, host), so its key differs and such requests go to the threads (the front
cache still answers them there): answering them in the loop too is left for later (docs/web.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

#: Bytes a connection may have waiting to be sent for its next request to be served in the loop.
MAX_PENDING = 1024 * 1024

Ready = Callable[[dict[str, Any]], bool]


#: The channel whose `received()` runs in this thread (only ever the loop's thread).
_receiving = threading.local()


class LoopAnswers:
    """Mixed into the site's waitress channel: `received()` may serve what it just queued."""

    paidpdf_serve_now: bool = False

    def received(self, data: bytes) -> bool:
        _receiving.channel = self
        try:
            result: bool = super().received(data)  # type: ignore[misc]
        finally:
            _receiving.channel = None
        if self.paidpdf_serve_now:
            self.paidpdf_serve_now = False
            self.service()  # type: ignore[attr-defined]
        return result


def serve_in_loop(server: Any, ready: Ready) -> None:
    """Let `server` (a waitress `BaseWSGIServer`) serve in its loop the requests `ready` accepts."""
    queue = server.add_task
    server.paidpdf_loop_answers = 0  # how many requests were served in the loop (the tests read it)

    def add_task(channel: Any) -> None:
        from_loop = getattr(_receiving, "channel", None) is channel  # the loop's own `received()`
        if from_loop and channel.total_outbufs_len < MAX_PENDING and _accepts(channel, ready):
            channel.paidpdf_serve_now = True
            server.paidpdf_loop_answers += 1
            return
        queue(channel)

    server.add_task = add_task


def _accepts(channel: Any, ready: Ready) -> bool:
    """`ready` asked about the channel's first request, seen as its environ will show it (the headers
    as WSGI names; the real environ is made by waitress when the request is served)."""
    requests = channel.requests
    if len(requests) != 1:
        return False
    request = requests[0]
    if request.error or request.command != "GET" or request.content_length:
        return False
    environ: dict[str, Any] = {f"HTTP_{k}": v for k, v in request.headers.items()}
    environ.update(
        REQUEST_METHOD="GET",
        PATH_INFO="/" + request.path.lstrip("/"),
        QUERY_STRING=request.query,
    )
    environ["wsgi.url_scheme"] = request.url_scheme
    return ready(environ)
