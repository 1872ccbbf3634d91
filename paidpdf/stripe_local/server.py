"""Run the stand-in on a real socket: in a background thread for tests and the demo, or in the foreground.

`start_in_thread()` binds (port 0 = a free port), fills in the public URL used for hosted checkout
pages, and returns a `StripeLocal` whose methods mirror the `/_local` test controls, so a test can do
what a buyer or a bank would do without a browser.
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import replace
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from paidpdf.stripe_local.app import create_app
from paidpdf.stripe_local.config import Config
from paidpdf.stripe_local.standin import StandIn


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    """One thread per request: the shop calls the API while a webhook to it is in flight."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr (tests and the demo stay readable); errors still surface as 500s."""

    def log_message(self, format: str, *args: Any) -> None:
        return


class StripeLocal:
    """A running stand-in: `.url` (the API base and page host), `.state` (the `StandIn`), `.stop()`."""

    def __init__(self, config: Config, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config
        self.state = StandIn(config)
        self.app = create_app(config, self.state)
        try:
            self._server = make_server(
                host, port, self.app, server_class=_ThreadingServer, handler_class=_QuietHandler
            )
        except OSError:
            self.state.close()
            raise
        bound_host = host if host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        self.url = f"http://{bound_host}:{self._server.server_port}"
        self.port = self._server.server_port
        self.state.bound_url = self.url
        if not config.public_url:
            self.state.public_url = self.url
        self._thread: threading.Thread | None = None

    # --------------------------------------------------------------- running

    def start(self) -> StripeLocal:
        self._thread = threading.Thread(target=self.serve_forever, name="stripe-local-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        """Stop serving and stop webhook delivery. Safe to call twice."""
        if self._thread is not None:
            self._server.shutdown()
        self._server.server_close()
        self.state.close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> StripeLocal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --------------------------------------------------------------- the /_local controls, as methods

    @property
    def webhook_secret(self) -> str:
        return self.config.webhook_secret

    def pay(
        self,
        session_id: str,
        method: str = "card",
        delay: float | None = None,
        email: str | None = None,
        **buyer: str | None,
    ) -> dict[str, Any]:
        """method: card | delayed_success | delayed_failure | delayed | decline (raises ApiError 402);
        `email`: what the buyer typed when the session has no `customer_email`; `buyer`: `country`,
        `state`, `tax_id` of a taxed checkout (docs/tax.md)."""
        return self.state.pay(session_id, method, delay, email, **buyer)

    def settle(self, session_id: str, outcome: str) -> dict[str, Any]:
        return self.state.settle(session_id, outcome)

    def expire(self, session_id: str) -> dict[str, Any]:
        return self.state.expire_session(session_id)

    def dispute(
        self,
        payment_intent: str | None = None,
        *,
        charge: str | None = None,
        reason: str = "fraudulent",
        amount: int | None = None,
    ) -> dict[str, Any]:
        return self.state.create_dispute(payment_intent, charge, reason, amount)

    def close_dispute(self, dispute_id: str, outcome: str) -> dict[str, Any]:
        return self.state.close_dispute(dispute_id, outcome)

    def pause_webhooks(self) -> None:
        self.state.set_webhook_mode("paused")

    def resume_webhooks(self) -> None:
        self.state.set_webhook_mode("on")

    def drop_webhooks(self) -> None:
        self.state.set_webhook_mode("dropped")

    def set_webhook(self, url: str | None, secret: str | None = None) -> None:
        self.state.set_webhook(url, secret)

    def deliveries(
        self, event: str | None = None, type: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        return self.state.deliveries(event, type, status)

    def resend(self, event_id: str) -> dict[str, Any]:
        return self.state.resend(event_id)

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        return self.state.events(type)

    def wait_for_deliveries(self, timeout: float = 10.0) -> bool:
        return self.state.wait_idle(timeout)


def start_in_thread(
    host: str = "127.0.0.1",
    port: int = 0,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    config: Config | None = None,
    **options: Any,
) -> StripeLocal:
    """Start a stand-in serving in a daemon thread; `options` are `Config` fields (e.g. `retry_base=0.05`).

    Example::

        with start_in_thread(webhook_url=shop + "/stripe/webhook", webhook_secret="whsec_x",
                             retry_base=0.05, async_delay=0.1) as stripe_local:
            client = stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_local.url})
    """
    base = config if config is not None else Config()
    changes: dict[str, Any] = dict(options)
    if webhook_url is not None:
        changes["webhook_url"] = webhook_url
    if webhook_secret is not None:
        changes["webhook_secret"] = webhook_secret
    return StripeLocal(replace(base, **changes), host, port).start()
