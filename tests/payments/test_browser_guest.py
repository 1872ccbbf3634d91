"""A guest in a real browser (Debian's Chromium through Playwright), at phone and desktop sizes: buys with
only an email on the stand-in's hosted page, downloads the file from the success page without being
signed in (the checkout cookie proves nothing about the address paid with); another browser opening
the same success URL gets no access; the receipt with a sign-in link arrives in a real SMTP server
(aiosmtpd), the link signs in once only, and that session may set the first password. Screenshots go
to a folder named in the output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paidpdf.accounts import users
from paidpdf.content import catalog
from tests.browser import PAGE_SIZES, chromium, shoot_and_check
from tests.payments.shop import PAID, Shop, shop_settings, wait_until
from tests.smtp import smtp_catcher


@pytest.mark.browser
def test_a_guest_buys_with_only_an_email(shop: Shop, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    item = catalog.get_item(shop.store, PAID)
    pdf = (shop.data_dir / "content" / item["sha256"]).read_bytes()
    problems: dict[str, list[str]] = {}
    with smtp_catcher() as smtp, chromium() as browser:
        url = shop.serve(shop_settings(shop.data_dir, shop.sl.url, smtp_url=f"smtp://127.0.0.1:{smtp.port}"))
        for size, viewport in PAGE_SIZES.items():
            email = f"guest-{size}@example.com"
            buyer = browser.new_context(accept_downloads=True, viewport=viewport, bypass_csp=True)
            page = buyer.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{url}/content/{PAID}")
            shoot_and_check(page, f"item-guest-{size}", shots, problems)
            page.get_by_role("button", name="Buy for $4.99").click()
            page.wait_for_url(shop.sl.url + "/pay/**")
            page.get_by_label("Email").fill(email)
            page.screenshot(path=str(shots / f"checkout-{size}.png"), full_page=True)
            page.get_by_role("button", name="Pay $4.99").click()
            page.wait_for_url(f"{url}/checkout/success**")
            page.get_by_text("Thank you for your purchase!").wait_for()
            assert email not in page.content()  # not signed in: the account is entered by mail only
            success_url = page.url
            shoot_and_check(page, f"success-{size}", shots, problems)
            with page.expect_download() as info:
                page.get_by_role("link", name="Download PDF").first.click()
            target = tmp_path / f"bought-{size}.pdf"
            info.value.save_as(target)
            assert target.read_bytes() == pdf
            assert not [c for c in buyer.cookies() if c["name"] == "paidpdf_session"]
            page.goto(f"{url}/library")
            assert "/login" in page.url

            other = browser.new_context(viewport=viewport, bypass_csp=True).new_page()  # a second browser
            other.goto(success_url)
            assert "Check your email" in other.content() and "Download PDF" not in other.content()
            shoot_and_check(other, f"success-elsewhere-{size}", shots, problems)
            other.goto(f"{url}/library")
            assert "/login" in other.url

            arrived = lambda to=email: any(to in m["To"] for m in smtp.messages)  # noqa: E731
            wait_until(arrived, what=f"the receipt to {email}")
            receipt = next(m for m in smtp.messages if email in m["To"])
            link = re.search(r"http://\S+/signin/\S+", receipt.get_content())
            assert link is not None and item["title"] in receipt["Subject"]
            reader = browser.new_context(viewport=viewport, bypass_csp=True).new_page()
            reader.goto(link.group(0))
            assert email in reader.content()  # the page names the account the link is for
            reader.get_by_role("button", name="Sign in").click()
            reader.wait_for_url("**/library")
            assert item["title"] in reader.content()
            shoot_and_check(reader, f"library-{size}", shots, problems)
            reader.goto(f"{url}/account/password")
            assert "Set a password" in reader.content() and "New password again" in reader.content()
            shoot_and_check(reader, f"set-password-{size}", shots, problems)
            late = browser.new_context(viewport=viewport).new_page()
            late.goto(link.group(0))
            assert "invalid, already used or has expired" in late.content()
            assert users.require_user(shop.store, email)["password_hash"] is None
    assert problems == {}
