"""What a stand-in instance is configured with: the webhook endpoint, its secret, retry timing."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: The API version the installed `stripe` library (16.x) pins; stamped on every event like Stripe does.
API_VERSION = "2026-10-28.endive"


def new_webhook_secret() -> str:
    """A fresh signing secret in Stripe's format (`whsec_...`)."""
    return "whsec_" + secrets.token_urlsafe(24)


@dataclass
class Config:
    """Settings of one stand-in.

    `api_key`: when set, only that key is accepted; otherwise any `sk_test_`/`rk_test_` key is (live
    keys are always refused, so nothing real is ever pointed here by mistake).
    `public_url`: the base used for hosted checkout page URLs (`<public_url>/pay/<session id>`); the
    server fills it in with its own address when left empty.
    `retry_base` seconds, doubled (`retry_factor`) per failed attempt up to `retry_max_delay`, for at
    most `max_attempts` attempts per event. `async_delay`: seconds between a delayed-method checkout and
    its `async_payment_succeeded`/`failed` event.
    `enabled_events`: like a Stripe endpoint's list; `["*"]` sends everything. All events are stored for
    `GET /v1/events` either way.
    """

    webhook_url: str | None = None
    webhook_secret: str = field(default_factory=new_webhook_secret)
    api_key: str | None = None
    public_url: str = ""
    retry_base: float = 1.0
    retry_factor: float = 2.0
    retry_max_delay: float = 3600.0
    max_attempts: int = 8
    delivery_timeout: float = 10.0
    delivery_workers: int = 4
    async_delay: float = 2.0
    enabled_events: list[str] = field(default_factory=lambda: ["*"])
    state_path: Path | None = None
    api_version: str = API_VERSION
    clock: Callable[[], float] = time.time
    #: Failed subscription invoices are retried this many days after the previous attempt (Stripe's
    #: custom retry schedule; the default is 3 retries: 3, 5 and 7 days), then `after_final_retry`:
    #: `cancel` (the subscription is canceled) or `unpaid` (it stays, unpaid, without access).
    invoice_retry_days: tuple[int, ...] = (3, 5, 7)
    after_final_retry: str = "cancel"
