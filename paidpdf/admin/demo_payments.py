"""Payments for `paidpdf demo`: the local Stripe stand-in on loopback, wired to the demo shop.

Why: the demo is the whole product, so a newcomer must be able to buy without any account anywhere.
The stand-in gets a throwaway test key and webhook secret made for this run; the shop's settings point
at it through the same three switches a real deployment uses (`STRIPE_SECRET_KEY`,
`STRIPE_WEBHOOK_SECRET`, `STRIPE_API_BASE`), and its webhooks go to the shop once the shop's port is
known. A demo reader account is created so the buyer can log in at once.
"""

from __future__ import annotations

import json
import secrets
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paidpdf.accounts import users
from paidpdf.config import Secret, Settings
from paidpdf.store import DataStore
from paidpdf.store.files.atomic import atomic_write
from paidpdf.stripe_local import StripeLocal, new_webhook_secret, start_in_thread

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "paidpdf-demo"  # noqa: S105 - the demo login, printed on purpose (loopback only)


@dataclass
class DemoPayments:
    settings: Settings
    stand_in: StripeLocal
    email: str = DEMO_EMAIL
    password: str = DEMO_PASSWORD

    def export_line(self) -> str:
        """The shell line an admin pastes in another terminal so that `paidpdf orders refund` and
        `orders reconcile` talk to this run's stand-in and use the demo's data folder."""
        settings = self.settings
        values = {
            "STRIPE_SECRET_KEY": settings.stripe_secret_key.reveal() if settings.stripe_secret_key else "",
            "STRIPE_WEBHOOK_SECRET": (
                settings.stripe_webhook_secret.reveal() if settings.stripe_webhook_secret else ""
            ),
            "STRIPE_API_BASE": settings.stripe_api_base or "",
            "PAIDPDF_DATA": str(settings.data_dir.resolve()),
        }
        return "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in values.items())

    def connect(self, shop_url: str) -> None:
        """Send the stand-in's webhooks to the shop (called once the shop's socket is bound)."""
        self.stand_in.set_webhook(shop_url.rstrip("/") + "/stripe/webhook", self.stand_in.webhook_secret)


#: The demo's Stripe key, webhook secret and stand-in port, kept in its folder so the printed `export`
#: line stays valid from one run to the next.
STATE_FILE = ".demo-stripe.json"


def _demo_identity(folder: Path) -> dict[str, Any]:
    path = folder / STATE_FILE
    try:
        found = json.loads(path.read_text())
        if isinstance(found, dict) and {"key", "secret", "port"} <= found.keys():
            return found
    except (OSError, ValueError):
        pass
    made = {"key": "sk_test_demo_" + secrets.token_hex(12), "secret": new_webhook_secret(), "port": 0}
    return made


def _start_stand_in(identity: dict[str, Any]) -> StripeLocal:
    options: dict[str, Any] = {
        "webhook_secret": identity["secret"],
        "async_delay": 5.0,
        "api_key": identity["key"],
    }
    if identity.get("port"):
        try:
            return start_in_thread(host="127.0.0.1", port=int(identity["port"]), **options)
        except OSError:  # taken since: a new port (the export line then changes once)
            pass
    return start_in_thread(host="127.0.0.1", port=0, **options)


@contextmanager
def demo_payments(settings: Settings, store: DataStore) -> Iterator[DemoPayments]:
    """Start the stand-in on 127.0.0.1 and yield the shop settings that use it. The key, the webhook
    secret and the port are the demo folder's own, the same on every run."""
    identity = _demo_identity(Path(settings.data_dir))
    # The stand-in accepts the demo's key only: nothing else on the machine can drive it.
    stand_in = _start_stand_in(identity)
    identity["port"] = stand_in.port
    atomic_write(Path(settings.data_dir) / STATE_FILE, json.dumps(identity).encode())
    key, secret = identity["key"], identity["secret"]
    try:
        wired = settings.replace(
            stripe_secret_key=Secret(key),
            stripe_webhook_secret=Secret(secret),
            stripe_api_base=stand_in.url,
        )
        if users.find_user(store, DEMO_EMAIL) is None:
            users.sign_up(store, DEMO_EMAIL, DEMO_PASSWORD)
        yield DemoPayments(wired, stand_in)
    finally:
        stand_in.stop()
