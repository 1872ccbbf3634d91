"""Fixtures for the web area: a seeded data folder (made once, hard-linked per test), the real app
under WebTest, and helpers to log in and submit forms.

Seeding goes through the real domain code: `paidpdf.content.demo.seed_demo` and `catalog.add_item` for items
(real PDFs, real covers), `users.sign_up` for users, `library.grant` for ownership.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from webtest import TestResponse

from paidpdf.accounts import users
from paidpdf.content import catalog, demo
from paidpdf.ownership import library
from paidpdf.testing.serve_process import start_serve, stop
from tests import seeded_databases
from tests.demo_seed import seed_demo_folder
from tests.smtp import SmtpServer, smtp_catcher
from tests.web.site import (
    BIG,
    BIG_SIZE,
    CAFE,
    PAID,
    PASSWORD,
    RETIRED,
    SERVER_THREADS,
    YEN,
    Served,
    Site,
    big_pdf,
    copy_seed,
    make_site,
)


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAIDPDF_ARGON2_PROFILE", "test")


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ.setdefault("PAIDPDF_ARGON2_PROFILE", "test")
    root = tmp_path_factory.mktemp("web-seed")
    folder = root / "data"
    store = seed_demo_folder(folder)
    samples = demo.make_sample_pdfs(root / "samples")
    cafe = root / "Café – Résumé.pdf"
    shutil.copyfile(samples[1], cafe)
    catalog.add_item(store, cafe, title="Café notes", price_text="0", currency="usd", item_id=CAFE)
    catalog.add_item(
        store,
        samples[2],
        title="Yen notes",
        price_text="500",
        currency="jpy",
        item_id=YEN,
        description="Priced in yen.",
    )
    big = big_pdf(root / "big.pdf", BIG_SIZE)
    catalog.add_item(store, big, title="Big archive", price_text="0", currency="usd", item_id=BIG)
    catalog.retire(store, RETIRED)
    reader = users.sign_up(store, "reader@example.com", PASSWORD)
    owner = users.sign_up(store, "owner@example.com", PASSWORD)
    disabled = users.sign_up(store, "disabled@example.com", PASSWORD)
    for content_id in (PAID, RETIRED):
        library.grant(store, owner["id"], content_id)
    library.grant(store, disabled["id"], PAID)
    users.set_disabled(store, disabled["email"], True)
    assert reader
    return folder


@pytest.fixture
def site_dir(seeded_template: Path, tmp_path: Path) -> Path:
    return copy_seed(seeded_template, tmp_path / "data")


@pytest.fixture(scope="session")
def seeded_database(
    postgres_server: str, seeded_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The seeded shop moved to PostgreSQL once per worker (tests/seeded_databases.py)."""
    return seeded_databases.template(postgres_server, seeded_template, tmp_path_factory.mktemp("seeded-db"))


@pytest.fixture
def postgres_url(postgres_server: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database of its own for one test, dropped after it: for a test of the seeded `site`, a
    copy of `seeded_database`; otherwise empty, as in tests/conftest.py."""
    seeded = request.getfixturevalue("seeded_database") if "site" in request.fixturenames else None
    with seeded_databases.database(postgres_server, seeded) as url:
        yield url


@pytest.fixture
def site(site_dir: Path, backend: str, backend_env: dict[str, str]) -> Iterator[Site]:
    """The seeded site; on PostgreSQL (`BOTH_BACKENDS`, see tests/conftest.py) the seeded shop is
    moved there by `db migrate`'s code (once per worker, copied per test: `seeded_database`)."""
    if backend == "embedded":
        yield make_site(site_dir)
        return
    from paidpdf.config import Settings
    from paidpdf.maintenance import migrate
    from paidpdf.store import Store

    settings = Settings.from_env(backend_env, data_dir=site_dir)
    made = make_site(site_dir, settings)
    if not seeded_databases.is_seeded(backend_env["PAIDPDF_DATABASE_URL"]):
        migrate.migrate(Store(site_dir), made.store)
    try:
        yield made
    finally:
        made.store.close()


@pytest.fixture
def csrf_of() -> Iterator[Any]:
    def find(page: TestResponse) -> str:
        value = page.html.find("input", attrs={"name": "csrf_token"})
        assert value is not None, "no CSRF field on the page"
        return str(value["value"])

    yield find


@pytest.fixture(scope="module")
def served(seeded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = copy_seed(seeded_template, tmp_path_factory.mktemp("served") / "data")
    log = data.parent / "server.log"  # the server's log, for post-mortems of failed tests
    env = {**os.environ, "PAIDPDF_ARGON2_PROFILE": "test", "PYTHONUNBUFFERED": "1"}
    env.pop("PAIDPDF_BASE_URL", None)
    env.pop("PAIDPDF_SMTP_URL", None)
    process, url = start_serve(data, env, threads=SERVER_THREADS, stderr=log.open("w"))
    try:
        yield Served(url, "127.0.0.1", int(url.rsplit(":", 1)[1]), data, process)
    finally:
        stop(process)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free loopback port, its inbox on `.inbox`."""
    with smtp_catcher() as server:
        yield server


@pytest.fixture
def site_with(site: Site) -> Iterator[Callable[..., Site]]:
    """Another site on the test's shop (same data folder; on PostgreSQL the same database), its settings
    changed by keyword (`site_with(smtp_url=Secret(...))`): for tests that need mail, HTTPS or another
    setting and still run on both backends."""
    made: list[Site] = []

    def make(**changes: Any) -> Site:
        other = make_site(site.data_dir, site.settings.replace(**changes))
        made.append(other)
        return other

    yield make
    for other in made:
        close = getattr(other.store, "close", None)
        if close is not None and other.settings.database_url:
            close()
