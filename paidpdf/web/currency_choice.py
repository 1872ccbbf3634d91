"""Which currency a visitor sees and pays in: their choice (the selector, remembered in a cookie),
else their country from the proxy's header (`PAIDPDF_COUNTRY_HEADER`), else the shop's currency.

Why the header is believed only with `X-Forwarded-For` present: under `paidpdf serve`, that header
survives only from the `--trusted-proxy` peer (waitress clears it from any other peer, and
`forwarded.watching` drops it when no proxy is trusted), so a country header arriving with it was
set, or passed on, by the proxy the shop was told about. The choice is never a security decision
(anyone may pick any offered currency with the selector), but a client that bypasses the proxy must
not pick its country by header. The selector's form is `GET /currency` (`pages.choose_currency`).

Pages that show prices depend on the currency, so the anonymous page caches key on it and answers
carry `Vary: Cookie` (plus the country header when one is configured).
"""

from __future__ import annotations

from typing import Any

from bottle import request

from paidpdf.config import Settings
from paidpdf.currency_prices import pick
from paidpdf.errors import InvalidInput, StorageError
from paidpdf.languages import N_
from paidpdf.web import vary
from paidpdf.web.catalog_cache import CatalogCache
from paidpdf.web.cookies import Cookies

#: The cookie holding the visitor's chosen currency (a three-letter code, nothing secret).
COOKIE = "currency"
#: A year: the choice is a preference, like a language.
COOKIE_AGE = 365 * 24 * 3600
_ENV_KEY = "paidpdf.currency"
_OFFERED_KEY = "paidpdf.currencies_offered"


class CurrencyChoice:
    """Per-request answers about the visitor's currency (looked up once, kept in the environ)."""

    def __init__(self, settings: Settings, cookies: Cookies, catalog_cache: CatalogCache) -> None:
        self._settings = settings
        self._cookies = cookies
        self._catalog_cache = catalog_cache
        self._header_key = (
            "HTTP_" + settings.country_header.upper().replace("-", "_") if settings.country_header else None
        )

    def offered(self) -> list[str]:
        """The shop's currency first, then every other currency something is priced in (read once
        per request: on PostgreSQL the catalog's version is a query)."""
        environ = request.environ
        if _OFFERED_KEY not in environ:
            default = self._settings.currency
            environ[_OFFERED_KEY] = [default, *(c for c in self._catalog_cache.currencies() if c != default)]
        found: list[str] = environ[_OFFERED_KEY]
        return found

    def country(self) -> str | None:
        """The visitor's country from the proxy's header, only when it came through the trusted proxy."""
        if self._header_key is None or not request.environ.get("HTTP_X_FORWARDED_FOR"):
            return None
        value = request.environ.get(self._header_key)
        return str(value)[:8] if value else None

    def current(self) -> str:
        """The currency this visitor sees prices in and pays in."""
        environ = request.environ
        if _ENV_KEY not in environ:
            environ[_ENV_KEY] = pick(
                self._cookies.get(COOKIE), self.country(), self.offered(), self._settings.currency
            )
            self.vary()  # once, with the decision (a page asks several times)
        found: str = environ[_ENV_KEY]
        return found

    def vary(self) -> None:
        """Tell caches that the page differs by the cookie (and the country header, when used)."""
        names = ["Cookie", *([self._settings.country_header] if self._settings.country_header else [])]
        vary.add(*names)

    def choose(self, code: str) -> None:
        """Remember the visitor's choice; only a currency the shop offers is accepted."""
        wanted = code.strip().lower()
        if wanted not in self.offered():
            raise InvalidInput(N_("this shop has no prices in that currency"))
        self._cookies.set(COOKIE, wanted, COOKIE_AGE)
        request.environ[_ENV_KEY] = wanted

    def selector(self) -> dict[str, Any] | None:
        """What the currency selector shows (None when the shop sells in one currency only, or when
        the catalog cannot be read: the 500 page of a damaged catalog must still render)."""
        try:
            offered = self.offered()
        except StorageError:
            return None
        if len(offered) < 2:
            return None
        return {"current": self.current(), "choices": offered, "next": request.path}

