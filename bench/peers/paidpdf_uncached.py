"""The "page caches off" side of bench/web.py (not a bench itself): our site with nothing kept between
requests, on `paidpdf serve`'s own server.

The server is `paidpdf serve`'s (`site_server.build_server`: waitress with serve's options and the same
number of threads), asked for the site without page caches (`page_caches=False`, passed on to
`create_app`): every catalog card and every anonymous item page is rendered on every request, as the
Flask peer (bench/peers/flask_catalog.py) does. Everything else is the shipped site (security headers,
CSRF cookie, sessions, the same store). Run by the bench, not by hand:
`python3 bench/peers/paidpdf_uncached.py DATA_DIR THREADS` prints the URL it listens on.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from paidpdf.admin.site_server import build_server, server_url
from paidpdf.config import Settings


def main() -> None:
    data_dir, threads = Path(sys.argv[1]), int(sys.argv[2])
    # the logging `paidpdf serve` sets up (run_site), so both sides log alike
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    settings = Settings.from_env(dict(os.environ), data_dir=data_dir)
    server = build_server(settings, host="127.0.0.1", port=0, threads=threads, page_caches=False)
    print(server_url(server), flush=True)
    try:
        server.run()
    finally:
        server.close()


if __name__ == "__main__":
    main()
