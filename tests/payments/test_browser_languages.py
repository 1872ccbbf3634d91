"""A French reader in a real browser (Debian's Chromium through Playwright, `Accept-Language: fr-FR`), at
phone and desktop sizes: the catalog is in French, the reader picks euros in the (French) currency
selector, the catalog and the item page show the item's euro price written the French way, the
purchase goes through the stand-in's hosted page in euros, and the success page thanks them in
French; axe-core finds no serious or critical violation on any of these pages. Screenshots of each
step are kept under the test's tmp dir."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paidpdf.content import catalog
from tests.browser import PAGE_SIZES, chromium, shoot_and_check
from tests.payments.shop import PAID, Shop, shop_settings

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
EURO = re.compile(r"4,50\s€")  # CLDR French: a comma and a (no-break) space before the sign


@pytest.mark.browser
def test_a_french_reader_sees_french_pages_and_euro_prices_and_pays(shop: Shop, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    catalog.set_price(shop.store, PAID, "4.99", "usd", also=["eur:4.50"])
    title = catalog.get_item(shop.store, PAID)["title"]
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
            page.get_by_label("Prix en").select_option("eur")  # the currency selector, in French
            page.get_by_role("button", name="Afficher").click()
            page.wait_for_load_state()
            card = page.locator("li.card", has_text=title)
            assert EURO.search(card.inner_text()), card.inner_text()
            shoot_and_check(page, f"catalogue-{size}", shots, problems)

            page.goto(f"{url}/content/{PAID}")
            assert page.locator("html").get_attribute("lang") == "fr"
            assert "Pas besoin de compte" in page.content()
            buy = page.get_by_role("button", name=re.compile(r"^Acheter pour 4,50\s€$"))
            shoot_and_check(page, f"article-{size}", shots, problems)
            buy.click()

            page.wait_for_url(shop.sl.url + "/pay/**")  # the stand-in's hosted page
            page.get_by_label("Email").fill(f"lecteur-{size}@example.com")
            page.screenshot(path=str(shots / f"paiement-{size}.png"), full_page=True)
            page.get_by_role("button", name="Pay €4.50").click()

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
