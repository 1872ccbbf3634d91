"""A shop wired to the local Stripe stand-in for the payment tests, and its helpers. Fixtures are in
conftest.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import stripe
from webtest import TestApp, TestResponse

from paidpdf.accounts import users
from paidpdf.config import Settings
from paidpdf.ownership import library
from paidpdf.sales import orders
from paidpdf.store import DataStore, Doc
from paidpdf.stripe_local import StripeLocal
from tests.data_files import on_disk
from tests.forms import form_for

PASSWORD = "correct horse 1"


BUYER = "buyer@example.com"


OTHER = "other@example.com"


PAID = "sourdough-at-home"


FREE = "field-notes-on-city-birds"


WEBHOOK_SECRET = "whsec_payments_tests_secret"


API_KEY = "sk_test_payments_tests"


SHOP_SECRET = "payments-tests-secret-key-0123456789-abcdefghijkl"


def shop_settings(
    data_dir: Path,
    api_base: str,
    base_url: str | None = None,
    smtp_url: str | None = None,
    database_url: str | None = None,
) -> Settings:
    env = {
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": api_base,
        "PAIDPDF_SECRET_KEY": SHOP_SECRET,
    }
    if base_url:
        env["PAIDPDF_BASE_URL"] = base_url
    if smtp_url:
        env["PAIDPDF_SMTP_URL"] = smtp_url
    if database_url:
        env["PAIDPDF_DATABASE_URL"] = database_url
    return Settings.from_env(env, data_dir=data_dir)


@dataclass
class Shop:
    """One shop on its own data folder, wired to one running stand-in."""

    data_dir: Path
    store: DataStore
    settings: Settings
    sl: StripeLocal
    app: TestApp
    servers: list[Any] = field(default_factory=list)

    def written(self, name: str) -> tuple[Any, ...]:
        """What shows a write to a data file, whatever the backend: its files' bytes (embedded), its
        documents and its version (equal before and after = nothing was written)."""
        return (on_disk(self.data_dir, name), self.store.export(name), self.store.view(name).version)

    def cli_env(self) -> dict[str, str]:
        """The environment a CLI command needs to act on this shop (its Stripe, its database)."""
        env = {"STRIPE_SECRET_KEY": API_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}
        env["STRIPE_API_BASE"] = self.sl.url
        if self.settings.database_url:
            env["PAIDPDF_DATABASE_URL"] = self.settings.database_url.reveal()
        return env

    @property
    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(API_KEY, base_addresses={"api": self.sl.url})

    def user(self, email: str = BUYER) -> Doc:
        return users.require_user(self.store, email)

    def login(self, email: str = BUYER, app: TestApp | None = None) -> TestApp:
        target = app or self.app
        page = target.get("/login")
        form = form_for(page, "/login")
        form["email"] = email
        form["password"] = PASSWORD
        form.submit(status=303)
        return target

    def buy(self, content_id: str = PAID, app: TestApp | None = None) -> tuple[Doc, str]:
        """Press Buy on the item page; returns the pending order and the Checkout Session id."""
        target = app or self.app
        page = target.get(f"/content/{content_id}")
        answer = form_for(page, f"/checkout/{content_id}").submit(status=303)
        location = answer.headers["Location"]
        assert location.startswith(self.sl.url + "/pay/cs_test_"), location
        session_id = location.rsplit("/", 1)[1]
        order = self.order_for_session(session_id)
        return order, session_id

    def order_for_session(self, session_id: str) -> Doc:
        rows = self.store.view("sales").find("orders", "stripe_session_id", session_id)
        assert len(rows) == 1
        return rows[0]

    def drain_mail(self) -> None:
        """Wait until due receipts were handed on (they are sent beside the request) and the mail
        queue is empty."""
        web = self.app.app.web
        assert web.receipts.drain(10) and web.mailer.drain(10)

    def mails_to(self, to: str) -> list[str]:
        """Subject and body of every mail sent to `to` so far (after `drain_mail`), oldest first."""
        self.drain_mail()
        outbox = self.data_dir / "outbox"
        found: list[str] = []
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            if message["To"] == to:
                found.append(f"{message['Subject']}\n{message.get_content()}")
        return found

    def order(self, order_id: str) -> Doc:
        return orders.get(self.store.view("sales"), order_id)

    def entries(self, content_id: str = PAID, email: str = BUYER) -> list[Doc]:
        user = self.user(email)
        return [
            e
            for e in self.store.view("sales").all("library")
            if e["user_id"] == user["id"] and e["content_id"] == content_id
        ]

    def owns(self, content_id: str = PAID, email: str = BUYER) -> bool:
        return library.owns(self.store.view("sales"), self.user(email)["id"], content_id)

    def post_event(
        self,
        event: dict[str, Any],
        *,
        secret: str = WEBHOOK_SECRET,
        timestamp: int | None = None,
        status: int | str = "*",
        app: TestApp | None = None,
    ) -> TestResponse:
        """POST an event to the real webhook route, signed exactly as Stripe signs it."""
        payload = json.dumps(event, indent=2)
        header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
        return (app or self.app).post(
            "/stripe/webhook",
            payload.encode(),
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
            status=status,
        )

    def stand_in_events(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.sl.events() if e["type"] == kind]

    def serve(self, settings: Settings | None = None) -> str:
        """Run the real shop (waitress, 8 threads) on a free port and point the stand-in's webhooks at it."""
        from paidpdf.admin.site_server import build_server, server_url

        server = build_server(settings or self.settings, host="127.0.0.1", port=0, store=self.store)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        self.servers.append(server)
        url = server_url(server)
        self.sl.set_webhook(url + "/stripe/webhook", WEBHOOK_SECRET)
        return url



def wait_until(
    check: Callable[[], bool], timeout: float = 10.0, what: str | Callable[[], str] = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")
