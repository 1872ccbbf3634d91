"""The access log: one INFO line per request on the `paidpdf.access` logger, the only line a request
writes when all goes well (a webhook's line also names its event and what the shop did with it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

#: What a route wants said on its request's log line (the webhook puts the event and outcome there).
LOG_NOTE = "paidpdf.log_note"

access_log = logging.getLogger("paidpdf.access")

#: Set by `serve`'s log writer (`admin.log_writer`): takes a line's arguments and makes the record on
#: its own thread. A record made here costs a request about a tenth of a catalog page's time (measured
#: with py-spy, docs/web.md "Serving speed"); None (tests, embedding programs): the logger as usual.
sink: Callable[[tuple[Any, ...]], None] | None = None


LINE = "%s %s %s %.1fms%s"


def log_request(environ: dict[str, Any], status: str, seconds: float) -> None:
    """One line per request: method, path (no query string: it may hold tokens), status, time."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    note = environ.get(LOG_NOTE)
    path = str(environ.get("PATH_INFO") or "/")[:200].encode("unicode_escape").decode("ascii")
    if path.startswith("/reset/"):  # the rest is a password-reset token
        path = "/reset/(token)"
    args = (
        str(environ.get("REQUEST_METHOD", "?"))[:10],
        path,
        status.split(" ", 1)[0],
        seconds * 1000,
        f" {note}" if note else "",
    )
    if sink is not None:
        sink(args)
    else:
        access_log.info(LINE, *args)
