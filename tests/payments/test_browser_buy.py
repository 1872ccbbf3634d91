"""One real browser run (Debian's Chromium through Playwright): sign up (confirmed by mail) → buy → pay
on the stand-in's hosted checkout page → success page → library → download, against the real waitress
server."""

from __future__ import annotations

from pathlib import Path

import pytest

from paidpdf.content import catalog
from tests.browser import chromium
from tests.payments.shop import PAID, Shop
from tests.web.site import confirmation_path


@pytest.mark.browser
def test_sign_up_buy_pay_library_download(shop: Shop, tmp_path: Path) -> None:
    url = shop.serve()
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(url + "/signup")
        page.get_by_label("Email").fill("shopper@example.com")
        page.get_by_label("Password").fill("shopper password")
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_url("**/signup/sent")  # the address is proven by mail before the account exists
        page.goto(url + confirmation_path(shop.data_dir / "outbox", "shopper@example.com"))
        page.get_by_label("Password").fill("shopper password")
        page.get_by_role("button", name="Confirm and sign in").click()
        page.wait_for_url("**/library")

        page.goto(f"{url}/content/{PAID}")
        page.get_by_role("button", name="Buy for $4.99").click()
        page.wait_for_url(shop.sl.url + "/pay/**")
        assert "$4.99" in page.content()
        page.get_by_role("button", name="Pay $4.99").click()
        page.wait_for_url(f"{url}/checkout/success**")
        page.get_by_text("Thank you for your purchase!").wait_for()

        page.get_by_role("link", name="My library").click()
        page.wait_for_url("**/library")
        assert "Sourdough at Home" in page.content()
        page.goto(f"{url}/content/{PAID}")
        with page.expect_download() as info:
            page.get_by_role("link", name="Download PDF").click()
        target = tmp_path / "bought.pdf"
        info.value.save_as(target)
        item = catalog.get_item(shop.store, PAID)
        assert target.read_bytes() == (shop.data_dir / "content" / item["sha256"]).read_bytes()
    order = shop.store.view("sales").find("orders", "buyer", "shopper@example.com")
    assert [o["status"] for o in order] == ["paid"]
    assert len(shop.entries(email="shopper@example.com")) == 1
