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
#: Seconds a thread may hold the GIL while another waits for it (CPython's default is 0.005). Waitress's
#: I/O thread gives the GIL up at every socket call and must then wait for it behind the request threads;
#: at 5 ms it waited up to 5 ms per socket event under load (docs/web.md "Round 4").
GIL_SWITCH_INTERVAL = 0.0005
