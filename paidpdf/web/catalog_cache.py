"""The rendered catalog grid, cached per version of `catalog.json`.

The catalog page is the busiest page and the catalog changes rarely, so each item's card is rendered
once per version of the catalog (`View.version`, which changes with every commit), in both its "owned"
and "not owned" form. A request then only joins the prepared strings of its page (`content.browse`)
for the reader's owned set. Cards are kept per language (a card's words are the reader's) and per
currency (`currency_prices.shown_in`: each item at its price in the visitor's currency, or its main
price when it has none there), so a EUR visitor never gets USD cards, nor a German one English. The
version is taken *before* the items are read, so a concurrent change can at worst store newer cards
under an older key, which the next request replaces; a stale page is never kept under a new key.

The version is read once per request (`version`) and every part of a page uses it: the currency
choice, the shop's language, the cards and the kept page's key. One read instead of four is one query
on PostgreSQL and two `stat` calls on the data folder, and a page is made from one version throughout.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import jinja2
from bottle import request
from markupsafe import Markup

from paidpdf import languages
from paidpdf.content import browse, bundles, catalog, shop
from paidpdf.currency_prices import currencies_in, shown_in
from paidpdf.errors import StorageError
from paidpdf.memberships import plans
from paidpdf.store import DataStore, Doc

Identity = tuple[Any, ...]
#: This request's catalog version in its environ (`version`; `front_cache` puts the one it read there).
VERSION_KEY = "paidpdf.catalog_version"


def seed_version(environ: dict[str, Any], version: Identity) -> None:
    """This request's catalog version, read before its route ran (`front_cache.answer`)."""
    environ[VERSION_KEY] = version


@dataclass(frozen=True)
class Cards:
    identity: Identity
    items: tuple[Doc, ...]
    plain: dict[str, str]  # item id → its card for a reader who does not own it
    owned: dict[str, str]  # item id → its card with the "Owned" mark
    by_sort: dict[str, list[Doc]] = field(default_factory=dict)  # filled on first use of each sort
    tags: list[str] = field(default_factory=list)  # every tag in use, for the tag filter
    #: Bundles on sale, each with its items' titles, for the first page's "Bundles" section.
    bundles: tuple[tuple[Doc, list[str]], ...] = ()
    locale: str = languages.SOURCE  # the language the cards are in

    def sorted(self, sort: str) -> list[Doc]:
        """The items in `sort` order, computed once per catalog version (a race computes it twice,
        with the same result)."""
        found = self.by_sort.get(sort)
        if found is None:
            found = self.by_sort[sort] = browse.sort_items(self.items, sort)
        return found


class CatalogCache:
    def __init__(
        self, store: DataStore, templates: jinja2.Environment, card: str = "_card.html", *, keep: bool = True
    ) -> None:
        self._store = store
        self._templates = templates
        self._card = card
        self._keep = keep  # False: nothing is kept, only the shown cards are rendered (see `create_app`)
        self._lock = threading.Lock()
        self._cards: dict[str, Cards] = {}  # "language:currency" ("" for main prices) → its cards
        self._currencies: tuple[Identity, list[str]] | None = None
        self._shop_locale: tuple[Identity, str] | None = None

    def version(self) -> Identity:
        """The catalog's version, read on first use in a request and kept in its environ (see the
        module docstring; `front_cache` seeds it with the one it read). Bottle leaves a thread's last
        request bound after it ends, so call this only while handling a request; a thread that never
        handled one reads afresh."""
        try:
            environ = request.environ
        except RuntimeError:  # no request is being handled (a script, a test)
            return self._store.view(catalog.CATALOG).version
        found: Identity | None = environ.get(VERSION_KEY)
        if found is None:
            found = environ[VERSION_KEY] = self._store.view(catalog.CATALOG).version
        return found

    def shop_locale(self) -> str:
        """The shop's own language (`shop set --locale`), English when never set or unreadable; read
        once per catalog version (the shop's identity is in the catalog)."""
        try:
            identity = self.version()
        except StorageError:  # the 500 page of a damaged catalog must still render
            return languages.SOURCE
        found = self._shop_locale
        if found is None or found[0] != identity:
            code = languages.known(shop.identity_or_defaults(self._store).get("locale")) or languages.SOURCE
            found = self._shop_locale = (identity, code)
        return found[1]

    def cards(self, currency: str = "", locale: str = languages.SOURCE) -> Cards:
        """The catalog's cards in `locale` with prices in `currency` where items have one ("" for main
        prices), rendered once per catalog version, language and currency."""
        if not self._keep:
            items = self._items(currency)
            tags = browse.all_tags(items)
            return Cards(
                self.version(), items, {}, {}, tags=tags, bundles=self._bundles(currency), locale=locale
            )
        identity = self.version()
        key = f"{locale}:{currency}"
        current = self._cards.get(key)
        if current is not None and current.identity == identity:
            return current
        with self._lock:
            current = self._cards.get(key)
            if current is not None and current.identity == identity:
                return current
            items = self._items(currency)
            plain = {item["id"]: self._render(item, False, locale) for item in items}
            owned = {item["id"]: self._render(item, True, locale) for item in items}
            on_sale = self._bundles(currency)
            current = Cards(
                identity, items, plain, owned, tags=browse.all_tags(items), bundles=on_sale, locale=locale
            )
            kept = {c: v for c, v in self._cards.items() if v.identity == identity}
            self._cards = {**kept, key: current}
            return current

    def _render(self, item: Doc, owned: bool, locale: str) -> str:
        return self._templates.get_template(self._card).render(
            item=item, owned=owned, locale=locale, i18n=languages.translations(locale)
        )

    def currencies(self) -> list[str]:
        """Every currency an item, bundle or plan on sale has a price in (once per catalog version, also
        without page caches: it is data, not a page; scanning every item per request made bench/web.py's
        "caches off" rows measure that scan instead of the framework)."""
        identity = self.version()
        found = self._currencies
        if found is None or found[0] != identity:
            store = self._store
            docs = [*catalog.list_items(store), *bundles.list_bundles(store),
                    *plans.plans_in(store.view(catalog.CATALOG))]
            found = self._currencies = (identity, currencies_in(docs))
        return found[1]

    def _items(self, currency: str) -> tuple[Doc, ...]:
        items = catalog.list_items(self._store)
        return tuple(shown_in(i, currency) for i in items) if currency else tuple(items)

    def _bundles(self, currency: str = "") -> tuple[tuple[Doc, list[str]], ...]:
        store = self._store
        on_sale = [shown_in(b, currency) if currency else b for b in bundles.list_bundles(store)]
        return tuple((b, [i["title"] for i in bundles.contents(store, b)]) for b in on_sale)

    def grid(self, cards: Cards, shown: list[Doc], owned_ids: frozenset[str]) -> Markup:
        """The cards of `shown` (a page of `cards.items`) for a reader who owns `owned_ids`."""
        return _trusted("".join(self._card_html(cards, item, item["id"] in owned_ids) for item in shown))

    def _card_html(self, cards: Cards, item: Doc, owned: bool) -> str:
        found = (cards.owned if owned else cards.plain).get(item["id"])
        if found is None:  # nothing kept: render this card now, as an app without caches does
            found = self._render(item, owned, cards.locale)
        return found


def _trusted(html: str) -> Markup:
    """Cards come out of an autoescaping template: every user-supplied value in them is escaped."""
    return Markup(html)  # noqa: S704 - output of the autoescaping card template, not raw input
