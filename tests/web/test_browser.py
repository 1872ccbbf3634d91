"""One real browser run (Debian's Chromium through Playwright) against a real `paidpdf serve`:
sign up (confirmed by the mailed link) → browse → download the free item (bytes checked) → log out →
log in again. No JavaScript is needed by the site; the browser just uses the forms and links."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import chromium
from tests.web.site import FREE, Served, confirmation_path


@pytest.mark.browser
def test_sign_up_browse_download_logout_login(served: Served, tmp_path: Path) -> None:
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True, viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(served.url + "/")
        page.get_by_role("link", name="Sign up").click()
        page.get_by_label("Email").fill("browser@example.com")
        page.get_by_label("Password").fill("browser password")
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_url("**/signup/sent")  # the address is proven by mail before the account exists
        page.goto(served.url + confirmation_path(served.data_dir / "outbox", "browser@example.com"))
        assert "browser@example.com" in page.content()
        page.get_by_label("Password").fill("browser password")
        page.get_by_role("button", name="Confirm and sign in").click()
        page.wait_for_url("**/library")
        assert "Welcome! Your account is ready." in page.content()

        page.get_by_role("link", name="Catalog", exact=True).click()
        page.get_by_role("link", name="Field Notes on City Birds").first.click()
        page.wait_for_url(f"**/content/{FREE}")
        assert page.get_by_text("Free").first.is_visible()
        with page.expect_download() as info:
            page.get_by_role("link", name="Download PDF").click()
        download = info.value
        target = tmp_path / "got.pdf"
        download.save_as(target)
        assert download.suggested_filename.endswith(".pdf")
        assert target.read_bytes() == served.content(FREE)

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(served.url + "/")
        assert "You are logged out." in page.content()
        assert page.get_by_role("link", name="Log in", exact=True).is_visible()

        page.get_by_role("link", name="Log in", exact=True).click()
        page.get_by_label("Email").fill("BROWSER@example.com")
        page.get_by_label("Password").fill("browser password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/library")
        assert "You are logged in." in page.content()
        assert "browser@example.com" in page.content()


@pytest.mark.browser
def test_layout_at_phone_and_desktop_sizes_in_light_and_dark(served: Served, tmp_path: Path) -> None:
    """The footer sits at the bottom of a short page, the phone header is one line, dark mode follows
    the system. Screenshots of each page are kept for a reviewer (the folder is printed)."""
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    sizes = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
    with chromium() as browser:
        for size, viewport in sizes.items():
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport=viewport, color_scheme=scheme)
                page = context.new_page()
                page.set_default_timeout(15_000)
                page.goto(served.url + "/forgot")  # a short page
                foot = page.locator("footer").bounding_box()
                assert foot is not None and abs(foot["y"] + foot["height"] - viewport["height"]) <= 1, foot
                nav = page.locator("header nav").bounding_box()
                assert nav is not None and nav["height"] < 64, (size, nav)  # one line
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert background == ("rgb(18, 19, 23)" if scheme == "dark" else "rgb(250, 250, 251)")
                page.screenshot(path=str(shots / f"forgot-{size}-{scheme}.png"), full_page=True)
                for name, path in (("catalog", "/"), ("item", f"/content/{FREE}"), ("login", "/login")):
                    page.goto(served.url + path)
                    page.screenshot(path=str(shots / f"{name}-{size}-{scheme}.png"), full_page=True)
                context.close()
    assert len(list(shots.iterdir())) == 16
