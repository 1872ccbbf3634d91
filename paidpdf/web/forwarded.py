"""The reverse-proxy trap: forwarded headers (`X-Forwarded-For`, `Forwarded`, ...) from a peer that is
not the declared `--trusted-proxy`.

Behind a reverse proxy that `paidpdf serve` was not told about, every reader's address is the
proxy's, so each per-address limit (sign-ups, reset and sign-in link requests, login failures,
checkout starts) applies to the whole shop at once, and throttles and logs name the proxy. The
headers themselves are never believed (a client can forge them); seeing them is only the sign of
that mistake, so it is logged once (not per request, which would flood the log) and `/healthz`'s
JSON answer says so until the process restarts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("paidpdf.serve")

#: The headers waitress knows as proxy headers, as WSGI environ keys.
HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_BY",
    "HTTP_FORWARDED",
)

HINT = (
    "requests carry X-Forwarded-For/Forwarded headers from a peer that is not a trusted proxy: if "
    "paidpdf runs behind a reverse proxy, start it with --trusted-proxy <the proxy's address>, or "
    "every reader has the proxy's address and the per-address limits (PAIDPDF_*_PER_ADDRESS) apply to "
    "the whole shop at once"
)


class ForwardedWatch:
    """Remembers whether untrusted forwarded headers were seen; warns once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seen = False
        self.peer = ""

    def note(self, environ: dict[str, Any]) -> None:
        """Drop any forwarded header from `environ` (never believed); the first time, log why."""
        found = [name for name in HEADERS if environ.pop(name, None) is not None]
        if not found:
            return
        with self._lock:
            if self.seen:
                return
            self.seen = True
            self.peer = str(environ.get("REMOTE_ADDR") or "")
        shown = ", ".join(name[5:].replace("_", "-").title() for name in found)
        log.warning("%s (seen: %s from %s; logged once)", HINT, shown, self.peer or "unknown peer")

    def health(self) -> dict[str, Any]:
        """What `/healthz?format=json` adds."""
        if not self.seen:
            return {"untrusted_forwarded_headers_seen": False}
        return {"untrusted_forwarded_headers_seen": True, "hint": HINT}


StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def watching(app: WsgiApp, watch: Callable[[], ForwardedWatch | None]) -> WsgiApp:
    """A WSGI wrapper for a server without a trusted proxy: every request's forwarded headers go
    through `watch()` (looked up per request: the site's app is made after the socket is bound)."""

    def wrapper(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        current = watch()
        if current is not None:
            current.note(environ)
        else:
            for name in HEADERS:
                environ.pop(name, None)
        return app(environ, start_response)

    return wrapper
