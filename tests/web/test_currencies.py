"""Prices in the visitor's currency: chosen with the selector (a cookie), or from the trusted proxy's
country header, else the shop's; the anonymous page caches never hand one currency's page to another."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from webtest import TestApp

from paidpdf.admin.site_server import build_server, server_url
from paidpdf.content import bundles, catalog
from paidpdf.memberships import plans
from tests.web.site import FREE, PAID, REMOTE, Site, login

BOTH_BACKENDS = True  # every site test here also runs on PostgreSQL

PROXY = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": REMOTE}  # what the trusted proxy passes on


@pytest.fixture
def priced(site: Site) -> Site:
    """The seeded shop with PAID sold in four currencies, a bundle in two and a plan in two."""
    catalog.set_price(site.store, PAID, "21.37", "usd", also=["eur:18.99", "gbp:15.99", "jpy:3000"])
    bundles.add(site.store, "pair", title="Pair", price_text="25", currency="usd",
                items=[PAID, "watercolour-in-ten-lessons"], also=["eur:23"])
    plans.add(site.store, "all", title="All", price_text="9.99", currency="usd", also=["eur:8.99"])
    return site


def price_of(app: TestApp, path: str, **environ: Any) -> str:
    page = app.get(path, extra_environ=environ)
    found = page.html.find(class_="price")
    assert found is not None
    return str(found.get_text(" ", strip=True))


def test_the_selector_sets_a_cookie_and_every_page_shows_that_currency(priced: Site) -> None:
    app = priced.app
    assert price_of(app, f"/content/{PAID}") == "$21.37"
    selector = app.get("/").html.find("nav", attrs={"aria-label": "Currency"})
    assert selector is not None
    assert [o["value"] for o in selector.find_all("option")] == ["usd", "eur", "gbp", "jpy"]
    answer = app.get("/currency", {"c": "eur", "next": f"/content/{PAID}"}, status=303)
    assert answer.headers["Location"] == f"/content/{PAID}"
    cookie = answer.headers["Set-Cookie"]
    assert "currency=eur" in cookie and "Max-Age=31536000" in cookie
    assert price_of(app, f"/content/{PAID}") == "€18.99"
    assert "€18.99" in app.get("/").text and "$21.37" not in app.get("/").text
    assert price_of(app, "/bundles/pair") == "€23.00"
    assert "€8.99" in app.get("/membership").text
    app.get("/currency", {"c": "jpy", "next": "/"}, status=303)
    assert price_of(app, f"/content/{PAID}") == "¥3,000"
    assert price_of(app, "/bundles/pair") == "$25.00"  # the bundle has no JPY price: its own
    app.get("/currency", {"c": "gbp", "next": "/"}, status=303)
    assert price_of(app, f"/content/{PAID}") == "£15.99"
    assert price_of(app, f"/content/{FREE}") == "Free"


def test_the_selector_refuses_unknown_currencies_and_foreign_next(priced: Site) -> None:
    app = priced.app
    assert app.get("/currency", {"c": "chf", "next": "/"}, status=400)
    assert app.get("/currency", {"c": "x" * 9}, status=400)
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        assert app.get("/currency", {"c": "eur", "next": target}, status=303).headers["Location"] == "/"


def test_the_country_header_counts_only_through_the_trusted_proxy(
    priced: Site, site_with: Callable[..., Site]
) -> None:
    proxied = site_with(country_header="CF-IPCountry").app
    assert price_of(proxied, f"/content/{PAID}", HTTP_CF_IPCOUNTRY="DE", **PROXY) == "€18.99"
    assert price_of(proxied, f"/content/{PAID}", HTTP_CF_IPCOUNTRY="GB", **PROXY) == "£15.99"
    assert price_of(proxied, f"/content/{PAID}", HTTP_CF_IPCOUNTRY="JP", **PROXY) == "¥3,000"
    assert price_of(proxied, f"/content/{PAID}", HTTP_CF_IPCOUNTRY="CN", **PROXY) == "$21.37"  # no CNY
    assert price_of(proxied, f"/content/{PAID}", HTTP_CF_IPCOUNTRY="XX", **PROXY) == "$21.37"
    # Straight from a client (no X-Forwarded-For: `serve` keeps it only from the trusted proxy).
    assert price_of(proxied, f"/content/{PAID}", HTTP_CF_IPCOUNTRY="DE") == "$21.37"
    # Without PAIDPDF_COUNTRY_HEADER the header means nothing.
    assert price_of(priced.app, f"/content/{PAID}", HTTP_CF_IPCOUNTRY="DE", **PROXY) == "$21.37"
    # The reader's own choice wins over their country.
    proxied.get("/currency", {"c": "gbp", "next": "/"}, status=303)
    assert price_of(proxied, f"/content/{PAID}", HTTP_CF_IPCOUNTRY="DE", **PROXY) == "£15.99"
    vary = proxied.get(f"/content/{PAID}").headers["Vary"]
    assert "Cookie" in vary and "CF-IPCountry" in vary


def test_a_eur_visitor_never_gets_a_cached_usd_page(priced: Site, site_with: Callable[..., Site]) -> None:
    site = site_with(country_header="CF-IPCountry")
    usd, eur = site.app, TestApp(site.app.app, extra_environ={"REMOTE_ADDR": REMOTE})
    for path in ("/", f"/content/{PAID}", "/?sort=price", f"/content/{PAID}"):
        assert "$21.37" in usd.get(path).text  # fills the anonymous caches with USD pages
    kept = site.app.app.web.anonymous_pages.kept_keys()
    assert any(k.startswith("en:usd:") for k in kept) and not any(":eur:" in k for k in kept)  # lang:cur:path
    for path in ("/", f"/content/{PAID}", "/?sort=price"):
        by_header = eur.get(path, extra_environ={"HTTP_CF_IPCOUNTRY": "AT", **PROXY}).text
        assert "€18.99" in by_header and "$21.37" not in by_header
    eur.get("/currency", {"c": "eur", "next": "/"}, status=303)
    for path in ("/", f"/content/{PAID}"):
        page = eur.get(path)
        assert "€18.99" in page.text and "$21.37" not in page.text and "Cookie" in page.headers["Vary"]
        assert "$21.37" in usd.get(path).text  # and the USD visitor still gets USD
    assert any(k.startswith("en:eur:") for k in site.app.app.web.anonymous_pages.kept_keys())


def test_a_logged_in_reader_sees_their_currency_too(priced: Site) -> None:
    login(priced.app, "reader@example.com")
    priced.app.get("/currency", {"c": "eur", "next": "/library"}, status=303)
    page = priced.app.get(f"/content/{PAID}")
    assert "Buy for €18.99" in page.text


def test_through_a_real_server_only_the_trusted_proxy_sets_the_country(
    priced: Site, site_with: Callable[..., Site]
) -> None:
    site = site_with(country_header="CF-IPCountry")
    german = {"X-Forwarded-For": "198.51.100.4", "CF-IPCountry": "DE"}
    for trusted, expected in (("127.0.0.1", "€18.99"), ("192.0.2.1", "$21.37"), (None, "$21.37")):
        options = {"trusted_proxy": trusted} if trusted else {}
        server = build_server(site.settings, host="127.0.0.1", port=0, store=site.store, **options)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            request = urllib.request.Request(server_url(server) + f"/content/{PAID}", headers=german)
            with urllib.request.urlopen(request, timeout=10) as answer:
                page = answer.read().decode()
        finally:
            server.close()
            thread.join(5)
        assert expected in page, (trusted, expected)
