"""A guest joins a membership in a real browser (Debian's Chromium through Playwright), at phone and
desktop sizes: Join on /membership with only an email on the stand-in's hosted page, the welcome mail's
sign-in link (a real SMTP server), an included item read from the library and its page, "Manage
membership" to the stand-in's customer portal, and Cancel there, confirmed by mail. axe-core finds no
serious or critical problem on any of the shop's pages; screenshots go to a folder named in the output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paidpdf.content import catalog
from paidpdf.memberships import plans, subscriptions
from paidpdf.store import SALES
from tests.browser import PAGE_SIZES, chromium, shoot_and_check
from tests.payments.shop import PAID, Shop, shop_settings, wait_until
from tests.smtp import smtp_catcher


@pytest.mark.browser
def test_a_guest_joins_reads_and_cancels(shop: Shop, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    plans.add(shop.store, "all-access", title="All Access", price_text="9.99", currency="usd",
              interval="month", description="Every booklet, and every one we add.")
    item = catalog.get_item(shop.store, PAID)
    pdf = (shop.data_dir / "content" / item["sha256"]).read_bytes()
    problems: dict[str, list[str]] = {}
    with smtp_catcher() as smtp, chromium() as browser:
        url = shop.serve(shop_settings(shop.data_dir, shop.sl.url, smtp_url=f"smtp://127.0.0.1:{smtp.port}"))
        for size, viewport in PAGE_SIZES.items():
            email = f"member-{size}@example.com"
            guest = browser.new_context(accept_downloads=True, viewport=viewport, bypass_csp=True)
            page = guest.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{url}/")
            page.get_by_role("link", name="Membership").click()
            page.wait_for_url(f"{url}/membership")
            assert "$9.99" in page.content() and "per month" in page.content()
            shoot_and_check(page, f"membership-guest-{size}", shots, problems)
            page.get_by_role("button", name="Join All Access").click()
            page.wait_for_url(shop.sl.url + "/pay/**")
            page.get_by_label("Email").fill(email)
            page.screenshot(path=str(shots / f"checkout-{size}.png"), full_page=True)
            page.get_by_role("button", name="Subscribe · $9.99").click()
            page.wait_for_url(f"{url}/membership/success**")
            page.get_by_text("Welcome to All Access!").wait_for()
            assert "Check your email" in page.content() and email not in page.content()
            shoot_and_check(page, f"welcome-{size}", shots, problems)

            # the welcome mail signs the new member in; the library has the covered items
            arrived = lambda to=email: any(  # noqa: E731
                to in m["To"] and "Welcome" in m["Subject"] for m in smtp.messages
            )
            wait_until(arrived, what=f"the welcome mail to {email}")
            welcome = next(m for m in smtp.messages if email in m["To"] and "Welcome" in m["Subject"])
            link = re.search(r"http://\S+/signin/\S+", welcome.get_content())
            assert link is not None
            page.goto(link.group(0))
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/library")
            assert "Included in All Access" in page.content() and item["title"] in page.content()
            shoot_and_check(page, f"library-member-{size}", shots, problems)
            page.get_by_role("link", name=item["title"], exact=True).click()
            page.wait_for_url(f"{url}/content/{PAID}")
            assert "Included in your membership" in page.content() and "Buy for" not in page.content()
            shoot_and_check(page, f"item-member-{size}", shots, problems)
            with page.expect_download() as info:
                page.get_by_role("link", name="Download PDF").click()
            target = tmp_path / f"read-{size}.pdf"
            info.value.save_as(target)
            assert target.read_bytes()[:5] == b"%PDF-" and len(target.read_bytes()) >= len(pdf)

            # Manage membership: the customer portal, where the member cancels
            page.goto(f"{url}/membership")
            assert "renews" in page.content()
            shoot_and_check(page, f"membership-member-{size}", shots, problems)
            page.get_by_role("button", name="Manage membership").click()
            page.wait_for_url(shop.sl.url + "/**")
            page.screenshot(path=str(shots / f"portal-{size}.png"), full_page=True)
            page.get_by_role("button", name="Cancel subscription").click()
            page.get_by_role("button", name="Resume subscription").wait_for()
            user_id = next(
                u["id"] for u in shop.store.view("accounts").all("users") if u["email"] == email
            )

            def set_to_cancel(uid: str = user_id) -> bool:
                found = shop.store.view(SALES).find(subscriptions.SUBSCRIPTIONS, "user_id", uid)
                return bool(found) and bool(found[0]["cancel_at_period_end"])

            wait_until(set_to_cancel, what="the cancellation to reach the shop")
            page.goto(f"{url}/membership")
            assert "access until" in page.content()
            shoot_and_check(page, f"membership-canceled-{size}", shots, problems)
            page.goto(f"{url}/content/{PAID}")
            assert "Included in your membership" in page.content()  # still reading until the period end
            canceled = lambda to=email: any(  # noqa: E731
                to in m["To"] and "canceled" in m["Subject"] for m in smtp.messages
            )
            wait_until(canceled, what=f"the cancellation mail to {email}")
    assert problems == {}
