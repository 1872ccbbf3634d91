"""Creator tools in a real browser (Debian's Chromium through Playwright), phone and desktop: a reader
follows a discount link, pays the discounted price on the stand-in's page and downloads a copy stamped
with their name; names their own price for a pay-what-you-want item; sees a bundle; after a new
version the library marks the item and offers the earlier one. axe-core finds no serious or critical
problem on any of these pages."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from paidpdf.accounts import users
from paidpdf.content import bundles, catalog
from paidpdf.content.item_options import set_options
from paidpdf.sales import promos
from tests.browser import PAGE_SIZES, chromium, shoot_and_check
from tests.payments.shop import FREE, PAID, PASSWORD, Shop, shop_settings


@pytest.mark.browser
def test_codes_stamps_pay_what_you_want_bundles_and_versions(shop: Shop, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    priced = [i for i in shop.store.view("catalog").all("content") if i["price"] and i["id"] != PAID]
    tip_jar = priced[0]["id"]
    catalog.set_price(shop.store, tip_jar, "3+", "usd")
    set_options(shop.store, PAID, stamp=True)
    promos.add(shop.store, "HALF", currency="usd", percent=50)
    bundles.add(shop.store, "set", title="The whole set", price_text="6", currency="usd", items=[PAID, FREE])
    problems: dict[str, list[str]] = {}
    with chromium() as browser:
        url = shop.serve(shop_settings(shop.data_dir, shop.sl.url))
        for size, viewport in PAGE_SIZES.items():
            email = f"reader-{size}@example.com"
            users.sign_up(shop.store, email, PASSWORD)
            context = browser.new_context(accept_downloads=True, viewport=viewport, bypass_csp=True)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{url}/login")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{url}/library")

            page.goto(f"{url}/content/{PAID}?code=half")
            assert "$2.49" in page.content()
            shoot_and_check(page, f"item-with-code-{size}", shots, problems)
            page.get_by_role("button", name="Buy for $2.49").click()
            page.wait_for_url(shop.sl.url + "/pay/**")
            page.get_by_role("button", name="Pay $2.49").click()
            page.wait_for_url(f"{url}/checkout/success**")
            page.get_by_text("Thank you for your purchase!").wait_for()
            with page.expect_download() as info:
                page.get_by_role("link", name="Download PDF").first.click()
            copy = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
            assert f"Licensed to {email}" in copy.pages[0].extract_text()

            page.goto(f"{url}/content/{tip_jar}")
            shoot_and_check(page, f"pay-what-you-want-{size}", shots, problems)
            page.get_by_label("Name your price (at least $3.00)").fill("2")
            page.get_by_role("button", name="Pay").click()
            assert "at least $3.00" in page.get_by_role("alert").inner_text()
            page.get_by_label("Name your price (at least $3.00)").fill("4.25")
            page.get_by_role("button", name="Pay").click()
            page.wait_for_url(shop.sl.url + "/pay/**")
            assert "Pay $4.25" in page.content()

            page.goto(f"{url}/bundles/set")
            shoot_and_check(page, f"bundle-{size}", shots, problems)
            assert "The whole set" in page.content()

            if size == "phone":  # a new version after the phone reader's download: marked for them
                new = tmp_path / "v2.pdf"
                first = catalog.get_item(shop.store, PAID)["sha256"]
                new.write_bytes((shop.data_dir / "content" / first).read_bytes() + b"\n% v2\n")
                catalog.edit_item(shop.store, PAID, pdf=new, notes="A new chapter")
            page.goto(f"{url}/library")
            if size == "phone":
                assert 'class="badge">Updated' in page.content() and "A new chapter" in page.content()
            else:  # the desktop reader bought version 2: nothing newer to mark
                assert 'class="badge">Updated' not in page.content()
            page.get_by_text("Earlier versions").click()
            shoot_and_check(page, f"library-versions-{size}", shots, problems)
            assert page.get_by_role("link", name="Version 1").is_visible()
    assert problems == {}
