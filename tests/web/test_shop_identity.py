"""The shop's identity: set from the CLI, live on the next page without a restart, checked first."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from paidpdf.config import Secret
from paidpdf.content import shop
from tests.data_files import written
from tests.forms import form_for
from tests.smtp import SmtpServer
from tests.web.site import Site, logged_in

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL


def _cli(site: Site, *args: str) -> Result:
    result: Result = site.cli("shop", *args)
    return result


def test_set_shows_on_the_next_page_of_a_running_site(site: Site, tmp_path: Path) -> None:
    before = site.app.get("/")
    assert "PDF shop" in before.html.title.text  # the defaults of a shop never set up
    about = tmp_path / "about.txt"
    about.write_text("We bake.\n\nWe write about <baking>.", encoding="utf-8")
    done = _cli(site, "set", "--name", "Field & Oven", "--tagline", "Booklets for home bakers",
                "--accent", "#B5472A", "--about-file", str(about))
    assert done.exit_code == 0, done.output
    page = site.app.get("/")  # the same app object: no restart
    assert page.html.title.text == "Booklets for home bakers · Field & Oven"
    assert page.html.find("a", class_="brand").text.strip() == "Field & Oven"
    assert page.html.find("h1").text == "Field & Oven"
    assert "&lt;baking&gt;" in page.text and "<baking>" not in page.text
    css_link = page.html.find("link", href=lambda h: h and h.startswith("/shop.css"))["href"]
    assert site.app.get(css_link).text == ":root { --accent: #b5472a; }\n"
    item_page = logged_in(site, "reader").get("/library")
    assert item_page.html.title.text.endswith("· Field & Oven")
    shown = json.loads(_cli(site, "show", "--json").stdout)
    assert shown["name"] == "Field & Oven" and shown["accent"] == "#b5472a"
    assert shown["about"] == "We bake.\n\nWe write about <baking>."


def test_a_logo_is_checked_like_a_cover_and_served(site: Site, tmp_path: Path) -> None:
    fake = tmp_path / "logo.png"
    fake.write_text("not an image")
    before = written(site.store)
    bad = _cli(site, "set", "--logo", str(fake))
    assert bad.exit_code != 0 and "Error:" in bad.stderr
    assert written(site.store) == before
    cover = next((site.data_dir / "covers").iterdir())  # a real image the seed stored
    good = _cli(site, "set", "--logo", str(cover))
    assert good.exit_code == 0, good.output
    logo = shop.identity(site.store)["logo"]
    assert logo and site.app.get(f"/covers/{logo}").status_int == 200
    assert site.app.get("/").html.find("img", class_="logo")["src"] == f"/covers/{logo}"


def test_bad_input_is_one_line_and_changes_nothing(site: Site) -> None:
    before = written(site.store)
    for args, text in (
        (("set", "--accent", "red"), "accent must be a colour"),
        (("set", "--name", "x" * 81), "at most 80"),
        (("set", "--name", "   "), "shop name is empty"),
        (("set",), "nothing to change"),
    ):
        result = _cli(site, *args)
        assert result.exit_code != 0, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and text in lines[0], (args, result.stderr)
    assert written(site.store) == before


@pytest.mark.embedded_only(reason="a damaged data file (PostgreSQL's outage: test_postgres_shop.py)")
def test_a_damaged_catalog_still_gets_a_styled_error_page(site: Site) -> None:
    (site.data_dir / "catalog.json").write_bytes(b"{broken")
    site.store.forget()
    page = site.app.get("/", status=500)
    assert 'class="code">500' in page.text and "PDF shop" in page.text


def test_reset_mails_speak_in_the_shops_name(site_with: Callable[..., Site], smtp: SmtpServer) -> None:
    site = site_with(smtp_url=Secret(f"smtp://127.0.0.1:{smtp.port}"))
    shop.set_identity(site.store, name="Field & Oven")
    form = form_for(site.app.get("/forgot"), "/forgot")
    form["email"] = "reader@example.com"
    form.submit(status=303)
    assert site.app.app.web.mailer.drain(10)
    (message,) = smtp.inbox.messages
    assert message["Subject"] == "Reset your Field & Oven password"
    body = message.get_content()
    assert "your Field & Oven account" in body and body.rstrip().endswith("Field & Oven")


def test_the_favicon_is_the_logo_or_a_default(site: Site) -> None:
    assert site.app.get("/favicon.ico", status=302).headers["Location"] == "/static/favicon.svg"
    icon = site.app.get("/").html.find("link", rel="icon")["href"]
    assert icon.startswith("/static/favicon.svg") and site.app.get(icon).content_type == "image/svg+xml"
    cover = next((site.data_dir / "covers").iterdir())
    shop.set_identity(site.store, logo=cover)
    logo = shop.identity(site.store)["logo"]
    assert site.app.get("/favicon.ico", status=302).headers["Location"] == f"/covers/{logo}"
    assert site.app.get("/").html.find("link", rel="icon")["href"] == f"/covers/{logo}"
