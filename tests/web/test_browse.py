"""Browsing the catalog: pages of 24, search, sort, tags, and what a bad query gets."""

from __future__ import annotations

import re

import pytest

from paidpdf.content import browse, catalog
from paidpdf.errors import InvalidInput
from paidpdf.store import Doc
from tests.web.site import FREE, PAID, Site

BOTH_BACKENDS = True  # every site test here also runs on PostgreSQL

EXTRA = 30


def _ids(page_text: str) -> list[str]:
    return re.findall(r'class="card-link" href="/content/([a-z0-9-]+)"', page_text)


@pytest.fixture
def big_site(site: Site) -> Site:
    """The seeded shop plus 30 cheap copies of one item (distinct ids, titles, prices, dates)."""
    first = site.item(PAID)
    with site.store.unit("catalog") as unit:
        for n in range(EXTRA):
            unit.insert("content", {
                **first, "id": f"extra-{n:02d}", "title": f"Extra volume {n:02d}",
                "description": "A loaf a day." if n % 3 == 0 else "Watercolour skies.",
                "price": 100 + n, "created_at": f"2030-01-01T00:00:{n:02d}Z",
            })
    return site


def _active(site: Site) -> list[Doc]:
    return catalog.list_items(site.store)


def test_pages_of_24_with_links_to_the_next_and_previous(big_site: Site) -> None:
    total = len(_active(big_site))
    first = big_site.app.get("/")
    assert len(_ids(first.text)) == browse.PAGE_SIZE
    assert first.html.find("link", attrs={"rel": "next"})["href"] == "/?page=2"
    assert first.html.find("link", attrs={"rel": "prev"}) is None
    second = big_site.app.get("/?page=2")
    assert len(_ids(second.text)) == total - browse.PAGE_SIZE
    assert second.html.find("link", attrs={"rel": "prev"})["href"] == "/"
    assert set(_ids(first.text)).isdisjoint(_ids(second.text))
    assert "Page 2 of 2" in second.text
    beyond = big_site.app.get("/?page=3")
    assert _ids(beyond.text) == [] and "There is no page 3" in beyond.text


def test_newest_first_by_default_and_by_price_on_request(big_site: Site) -> None:
    newest = _ids(big_site.app.get("/").text)
    assert newest[:3] == ["extra-29", "extra-28", "extra-27"]
    prices = {i["id"]: i["price"] for i in _active(big_site)}
    cheap = _ids(big_site.app.get("/?sort=price").text) + _ids(big_site.app.get("/?sort=price&page=2").text)
    assert [prices[i] for i in cheap] == sorted(prices.values())
    assert cheap[0] == FREE or prices[cheap[0]] == 0
    dear = _ids(big_site.app.get("/?sort=price-desc").text)
    assert prices[dear[0]] == max(prices.values())


def test_search_matches_title_and_description_words(big_site: Site) -> None:
    page = big_site.app.get("/?q=LOAF+day")
    found = _ids(page.text)
    assert {i for i in found if i.startswith("extra-")} == {f"extra-{n:02d}" for n in range(0, EXTRA, 3)}
    for other in (i for i in found if not i.startswith("extra-")):  # seeded items must really match
        item = big_site.item(other)
        text = f"{item['title']} {item['description']}".casefold()
        assert "loaf" in text and "day" in text
    assert f"{len(found)} items matching “LOAF day”" in page.text
    by_title = _ids(big_site.app.get("/?q=volume+07").text)
    assert by_title == ["extra-07"]
    none = big_site.app.get("/?q=%3Cscript%3Ezebra")
    assert _ids(none.text) == [] and "No items match" in none.text
    assert "<script>zebra" not in none.text and "&lt;script&gt;zebra" in none.text


def test_tags_from_the_cli_filter_the_catalog(big_site: Site) -> None:
    def tag(*args: str) -> str:
        result = big_site.cli("content", "tag", *args)
        assert result.exit_code == 0, result.output
        return result.output

    assert "home-baking, bread" in tag("extra-03", "Home Baking", "bread")
    tag("extra-04", "bread")
    page = big_site.app.get("/")
    chips = [a.text for a in page.html.find("nav", attrs={"aria-label": "Tags"}).find_all("a")]
    assert chips == ["All", "bread", "home-baking"]
    assert sorted(_ids(big_site.app.get("/?tag=bread").text)) == ["extra-03", "extra-04"]
    assert _ids(big_site.app.get("/?tag=home-baking&q=loaf").text) == ["extra-03"]
    tag("extra-04", "bread", "--remove")
    assert _ids(big_site.app.get("/?tag=bread").text) == ["extra-03"]


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=abc", "page=9999999", "sort=cheapest"])
def test_a_bad_query_is_a_400_page(site: Site, query: str) -> None:
    page = site.app.get(f"/?{query}", status=400)
    assert 'class="code">400' in page.text


def test_tags_are_checked_before_anything_is_written(site: Site) -> None:
    before = site.item(PAID)
    with pytest.raises(InvalidInput, match="no letters or digits"):
        catalog.tag(site.store, PAID, ["ok", "%%%"])
    with pytest.raises(InvalidInput, match="at most 10 tags"):
        catalog.tag(site.store, PAID, [f"t{n}" for n in range(11)])
    assert site.item(PAID) == before
