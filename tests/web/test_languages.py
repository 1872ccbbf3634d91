"""Pages in the reader's language: every reader page renders in English, German, French and Spanish
with no English message left; the language comes from `?lang=`, then the selector's cookie, then
Accept-Language, then the shop's default (`shop set --locale`); caches never hand a page in one
language to a reader of another; public pages carry `lang` and `hreflang` alternates."""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import urlencode

from babel.messages.pofile import read_po
from webtest import TestApp

from paidpdf import languages
from paidpdf.content import bundles
from paidpdf.memberships import plans
from tests.web.site import FREE, PAID, Site, login

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL

TRANSLATED = ("de", "fr", "es")
ANONYMOUS_PAGES = ("/", f"/content/{PAID}", f"/content/{FREE}", "/bundles/starter", "/login", "/signup",
                   "/forgot", "/membership", "/checkout/cancel", "/signup/sent", "/no-such-page",
                   f"/content/{PAID}/download")
READER_PAGES = ("/library", "/account/password", "/membership", "/", f"/content/{PAID}", "/bundles/starter")
WORDS = {"de": "Katalog", "fr": "Catalogue", "es": "Catálogo"}


@cache
def _english_left_over(code: str) -> tuple[str, ...]:
    """Pieces of English that only an untranslated message would put on a page in `code`: every
    msgid (whose translation differs) cut at its placeholders and tags, pieces of 12+ characters."""
    with languages.po_path(code).open("rb") as po:
        catalog = read_po(po, locale=code)
    pieces: set[str] = set()
    for message in catalog:
        if not message.id or isinstance(message.id, tuple) or message.string == message.id:
            continue
        for piece in re.split(r"%\([a-z_]+\)s|\{[a-z_]+\}|<[^>]+>", message.id):
            piece = piece.strip(" .,:;()—–-“”")
            if len(piece) >= 12 and "\n" not in piece:
                pieces.add(piece)
    return tuple(sorted(pieces))


def _prepared(site: Site) -> None:
    """A bundle and a plan, so their pages and cards show too."""
    bundles.add(site.store, "starter", title="Starter set", price_text="7.00", currency="usd",
                items=[PAID, FREE], description="Two booklets.")
    plans.add(site.store, "all-access", title="All Access", price_text="9.99", currency="usd",
              interval="month", trial_days=7, description="Every booklet.")


