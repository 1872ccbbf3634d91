"""Fixtures for the web area: a seeded data folder (made once, hard-linked per test), the real app
under WebTest, and helpers to log in and submit forms.

Seeding goes through the real domain code: `paidpdf.content.demo.seed_demo` and `catalog.add_item` for items
(real PDFs, real covers), `users.sign_up` for users, `library.grant` for ownership.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from webtest import TestApp, TestResponse

from paidpdf.accounts import users
from paidpdf.config import Settings
from paidpdf.content import catalog, demo
from paidpdf.ownership import library
from paidpdf.store import Doc, Store
from paidpdf.testing.serve_process import start_serve, stop
from paidpdf.web import create_app
from tests.demo_seed import seed_demo_folder

PASSWORD = "correct horse 1"
FREE = "field-notes-on-city-birds"
PAID = "sourdough-at-home"
RETIRED = "git-for-writers"  # retired; owned by the owner only
UNOWNED_PAID = "watercolour-in-ten-lessons"
CAFE = "cafe-notes"  # free, non-ASCII file name
YEN = "yen-notes"  # priced in JPY
BIG = "big-archive"  # free, BIG_SIZE bytes
BIG_SIZE = 24 * 1024 * 1024
REMOTE = "203.0.113.7"


def big_pdf(path: Path, size: int) -> Path:
    """A real one-page PDF of about `size` bytes (an incompressible embedded file)."""
    writer = PdfWriter()
    writer.add_blank_page(width=420, height=595)
    writer.add_attachment("padding.bin", os.urandom(size))
    with path.open("wb") as handle:
        writer.write(handle)
    return path


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


@dataclass
class Site:
    app: TestApp
    store: Store
    settings: Settings
    data_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def item(self, content_id: str) -> Doc:
        return catalog.get_item(self.store, content_id)

    def content_bytes(self, content_id: str) -> bytes:
        item = self.item(content_id)
        return (self.data_dir / "content" / item["sha256"]).read_bytes()

    def user(self, email: str) -> Doc:
        return users.require_user(self.store, email)


def copy_seed(template: Path, target: Path) -> Path:
    """A private copy of the seeded shop in milliseconds: content files and covers are immutable
    (content-addressed), so they are hard-linked; the data files and everything else are copied."""

    def copy(src: str, dst: str) -> object:
        if Path(src).parent.name in ("content", "covers"):
            os.link(src, dst)
            return dst
        return shutil.copy2(src, dst)

    shutil.copytree(template, target, copy_function=copy)
    return target


def make_site(data_dir: Path, settings: Settings | None = None, **app_options: Any) -> Site:
    settings = settings or Settings.from_env({}, data_dir=data_dir)
    store = Store(data_dir)
    app = create_app(settings, store=store, **app_options)
    test_app = TestApp(app, extra_environ={"REMOTE_ADDR": REMOTE})
    return Site(test_app, store, settings, data_dir)


@pytest.fixture
def site_dir(seeded_template: Path, tmp_path: Path) -> Path:
    return copy_seed(seeded_template, tmp_path / "data")


@pytest.fixture
def site(site_dir: Path) -> Site:
    return make_site(site_dir)


def form_for(page: TestResponse, action: str) -> Any:
    """The form on `page` that posts to `action`."""
    for form in page.forms.values():
        if form.action == action:
            return form
    raise AssertionError(
        f"no form posting to {action} on {page.request.path}: {[f.action for f in page.forms.values()]}"
    )


def login(app: TestApp, email: str, password: str = PASSWORD, status: int | str = 303) -> TestResponse:
    page = app.get("/login")
    form = form_for(page, "/login")
    form["email"] = email
    form["password"] = password
    return form.submit(status=status)


def logged_in(site: Site, who: str | None) -> TestApp:
    """The site's TestApp, logged in as `who` ("reader", "owner", "disabled") or anonymous."""
    if who is None:
        return site.app
    if who == "disabled":
        # A disabled user's sessions were ended when the account was disabled; a browser that kept
        # its cookie still presents it. Recreate that: enable, log in, disable again.
        users.set_disabled(site.store, "disabled@example.com", False)
        login(site.app, "disabled@example.com")
        token = site.app.cookies["paidpdf_session"]
        users.set_disabled(site.store, "disabled@example.com", True)
        site.app.set_cookie("paidpdf_session", token)
        return site.app
    login(site.app, f"{who}@example.com")
    return site.app


@pytest.fixture
def csrf_of() -> Iterator[Any]:
    def find(page: TestResponse) -> str:
        value = page.html.find("input", attrs={"name": "csrf_token"})
        assert value is not None, "no CSRF field on the page"
        return str(value["value"])

    yield find


SERVER_THREADS = 4


@dataclass
class Served:
    url: str
    host: str
    port: int
    data_dir: Path
    process: subprocess.Popen[str]

    def content(self, content_id: str) -> bytes:
        item = catalog.get_item(Store(self.data_dir), content_id)
        return (self.data_dir / "content" / item["sha256"]).read_bytes()


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
