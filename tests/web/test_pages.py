"""Pages: catalog, item, library, error pages, escaping, the catalog cache and the stylesheet."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from paidpdf.content import catalog, demo
from tests.web.site import BIG, FREE, PAID, RETIRED, YEN, Site, logged_in, make_site

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL


def _card(page_text: str, content_id: str) -> str:
    start = page_text.index(f'href="/content/{content_id}"')
    return page_text[start : page_text.index("</li>", start)]


def test_catalog_shows_active_items_with_covers_and_prices(site: Site) -> None:
    page = site.app.get("/")
    assert page.status_int == 200
    text = page.text
    for item in catalog.list_items(site.store):
        card = _card(text, item["id"])
        assert f'src="/covers/{item["cover"]}"' in card
        assert f'alt="Cover of {item["title"]}"' in card
    assert "Free" in _card(text, FREE)
    assert "$4.99" in _card(text, PAID)
    assert "¥500" in _card(text, YEN) and "¥500." not in _card(text, YEN)
    assert f'href="/content/{RETIRED}"' not in text
    assert "Owned" not in text
    for img in page.html.find_all("img"):
        assert img.get("alt")


def test_owned_mark_per_reader(site: Site) -> None:
    app = logged_in(site, "owner")
    text = app.get("/").text
    assert "Owned" in _card(text, PAID)
    assert "Owned" not in _card(text, FREE)
    form = app.get("/").html.find("form", attrs={"action": "/logout"})
    app.post("/logout", {"csrf_token": form.find("input")["value"]}, status=303)
    assert "Owned" not in app.get("/").text  # the cached grid is per owned set, not per last reader


def test_catalog_cache_follows_changes(site: Site, tmp_path: Path) -> None:
    assert "$4.99" in _card(site.app.get("/").text, PAID)
    catalog.set_price(site.store, PAID, "7.50", "usd")
    assert "$7.50" in _card(site.app.get("/").text, PAID)
    catalog.retire(site.store, PAID)
    assert f'href="/content/{PAID}"' not in site.app.get("/").text
    pdf = demo.make_sample_pdfs(tmp_path)[0]
    catalog.add_item(site.store, pdf, title="Brand new", price_text="0", currency="usd")
    assert "Brand new" in site.app.get("/").text


def test_item_page_details_and_buy_button(site: Site) -> None:
    item = site.item(PAID)
    anon_page = site.app.get(f"/content/{PAID}")
    anon = anon_page.text
    assert item["title"] in anon and f"{item['pages']}" in anon and "Version" in anon
    guest_buy = anon_page.html.find("form", attrs={"action": f"/checkout/{PAID}"})
    assert guest_buy is not None and "Buy for $4.99" in guest_buy.text and "No account needed" in anon
    app = logged_in(site, "reader")
    page = app.get(f"/content/{PAID}")
    buy = page.html.find("form", attrs={"action": f"/checkout/{PAID}"})
    assert buy is not None and "Buy for $4.99" in buy.text
    assert buy.find("input", attrs={"name": "csrf_token"})["value"]
    big = app.get(f"/content/{BIG}").text
    assert "MB" in big and 'href="/content/big-archive/download"' in big


def test_user_text_is_escaped(site: Site, tmp_path: Path) -> None:
    pdf = demo.make_sample_pdfs(tmp_path)[0]
    catalog.add_item(
        site.store,
        pdf,
        title="<script>alert(1)</script> & co",
        price_text="0",
        currency="usd",
        item_id="xss",
        description='<img src=x onerror="alert(1)">',
    )
    for path in ("/", "/content/xss"):
        text = site.app.get(path).text
        assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in text
        assert "<img src=x" not in text


def test_error_pages_are_styled(site: Site) -> None:
    res = site.app.get("/no/such/page", status=404)
    assert 'class="code">404' in res.text and "/static/site.css" in res.text
    res = site.app.post("/", status=405)
    assert 'class="code">405' in res.text and "GET" in res.headers["Allow"]
    res = site.app.get("/library?x=1", status=302)
    assert res.location.endswith("/login?next=/library%3Fx%3D1")


@pytest.mark.embedded_only(reason="a damaged data file (PostgreSQL's outage: test_postgres_shop.py)")
def test_corrupt_data_gives_a_500_page_without_details(site: Site) -> None:
    path = site.store.path("catalog")
    os.replace(path, path.with_suffix(".bak"))
    path.write_bytes(b"{not json")
    res = site.app.get("/", status=500)
    assert 'class="code">500' in res.text
    assert str(site.data_dir) not in res.text and "Traceback" not in res.text and "corrupt" not in res.text


def test_healthz_and_static(site: Site) -> None:
    assert site.app.get("/healthz").text == "ok\n"
    page = site.app.get("/")
    href = page.html.find("link", attrs={"rel": "stylesheet"})["href"]
    css = site.app.get(href)
    assert css.content_type == "text/css" and "immutable" in css.headers["Cache-Control"]
    site.app.get("/static/..%2fapp.py", status=404)
    site.app.get("/static/app.py", status=404)


def test_oversized_bodies_are_refused(site: Site) -> None:
    res = site.app.post("/login", {"email": "x" * (2 * 1024 * 1024)}, status=413)
    assert res.headers["X-Content-Type-Options"] == "nosniff"


def test_anonymous_item_pages_come_from_a_cache_with_each_browsers_own_token(site: Site) -> None:
    """Rendered once per catalog version, with the CSRF token put in per browser (see `page_cache`)."""
    from webtest import TestApp

    tokens = []
    for _ in range(2):
        visitor = TestApp(site.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        page = visitor.get(f"/content/{PAID}")
        assert "\x00" not in page.text
        token = page.html.find("form", attrs={"action": f"/checkout/{PAID}"}).find(
            "input", attrs={"name": "csrf_token"})["value"]
        tokens.append(token)
        again = visitor.get(f"/content/{PAID}")  # the cached page, this browser's token again
        assert token in again.text
    assert tokens[0] != tokens[1]
    catalog.edit_item(site.store, PAID, title="Renamed while cached")
    assert "Renamed while cached" in TestApp(site.app.app).get(f"/content/{PAID}").text
    reader = logged_in(site, "reader")
    assert "Renamed while cached" in reader.get(f"/content/{PAID}").text


def test_anonymous_catalog_pages_are_kept_per_catalog_version_and_never_stale(site: Site) -> None:
    """The anonymous catalog is rendered once per catalog version (`pages.catalog_page`): a price change
    by another process (the CLI) shows on the next request; a reader who owns an item still sees it
    marked (a logged-in page is kept per reader state: test_reader_page_cache.py); a search is rendered
    per request."""
    from webtest import TestApp

    visitor = TestApp(site.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    first = visitor.get("/").text
    assert visitor.get("/").text == first
    kept = site.app.app.web.anonymous_pages.kept_keys
    assert any(key.startswith("en:usd:/?page=1&") for key in kept())  # the page is in the cache
    assert site.cli("content", "price", PAID, "77.00").exit_code == 0  # another writer, the CLI
    assert "$77.00" in visitor.get("/").text and "$77.00" not in first
    owner = logged_in(site, "owner").get("/").text
    assert owner != visitor.get("/").text  # the owner's page marks what it owns
    assert visitor.get("/?q=zzz-not-there").text.count("card") < first.count("card")
    assert not any("zzz" in key for key in kept())


def _no_token(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


@pytest.mark.parametrize("who", [None, "owner"])
def test_without_page_caches_every_page_is_the_same_and_nothing_is_kept(site: Site, who: str | None) -> None:
    """bench/web.py's uncached figures are honest: `create_app(page_caches=False)` serves the very pages
    `serve` does (same catalog pages, search, sort, item pages; anonymous and logged in), rendering them on
    each request instead of keeping cards and anonymous item pages per catalog version."""
    uncached = make_site(site.data_dir, site.settings, page_caches=False)
    try:
        cached_app, uncached_app = logged_in(site, who), logged_in(uncached, who)
        pages = ("/", "/?q=notes", "/?sort=price", "/?sort=oldest", f"/content/{PAID}", f"/content/{FREE}")
        for path in pages:
            assert _no_token(uncached_app.get(path).text) == _no_token(cached_app.get(path).text), path
        web = uncached.app.app.web
        assert web.catalog_cache._cards == {} and web.anonymous_pages.size() == (0, 0)  # nothing kept
        assert site.app.app.web.catalog_cache._cards != {}  # while the caching site kept its cards
    finally:
        if uncached.settings.database_url:
            uncached.store.close()