def _visitor(site: Site, accept: str) -> TestApp:
    return TestApp(site.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", "HTTP_ACCEPT_LANGUAGE": accept})


def _check(page_text: str, code: str, where: str) -> list[str]:
    left = [piece for piece in _english_left_over(code) if piece in page_text]
    problems = [f"{where}: English left: {piece!r}" for piece in left]
    if f'<html lang="{code}">' not in page_text:
        problems.append(f"{where}: not lang={code}")
    return problems


def test_every_reader_page_renders_in_each_language_with_nothing_left_in_english(site: Site) -> None:
    _prepared(site)
    problems: list[str] = []
    for code in TRANSLATED:
        visitor = _visitor(site, f"{code},en;q=0.5")
        for path in ANONYMOUS_PAGES:
            page = visitor.get(path, status="*")
            assert page.status_int in (200, 302, 404), (path, page.status)
            if page.status_int == 302:  # a download for a visitor: the login page
                page = page.follow()
            problems += _check(page.text, code, f"{code} {path}")
        login(visitor, "owner@example.com")
        for path in READER_PAGES:
            page = visitor.get(path)
            problems += _check(page.text, code, f"{code} {path} (reader)")
        assert WORDS[code] in visitor.get("/library").text
    assert problems == []


def test_forms_errors_and_flashes_speak_the_readers_language(site: Site) -> None:
    visitor = _visitor(site, "de-DE")
    refused = login(visitor, "reader@example.com", "wrong password", status=400)
    assert "E-Mail-Adresse oder Passwort falsch" in refused.text
    done = login(visitor, "reader@example.com").follow()
    assert "Sie sind angemeldet." in done.text
    french = _visitor(site, "fr")
    missing = french.get("/content/no-such-item", status=404)
    assert "Page introuvable" in missing.text and "cet article n’existe pas" in missing.text


def test_the_choice_order_is_query_then_cookie_then_accept_language_then_shop_default(site: Site) -> None:
    def lang(app: TestApp, path: str = "/") -> str:
        found = re.search(r'<html lang="([a-z]+)">', app.get(path).text)
        assert found is not None
        return found.group(1)

    plain = _visitor(site, "")
    assert lang(plain) == "en"  # nothing asked, nothing set: English
    assert site.cli("shop", "set", "--locale", "es").exit_code == 0
    assert lang(plain) == "es"  # the shop's default
    browser = _visitor(site, "fr-FR,fr;q=0.9")
    assert lang(browser) == "fr"  # Accept-Language beats the shop's default
    chosen = browser.get("/language?lang=de&next=/content/" + PAID, status=303)
    assert chosen.headers["Location"] == f"/content/{PAID}"  # back where the reader was
    assert lang(browser) == "de"  # the selector's cookie beats Accept-Language
    assert lang(browser, "/?lang=es") == "es"  # ?lang= beats the cookie
    assert lang(browser) == "de"  # ... for that page only
    away = browser.get("/language?lang=fr&next=https://evil.example/", status=303)
    assert away.headers["Location"] == "/"  # never an open redirect
    assert lang(browser, "/?lang=xx") == "fr"  # an unknown ?lang= is ignored
    assert lang(_visitor(site, "ja, it;q=0.8")) == "es"  # no language of ours: the shop's default


def test_a_german_visitor_never_gets_a_cached_english_page(site: Site) -> None:
    _prepared(site)
    english = _visitor(site, "en-US")
    german = _visitor(site, "de-DE")
    for path in ("/", f"/content/{PAID}", "/?page=1&sort=price"):
        first = english.get(path)
        assert english.get(path).text == first.text  # kept for the next English visitor
        page = german.get(path)
        assert '<html lang="de">' in page.text and "Katalog" in page.text
        assert "Skip to content" not in page.text and "Zum Inhalt springen" in page.text
        assert english.get(path).text == first.text  # and English visitors still get English
        for answer in (first, page):
            vary = {v.strip().lower() for v in answer.headers["Vary"].split(",")}
            assert {"accept-language", "cookie"} <= vary, answer.headers["Vary"]
    cards = site.app.app.web.catalog_cache
    assert set(cards._cards) == {"en:usd", "de:usd"}  # the catalog's cards, once per language (and currency)


def test_a_kept_page_carries_no_visitors_query_in_its_language_links(site: Site) -> None:
    """The first visitor of a kept page came with a tracking id and words of their own in the URL: the
    page every later visitor gets links back to the canonical URL, not theirs."""
    _prepared(site)
    first, later = _visitor(site, "en-US"), _visitor(site, "en-US")
    stranger = "fbclid=tracked123&note=hello-from-a-stranger"
    for path, back in ((f"/content/{PAID}", f"/content/{PAID}"), ("/?sort=price", "/?sort=price")):
        first.get(f"{path}{'&' if '?' in path else '?'}{stranger}")
        page = later.get(path).text
        assert "tracked123" not in page and "hello-from-a-stranger" not in page
        assert "/language?" + urlencode({"lang": "de", "next": back}).replace("&", "&amp;") in page


def test_public_pages_carry_lang_and_hreflang_alternates(site: Site) -> None:
    _prepared(site)
    base = site.settings.base_url.rstrip("/")
    for path in (f"/content/{PAID}", "/bundles/starter", "/"):
        page = _visitor(site, "fr").get(path)
        links = {a["hreflang"]: a["href"] for a in page.html.find_all("link", rel="alternate")}
        wanted = {c: f"{base}{path}?lang={c}" for c in languages.LOCALES}
        assert links == {**wanted, "x-default": f"{base}{path}"}
        assert page.html.html["lang"] == "fr"
        assert page.html.find("nav", class_="languages") is not None  # the selector
    assert _visitor(site, "en").get(f"/content/{PAID}?lang=es").html.html["lang"] == "es"


def test_dates_numbers_and_sizes_follow_the_language(site: Site) -> None:
    visitor = _visitor(site, "de")
    login(visitor, "owner@example.com")
    library = visitor.get("/library").text
    assert re.search(r"\d+,\d (KB|MB)", library), "sizes with a decimal comma in German"
    item = _visitor(site, "fr").get(f"/content/{PAID}").text
    assert re.search(r"\d+,\d\s(KB|MB)", item)


def test_shop_set_locale_is_checked_and_shown(site: Site) -> None:
    refused = site.cli("shop", "set", "--locale", "klingon")
    assert refused.exit_code != 0 and "unknown language" in refused.output
    assert "Traceback" not in refused.output
    assert site.cli("shop", "set", "--locale", "FR").exit_code == 0
    shown = site.cli("shop", "show", "--json")
    assert '"locale": "fr"' in shown.output
    assert '<html lang="fr">' in _visitor(site, "").get("/login").text
