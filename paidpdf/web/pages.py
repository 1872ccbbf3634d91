"""Reader pages: the catalog, an item, "My library", the health check and the stylesheet."""

from __future__ import annotations

import re

import bottle
from bottle import response

from paidpdf.errors import NotFound
from paidpdf.ownership import access
from paidpdf.web.catalog_cache import CatalogCache
from paidpdf.web.context import STATIC_DIR, WebContext

_STATIC_NAME = re.compile(r"\A[a-z0-9_-]{1,40}\.(?:css|svg|png|ico)\Z")
_STATIC_TYPES = {
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
}


def install(app: bottle.Bottle, web: WebContext) -> None:
    cache = CatalogCache(web.store, web.templates)

    @app.get("/")
    def catalog_page() -> str:
        owned = access.owned_ids(web.store, web.current_user())
        grid, count = cache.grid(owned)
        return web.render("catalog.html", grid_html=grid, count=count)

    @app.get("/content/<item_id>")
    def item_page(item_id: str) -> str:
        shelf = access.shelf_item(web.store, web.current_user(), item_id)
        return web.render("item.html", item=shelf.item, owned=shelf.owned, can_download=shelf.can_download)

    @app.get("/library")
    def library_page() -> str:
        user = web.require_user()
        return web.render("library.html", rows=access.library_items(web.store, user))

    @app.get("/healthz")
    def healthz() -> str:
        response.content_type = "text/plain; charset=utf-8"
        response.set_header("Cache-Control", "no-store")
        return "ok\n"

    @app.get("/static/<name>")
    def static(name: str) -> bytes:
        if not _STATIC_NAME.match(name):
            raise NotFound("no such file")
        path = STATIC_DIR / name
        try:
            body = path.read_bytes()
        except OSError:
            raise NotFound("no such file") from None
        response.content_type = _STATIC_TYPES[name.rsplit(".", 1)[1]]
        # Links carry ?v=<hash of the static files>, so a new stylesheet gets a new URL.
        response.set_header("Cache-Control", "public, max-age=31536000, immutable")
        return body
