"""The reader site's default limits, shared by `paidpdf serve`'s options and `site_server`, which
builds the server (kept apart so the command's module never imports the server's)."""

from __future__ import annotations

DEFAULT_THREADS = 8
#: Open connections waitress keeps (its default, 100, lets 100 idle sockets take the site offline).
DEFAULT_CONNECTION_LIMIT = 1000
#: Seconds a connection may stay silent before it is closed (waitress's default is 120).
DEFAULT_IDLE_TIMEOUT = 30
