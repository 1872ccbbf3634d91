"""The access log: one INFO line per request on the `paidpdf.access` logger, the only line a request
writes when all goes well (a webhook's line also names its event and what the shop did with it)."""

from __future__ import annotations

import logging
from typing import Any

#: What a route wants said on its request's log line (the webhook puts the event and outcome there).
LOG_NOTE = "paidpdf.log_note"

access_log = logging.getLogger("paidpdf.access")


def log_request(environ: dict[str, Any], status: str, seconds: float) -> None:
    """One line per request: method, path (no query string: it may hold tokens), status, time."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    note = environ.get(LOG_NOTE)
    path = str(environ.get("PATH_INFO") or "/")[:200].encode("unicode_escape").decode("ascii")
    if path.startswith("/reset/"):  # the rest is a password-reset token
        path = "/reset/(token)"
    access_log.info(
        "%s %s %s %.1fms%s",
        str(environ.get("REQUEST_METHOD", "?"))[:10],
        path,
        status.split(" ", 1)[0],
        seconds * 1000,
        f" {note}" if note else "",
    )
