"""A webhook receiver and Checkout Session parameters for the stand-in's tests. Fixtures are in
conftest.py.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import stripe

SECRET = "whsec_test_secret_for_stripe_local"


API_KEY = "sk_test_stripe_local_tests"


class Receiver:
    """A real HTTP endpoint that records webhooks; `statuses` scripts its answers (then 200 forever)."""

    def __init__(self, port: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("utf-8")
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(
                        {"body": body, "headers": dict(self.headers), "path": self.path, "status": status}
                    )
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/stripe/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def events(self, type: str | None = None) -> list[stripe.Event]:
        """Every accepted (2xx) delivery, verified exactly as the shop verifies them."""
        with self.lock:
            found = [r for r in self.received if 200 <= r["status"] < 300]
        events = [
            stripe.Webhook.construct_event(r["body"], r["headers"]["Stripe-Signature"], SECRET) for r in found
        ]
        return [e for e in events if type is None or e.type == type]

    def wait_for(self, type: str, count: int = 1, timeout: float = 10.0) -> list[stripe.Event]:
        with self.lock:
            self.arrived.wait_for(
                lambda: (
                    sum(1 for r in self.received if f'"type": "{type}"' in r["body"] and r["status"] < 300)
                    >= count
                ),
                timeout,
            )
        return self.events(type)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def session_params(**changes: Any) -> dict[str, Any]:
    """What the shop sends for one PDF (see docs/stripe-local.md), with per-test changes."""
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 1999,
                    "product_data": {"name": "The Field Guide", "metadata": {"content_id": "field-guide"}},
                },
            }
        ],
        "customer_email": "reader@example.com",
        "client_reference_id": "ord_1",
        "metadata": {"order_id": "ord_1"},
        "payment_intent_data": {"metadata": {"order_id": "ord_1"}},
        "success_url": "http://127.0.0.1:8080/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://127.0.0.1:8080/checkout/cancel",
    }
    params.update(changes)
    return params
