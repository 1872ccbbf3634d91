"""A seeded site for the web tests: names of the seeded items, the real app under WebTest, a real `paidpdf
serve`, and helpers to log in and submit forms. Fixtures that hand them out are in conftest.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PdfWriter
from webtest import TestApp, TestResponse

from paidpdf.accounts import users
from paidpdf.config import Settings
from paidpdf.content import catalog
from paidpdf.store import DataStore, Doc, Store
from paidpdf.web import create_app
from tests.data_files import on_disk
from tests.forms import form_for

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


@dataclass
class Site:
    app: TestApp
    store: DataStore
    settings: Settings
    data_dir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def written(self, name: str) -> tuple[Any, ...]:
        """What shows a write to a data file, whatever the backend: its files' bytes (embedded), its
        documents and its version (equal before and after = nothing was written)."""
        return (on_disk(self.data_dir, name), self.store.export(name), self.store.view(name).version)

    def item(self, content_id: str) -> Doc:
        return catalog.get_item(self.store, content_id)

    def content_bytes(self, content_id: str) -> bytes:
        item = self.item(content_id)
        return (self.data_dir / "content" / item["sha256"]).read_bytes()

    def user(self, email: str) -> Doc:
        return users.require_user(self.store, email)

    def cli(self, *args: str) -> Any:
        """`paidpdf --data <this shop> ARGS...` in-process, on this site's backend."""
        from typer.testing import CliRunner

        from tests.cli_app import paidpdf_app

        env = {}
        if self.settings.database_url:
            env["PAIDPDF_DATABASE_URL"] = self.settings.database_url.reveal()
        return CliRunner().invoke(paidpdf_app(), ["--data", str(self.data_dir), *args], env=env)


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
    store = settings.open_store()
    app = create_app(settings, store=store, **app_options)
    test_app = TestApp(app, extra_environ={"REMOTE_ADDR": REMOTE})
    return Site(test_app, store, settings, data_dir)



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


def confirmation_path(outbox: Path, email: str, timeout: float = 10.0) -> str:
    """The path of the sign-up confirmation link mailed to `email`, once the shop's mail queue wrote
    it into the outbox folder (a moment after the answer, from another thread or process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            text = path.read_text()
            found = re.search(r"(/signup/confirm/[A-Za-z0-9_-]+)", text)
            if f"To: {email}" in text and found:
                return found.group(1)
        time.sleep(0.02)
    raise AssertionError(f"no confirmation mail to {email} in {outbox}")
