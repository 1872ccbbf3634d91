"""Fixtures for the stand-in: a running server on 127.0.0.1, a real `stripe` client, a webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from paidpdf.stripe_local import StripeLocal, start_in_thread
from tests.stripe_local.harness import API_KEY, SECRET, Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def stripe_local(receiver: Receiver) -> Iterator[StripeLocal]:
    server = start_in_thread(
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        retry_base=0.05,
        max_attempts=4,
        async_delay=0.1,
        delivery_timeout=2.0,
    )
    yield server
    server.stop()


@pytest.fixture
def client(stripe_local: StripeLocal) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": stripe_local.url})
