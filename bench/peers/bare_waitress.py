"""The peer of bench/serving.py (not a bench itself): a bare WSGI app on waitress answering fixed bytes.

It answers each path it is given with that file's bytes (read once at start; the bench passes our own
catalog and item pages, so both sides send the very same bodies), `Content-Type: text/html`, nothing
else: no routing, no headers beyond the length, no logging. Served by waitress's `create_server` with the
same number of threads, the same poll/connection options and the same interpreter setting as `paidpdf
serve` (the GIL switch interval, `server_limits.GIL_SWITCH_INTERVAL`; waitress's "Task queue depth"
warnings silenced as ours are), so the gap between the two is what our app costs per request, not
waitress itself. Run by the bench:
`python3 bench/peers/bare_waitress.py THREADS /path=FILE ...` prints the URL it listens on.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from waitress.server import create_server

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for paidpdf
from paidpdf.admin.server_limits import GIL_SWITCH_INTERVAL


def main() -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    threads = int(sys.argv[1])
    pages = {}
    for pair in sys.argv[2:]:
        path, file = pair.split("=", 1)
        pages[path] = Path(file).read_bytes()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = pages.get(environ.get("PATH_INFO", ""))
        if body is None:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        start_response(
            "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
        )
        return [body]

    server = create_server(
        app, host="127.0.0.1", port=0, threads=threads, connection_limit=1000, asyncore_use_poll=True
    )
    print(f"http://127.0.0.1:{server.effective_port}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
