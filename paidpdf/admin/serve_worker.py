"""One worker of `paidpdf serve --workers N`: `python -m paidpdf.admin.serve_worker OPTIONS_JSON`.

Started by the supervisor (`serve_workers`), never by people. It inherits the listening socket (its
descriptor number is in the options), reads the settings from the same environment as its parent (the
parent passes `--data` and the public URL it worked out), opens its own store handle and serves the
whole site on waitress until SIGTERM (a graceful stop, `graceful_stop`). It writes one byte to its
`ready` descriptor once the app is made, which is how a rolling reload knows it may stop the next old
worker. Ctrl-C in a terminal reaches the whole process group: the worker ignores SIGINT and waits for
the supervisor's SIGTERM, so both stop alike.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from paidpdf.admin.accept_share import AcceptShare
from paidpdf.admin.site_server import run_site
from paidpdf.config import Settings
from paidpdf.errors import PaidPdfError
from paidpdf.store.files.permissions import private_umask


def _stop_when_orphaned(parent: int) -> None:
    """A supervisor killed with SIGKILL cannot stop its workers: each stops itself (gracefully, as on
    SIGTERM) once its parent is gone, instead of serving on unsupervised."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="paidpdf-orphan-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _stop_when_orphaned(os.getppid())
    private_umask()
    options = json.loads(argv[0])
    listening = socket.socket(fileno=int(options["fd"]))
    settings = Settings.from_env(data_dir=Path(options["data"]), base_url=options["base_url"])
    ready_fd = int(options["ready_fd"])

    def ready() -> None:
        os.write(ready_fd, b"r")
        os.close(ready_fd)

    try:
        run_site(
            settings,
            ready=ready,
            host=options["host"],
            threads=int(options["threads"]),
            trusted_proxy=options.get("trusted_proxy"),
            connection_limit=int(options["connection_limit"]),
            idle_timeout=int(options["idle_timeout"]),
            listen_socket=listening,
            accept_share=(AcceptShare(int(options["share_fd"]), int(options["slots"])), int(options["slot"])),
        )
    except PaidPdfError as exc:
        print(f"Error: worker {os.getpid()}: {exc.message}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
