"""A French reader in a real browser (Debian's Chromium through Playwright, `Accept-Language: fr-FR`), at
phone and desktop sizes: the catalog, the item page and the success page are in French with euro
prices, the purchase goes through the stand-in's hosted page, and axe-core finds no serious or
critical violation on any of them. Screenshots of each step are kept under the test's tmp dir."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paidpdf.content import catalog, demo
from tests.browser import PAGE_SIZES, chromium, shoot_and_check
from tests.payments.shop import Shop, shop_settings

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
EURO_ITEM = "carnets-de-paris"


@pytest.mark.browser
def test_a_french_reader_sees_french_pages_and_euro_prices_and_pays(shop: Shop, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    pdf = demo.make_sample_pdfs(tmp_path / "samples")[0]
    catalog.add_item(shop.store, pdf, title="Carnets de Paris", price_text="3.99", currency="eur",
                     item_id=EURO_ITEM, description="Des croquis de la ville.")
    problems: dict[str, list[str]] = {}
    with chromium() as browser:
        url = shop.serve(shop_settings(shop.data_dir, shop.sl.url))
        for size, viewport in PAGE_SIZES.items():
            reader = browser.new_context(locale="fr-FR", extra_http_headers=FRENCH, viewport=viewport,
                                         bypass_csp=True)
            page = reader.new_page()
            page.set_default_timeout(15_000)

            page.goto(url + "/")
            assert page.locator("html").get_attribute("lang") == "fr"
            assert page.get_by_role("link", name="Catalogue").count() >= 1
            card = page.locator("li.card", has_text="Carnets de Paris")
            assert re.search(r"3,99\s?€", card.inner_text()), card.inner_text()  # euros, the French way
            shoot_and_check(page, f"catalogue-{size}", shots, problems)

            page.goto(f"{url}/content/{EURO_ITEM}")
            assert page.locator("html").get_attribute("lang") == "fr"
            assert "Pas besoin de compte" in page.content()
            buy = page.get_by_role("button", name=re.compile(r"^Acheter pour 3,99\s?€$"))
            shoot_and_check(page, f"article-{size}", shots, problems)
            buy.click()

            page.wait_for_url(shop.sl.url + "/pay/**")  # the stand-in's hosted page
            page.get_by_label("Email").fill(f"lecteur-{size}@example.com")
            page.screenshot(path=str(shots / f"paiement-{size}.png"), full_page=True)
            page.get_by_role("button", name="Pay €3.99").click()

            page.wait_for_url(f"{url}/checkout/success**")
            page.get_by_text("Merci pour votre achat !").wait_for()
            assert page.locator("html").get_attribute("lang") == "fr"
            assert page.get_by_role("link", name="Télécharger le PDF").count() >= 1
            shoot_and_check(page, f"merci-{size}", shots, problems)
            reader.close()
    assert problems == {}
    written = sorted(p.name for p in shots.glob("*.png"))
    for size in PAGE_SIZES:
        for step in ("catalogue", "article", "paiement", "merci"):
            assert f"{step}-{size}.png" in written
            assert (shots / f"{step}-{size}.png").stat().st_size > 1000
