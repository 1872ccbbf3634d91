"""Which language a request is answered in, decided once per request and kept in its environ.

The order (docs/languages.md): `?lang=` on the URL (what `hreflang` alternates and shared links carry),
then the `paidpdf_lang` cookie the language selector sets, then the browser's `Accept-Language`, then
the shop's default (`paidpdf shop set --locale de`), then English. Every page whose words depend on
that answers with `Vary: Accept-Language, Cookie`, so no shared cache hands a German page to a French
reader; the site's own page caches key their pages on the language too.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from babel.support import NullTranslations
from bottle import request

from paidpdf import languages
from paidpdf.web import security, vary
from paidpdf.web.cookies import Cookies
from paidpdf.web.request_fields import query, raw_header

LANG_COOKIE = "paidpdf_lang"
#: The selector's choice is remembered for a year.
COOKIE_AGE = 365 * 24 * 3600
_KEY = "paidpdf.locale"
VARY = ("Accept-Language", "Cookie")


def current(shop_default: Callable[[], str], cookies: Cookies) -> str:
    """This request's language (see the module docstring), decided on first use; `shop_default` gives
    the shop's own language (`CatalogCache.shop_locale`, read once per catalog version)."""
    found = request.environ.get(_KEY)
    if found is None:
        found = (
            languages.known(query("lang", 20))
            or languages.known(cookies.get(LANG_COOKIE))
            or languages.negotiate(raw_header("Accept-Language"))
            or shop_default()
        )
        request.environ[_KEY] = found
        add_vary()
    return str(found)


def add_vary() -> None:
    """`Vary: Accept-Language, Cookie` on this response, kept beside any Vary already set."""
    vary.add(*VARY)


def translations(shop_default: Callable[[], str], cookies: Cookies) -> NullTranslations:
    return languages.translations(current(shop_default, cookies))


def choose(cookies: Cookies) -> str:
    """The selector's GET: remember `?lang=` in the cookie and return where to go back to."""
    code = languages.known(query("lang", 20))
    if code is not None:
        cookies.set(LANG_COOKIE, code, COOKIE_AGE)
    return security.safe_next(query("next", 2000), "/")


def selector_links(path: str, query_string: str) -> list[dict[str, str]]:
    """The footer's language links: each goes through `/language`, which sets the cookie and comes back."""
    back = path + (f"?{_without_lang(query_string)}" if _without_lang(query_string) else "")
    return [
        {"code": code, "name": languages.display_name(code),
         "href": "/language?" + urlencode({"lang": code, "next": back})}
        for code in languages.LOCALES
    ]


def alternates(base: str, path: str) -> list[dict[str, str]]:
    """`hreflang` alternates of a public page: one URL per language plus `x-default` (the bare URL,
    which negotiates)."""
    joiner = "&" if "?" in path else "?"
    links = [{"hreflang": code, "href": f"{base}{path}{joiner}lang={code}"} for code in languages.LOCALES]
    return [*links, {"hreflang": "x-default", "href": f"{base}{path}"}]


def _without_lang(query_string: str) -> str:
    parts = [p for p in query_string.split("&") if p and not p.startswith("lang=")]
    return "&".join(parts)
