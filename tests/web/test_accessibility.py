"""axe-core (the npm package, injected by Playwright into Debian's Chromium) on the reader's pages, at
phone and desktop sizes, in light and dark mode: no serious or critical violation."""

from __future__ import annotations

import pytest

from paidpdf.memberships import plans
from paidpdf.store import Store
from tests.browser import axe_violations as _violations
from tests.browser import chromium
from tests.web.site import FREE, PASSWORD, Served

SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}


@pytest.mark.browser
def test_no_serious_or_critical_violations(served: Served) -> None:
    plans.add(Store(served.data_dir), "all-access", title="All Access", price_text="9.99", currency="usd",
              interval="month", trial_days=7, description="Every *booklet*.")  # the Membership page's card
    problems: dict[str, list[str]] = {}
    with chromium() as browser:
        for size, viewport in SIZES.items():
            for scheme in ("light", "dark"):
                # the site's CSP forbids scripts; the test injects axe through the browser itself
                context = browser.new_context(viewport=viewport, color_scheme=scheme, bypass_csp=True)
                page = context.new_page()
                page.set_default_timeout(15_000)
                pages = ["/", f"/content/{FREE}", "/membership", "/login", "/signup", "/forgot", "/nope"]
                for path in pages:
                    page.goto(served.url + path)
                    for v in _violations(page):
                        problems.setdefault(f"{path} {size} {scheme}", []).append(f"{v['id']}: {v['help']}")
                page.goto(served.url + "/login")
                page.get_by_label("Email").fill("reader@example.com")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_url("**/library")
                for path in ("/library", "/membership", "/account/password", "/checkout/cancel"):
                    page.goto(served.url + path)
                    for v in _violations(page):
                        problems.setdefault(f"{path} {size} {scheme}", []).append(f"{v['id']}: {v['help']}")
                # the library with the reader's private feed links shown (docs/feeds.md)
                page.goto(served.url + "/library")
                page.get_by_role("button", name="feed link").click()
                page.wait_for_url("**/library#feed")
                assert page.get_by_label("Audio (podcast feed)").input_value().endswith("/podcast.xml")
                shown = f"/library#feed {size} {scheme}"
                for v in _violations(page):
                    problems.setdefault(shown, []).append(f"{v['id']}: {v['help']}")
                context.close()
    assert problems == {}
