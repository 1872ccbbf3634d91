"""A real webhook receiver for the hooks tests: an HTTP server on 127.0.0.1 (a free port) that checks
every request's Standard Webhooks signature with the `standardwebhooks` library and keeps what came.

`down()` closes its socket (connections are refused) and `up()` listens again on the same port;
`hold()` makes the next request wait until `release()` (a delivery "in flight", to kill the sender);
while `failing` is set it answers 503 to every signed request (a receiver whose own backend is down).
`arrivals` lists the `webhook-id` of every request that came, answered or not, in arrival order.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.got: list[dict[str, Any]] = []  # verified events, in arrival order
        self.bad = 0
        self.failing = False
        self.arrivals: list[str] = []
        self.arrived = threading.Event()
        self._hold = threading.Event()
        self._held = threading.Event()
        self._lock = threading.Lock()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.arrivals.append(str(self.headers.get("webhook-id")))
                receiver.arrived.set()
                if receiver._hold.is_set():
                    receiver._held.set()
                    receiver._hold.clear()
                    receiver._release.wait(30)
                try:
                    event = Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                except Exception:
                    with receiver._lock:
                        receiver.bad += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                if receiver.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                with receiver._lock:
                    receiver.got.append({"id": self.headers["webhook-id"], **event})
                self.send_response(204)
                self.end_headers()

        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def hold(self) -> None:
        self._hold.set()

    def wait_held(self, timeout: float = 20) -> bool:
        return self._held.wait(timeout)

    def release(self) -> None:
        self._release.set()

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self.got]

    def types_by_object(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for event in self.events():
            found.setdefault(str(event["data"]["id"]), []).append(str(event["type"]))
        return found
