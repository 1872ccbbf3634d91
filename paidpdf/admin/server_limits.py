"""The reader site's default limits, shared by `paidpdf serve`'s options and `site_server`, which
builds the server (kept apart so the command's module never imports the server's)."""

from __future__ import annotations

#: Per worker process: 4 measured ~25% more catalog req/s than 8 at 32 connections (fewer threads
#: competing for one GIL; docs/web.md "Serving speed"); slow password hashes queue for their own slots.
DEFAULT_THREADS = 4
#: Open connections waitress keeps (its default, 100, lets 100 idle sockets take the site offline).
DEFAULT_CONNECTION_LIMIT = 1000
#: Seconds a connection may stay silent before it is closed (waitress's default is 120).
DEFAULT_IDLE_TIMEOUT = 30
