"""The front cache's keys: an answer depends on the visitor's language (`?lang=`, the `paidpdf_lang`
cookie, `Accept-Language`) and currency (the `currency` cookie, the trusted proxy's country header), so
each gets answers of its own, whatever the order of visits: a German or EUR visitor never gets an
English or USD answer kept for someone else, nor the other way round."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from webtest import TestApp

from paidpdf.web.front_cache import FrontCache
from tests.web.site import PAID, REMOTE, Site

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL

PATHS = ("/", f"/content/{PAID}")
PROXY = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": REMOTE}  # what the trusted proxy passes on

#: visitor -> (extra environ, query string, the language its pages must be in)
LANGUAGE_VISITORS: dict[str, tuple[dict[str, str], str, str]] = {
    "plain": ({}, "", "en"),
    "accept-language de": ({"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}, "", "de"),
    "accept-language en": ({"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}, "", "en"),
    "?lang=de": ({}, "lang=de", "de"),
    "?lang=en under a German header": ({"HTTP_ACCEPT_LANGUAGE": "de"}, "lang=en", "en"),
    "cookie de": ({"HTTP_COOKIE": "paidpdf_lang=de"}, "", "de"),
    "cookie en under a German header": ({"HTTP_COOKIE": "paidpdf_lang=en", "HTTP_ACCEPT_LANGUAGE": "de"}, "",
                                        "en"),
}


def front(site: Site) -> FrontCache:
    found = site.app.app.front
    assert isinstance(found, FrontCache)
    return found


def _lang(text: str) -> str:
    found = re.search(r'<html lang="([a-z]+)"', text)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("reverse", [False, True], ids=["english-first", "german-first"])
def test_each_language_gets_its_own_kept_answers(site: Site, reverse: bool) -> None:
    """Seven visitors, three ways of asking for a language, visited twice in turn (the second round
    from the front cache): each page is in the visitor's language, never in the one kept before."""
    order = list(LANGUAGE_VISITORS)[::-1] if reverse else list(LANGUAGE_VISITORS)
    for round_ in range(2):
        for name in order:
            environ, query, wanted = LANGUAGE_VISITORS[name]
            visitor = TestApp(site.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", **environ})
            for path in PATHS:
                page = visitor.get(f"{path}?{query}" if query else path)
                assert _lang(page.text) == wanted, (round_, name, path)
                assert ("Katalog" in page.text) == (wanted == "de"), (round_, name, path)
    assert front(site).size()[0] >= 2 * len(PATHS)  # answers were kept, and served in the second round


def _price(visitor: TestApp, path: str, **environ: str) -> str:
    page = visitor.get(path, extra_environ=environ)
    card = page.text[page.text.index(f'href="/content/{PAID}"'):] if path == "/" else page.text
    found = re.search(r"(€18\.99|\$21\.37)", card)
    assert found is not None, path
    return found.group(1)


@pytest.fixture
def priced(site: Site) -> Site:
    """The seeded shop with PAID sold in USD and EUR (the CLI, as an admin would)."""
    result = site.cli("content", "price", PAID, "21.37", "--also", "eur:18.99")
    assert result.exit_code == 0, result.output
    return site


@pytest.mark.parametrize("reverse", [False, True], ids=["usd-first", "eur-first"])
def test_the_currency_cookie_gets_its_own_kept_answers(priced: Site, reverse: bool) -> None:
    """A visitor who chose EUR (the selector's cookie) and one who did not: each sees its own prices on
    every view, whichever visited first."""
    usd = TestApp(priced.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    eur = TestApp(priced.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_COOKIE": "currency=eur"})
    visitors = [(usd, "$21.37"), (eur, "€18.99")]
    for _ in range(3):
        for visitor, wanted in visitors[::-1] if reverse else visitors:
            for path in PATHS:
                assert _price(visitor, path) == wanted, path
    assert front(priced).size()[0] == 2 * len(PATHS)


@pytest.mark.parametrize("reverse", [False, True], ids=["usd-first", "eur-first"])
def test_the_proxys_country_header_gets_its_own_kept_answers(
    priced: Site, site_with: Callable[..., Site], reverse: bool
) -> None:
    """With `PAIDPDF_COUNTRY_HEADER`, a German visitor through the trusted proxy sees EUR; the same
    header straight from a client (no X-Forwarded-For) is not believed, and neither answer is handed to
    the other, nor to a visitor from a country without its own prices."""
    proxied = site_with(country_header="CF-IPCountry")
    visitor = TestApp(proxied.app.app)
    visits: list[tuple[dict[str, str], str]] = [
        ({**PROXY, "HTTP_CF_IPCOUNTRY": "DE"}, "€18.99"),
        ({"REMOTE_ADDR": REMOTE, "HTTP_CF_IPCOUNTRY": "DE"}, "$21.37"),  # not through the proxy
        ({**PROXY, "HTTP_CF_IPCOUNTRY": "US"}, "$21.37"),
        (PROXY, "$21.37"),
        ({**PROXY, "HTTP_CF_IPCOUNTRY": "FR"}, "€18.99"),
    ]
    for _ in range(2):
        for environ, wanted in visits[::-1] if reverse else visits:
            for path in PATHS:
                assert _price(visitor, path, **environ) == wanted, (environ, path)
    # four keys: a header not through the proxy counts as none, like the proxy's answer without one
    assert front(proxied).size()[0] == (len(visits) - 1) * len(PATHS)
