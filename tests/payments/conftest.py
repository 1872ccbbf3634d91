"""Fixtures for payments end to end: a seeded shop (real catalog, real accounts), the real Stripe
stand-in on 127.0.0.1, the real `stripe` library, the real app under WebTest, and, when the stand-in
must deliver webhooks itself, the real waitress server on a free port.

Seeding goes through the real domain (`demo.seed_demo`, `users.sign_up`) once per session; each
test gets a hard-linked copy (data files are only ever replaced by rename, content files never change).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from webtest import TestApp

from paidpdf.accounts import users
from paidpdf.maintenance import migrate
from paidpdf.store import Store
from paidpdf.stripe_local import StripeLocal, start_in_thread
from paidpdf.web import create_app
from tests import seeded_databases
from tests.demo_seed import seed_demo_folder
from tests.payments.hook_receiver import Receiver
from tests.payments.shop import BUYER, OTHER, PASSWORD, WEBHOOK_SECRET, Shop, shop_settings
from tests.web.site import copy_seed


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIDPDF_ARGON2_PROFILE", "test")


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.setdefault("PAIDPDF_ARGON2_PROFILE", "test")
    folder = tmp_path_factory.mktemp("payments-seed") / "data"
    store = seed_demo_folder(folder)
    users.sign_up(store, BUYER, PASSWORD)
    users.sign_up(store, OTHER, PASSWORD)
    return folder


@pytest.fixture(scope="session")
def seeded_database(
    postgres_server: str, seeded: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The seeded shop moved to PostgreSQL once per worker (tests/seeded_databases.py)."""
    return seeded_databases.template(postgres_server, seeded, tmp_path_factory.mktemp("seeded-db"))


@pytest.fixture
def postgres_url(postgres_server: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database of its own for one test, dropped after it: for a test of the seeded `shop`, a
    copy of `seeded_database`; otherwise empty, as in tests/conftest.py."""
    seeded = request.getfixturevalue("seeded_database") if "shop" in request.fixturenames else None
    with seeded_databases.database(postgres_server, seeded) as url:
        yield url


@pytest.fixture
def stand_in() -> Iterator[StripeLocal]:
    sl = start_in_thread(
        webhook_secret=WEBHOOK_SECRET, retry_base=0.05, retry_max_delay=0.5, max_attempts=40, async_delay=0.2
    )
    try:
        yield sl
    finally:
        sl.stop()


@pytest.fixture
def shop(
    seeded: Path, tmp_path: Path, stand_in: StripeLocal, backend: str, request: pytest.FixtureRequest
) -> Iterator[Shop]:
    folder = tmp_path / "data"
    copy_seed(seeded, folder)
    database_url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    settings = shop_settings(folder, stand_in.url, database_url=database_url)
    store = settings.open_store()
    if database_url and not seeded_databases.is_seeded(database_url):
        migrate.migrate(Store(folder), store)
    app = TestApp(create_app(settings, store=store), extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    made = Shop(folder, store, settings, stand_in, app)
    try:
        yield made
    finally:
        for server in made.servers:
            server.close()
        close = getattr(store, "close", None)
        if close is not None:
            close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver of the shop's outgoing webhooks (tests/payments/hook_receiver.py)."""
    found = Receiver()
    try:
        yield found
    finally:
        found.release()
        found.down()
