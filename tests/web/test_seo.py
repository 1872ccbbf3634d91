"""What search engines and link previews get: canonical URLs, Open Graph, Product data, sitemap, robots."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

from paidpdf.content import bundles, catalog, demo
from tests.web.site import PAID, RETIRED, Site

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL

BASE = "http://127.0.0.1:8080"  # the site fixture's PAIDPDF_BASE_URL default


def test_item_pages_carry_canonical_open_graph_and_product_data(site: Site) -> None:
    item = site.item(PAID)
    page = site.app.get(f"/content/{PAID}", headers={"Host": "evil.example"})
    head = page.html.head
    assert head.find("link", rel="canonical")["href"] == f"{BASE}/content/{PAID}"  # never the Host header
    og = {m["property"]: m["content"] for m in head.find_all("meta", property=True)}
    assert og["og:title"] == item["title"] and og["og:type"] == "product"
    assert og["og:image"] == f"{BASE}/covers/{item['cover']}"
    assert head.find("meta", attrs={"name": "twitter:card"})["content"] == "summary_large_image"
    data = json.loads(head.find("script", type="application/ld+json").string)
    assert data["@type"] == "Product" and data["sku"] == PAID
    assert data["offers"]["price"] == "4.99" and data["offers"]["priceCurrency"] == "USD"
    assert data["offers"]["availability"] == "https://schema.org/InStock"


def test_json_ld_cannot_be_closed_by_a_title(site: Site, tmp_path: Path) -> None:
    pdf = demo.make_sample_pdfs(tmp_path)[0]
    catalog.add_item(site.store, pdf, title="</script><script>alert(1)</script> & co", price_text="0",
                     currency="usd", item_id="sneaky")
    page = site.app.get("/content/sneaky")
    scripts = page.html.find_all("script")
    assert len(scripts) == 1 and scripts[0]["type"] == "application/ld+json"
    assert json.loads(scripts[0].string)["name"] == "</script><script>alert(1)</script> & co"
    assert "</script><script>" not in page.text


def test_sitemap_lists_the_catalog_and_robots_keeps_out_of_private_pages(site: Site) -> None:
    items = catalog.list_items(site.store)
    bundles.add(site.store, "the-set", title="The set", price_text="5", currency="usd",
                items=[items[0]["id"], items[1]["id"]])
    bundles.add(site.store, "old-set", title="Old set", price_text="5", currency="usd",
                items=[items[0]["id"], items[1]["id"]])
    bundles.set_status(site.store, "old-set", "retired")
    xml = site.app.get("/sitemap.xml")
    assert xml.content_type == "application/xml"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in ElementTree.fromstring(xml.body).findall("s:url/s:loc", ns)]  # noqa: S314 - our own XML
    expected = [f"{BASE}/"] + [f"{BASE}/content/{i['id']}" for i in items] + [f"{BASE}/bundles/the-set"]
    assert locs == expected and f"{BASE}/content/{RETIRED}" not in locs
    robots = site.app.get("/robots.txt").text
    assert "Disallow: /library" in robots and "Disallow: /checkout/" in robots
    assert f"Sitemap: {BASE}/sitemap.xml" in robots


def test_catalog_pages_are_canonical_with_their_query(site: Site) -> None:
    head = site.app.get("/?sort=price&page=1").html.head
    assert head.find("link", rel="canonical")["href"] == f"{BASE}/?sort=price"
