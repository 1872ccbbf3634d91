"""What search engines and link previews read: canonical URLs, Open Graph and Twitter tags, schema.org
Product data, `/sitemap.xml` and `/robots.txt`.

Every URL here is absolute and built from `PAIDPDF_BASE_URL`, never from the request's Host header
(which a client chooses). JSON-LD is embedded with `<`, `>` and `&` escaped as JSON unicode escapes,
so a title cannot close the script element; as a data block it is not run, so the CSP's
`script-src 'none'` does not touch it.
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from bottle import response
from markupsafe import Markup

from paidpdf.content import bundles, catalog
from paidpdf.money import to_decimal_text
from paidpdf.store import Doc
from paidpdf.web.context import WebContext

#: Pages of a reader's own: nothing for a search engine there.
PRIVATE_PATHS = ("/library", "/checkout/", "/account/", "/login", "/signup", "/forgot", "/reset/", "/signin/",
                 "/feeds/")


def summary(text: str | None, limit: int = 200) -> str:
    """The first words of a description as one plain line (Markdown marks are left as they are)."""
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1].rsplit(" ", 1)[0] + "…"


def product_json_ld(base: str, item: Doc, shop_name: str) -> Markup:
    """schema.org Product data for an item page, safe to place inside a `<script>` element."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": item["title"],
        "sku": item["id"],
        "url": f"{base}/content/{item['id']}",
        "description": summary(item.get("description"), 500),
        "brand": {"@type": "Brand", "name": shop_name},
        "offers": {
            "@type": "Offer",
            "price": to_decimal_text(int(item["price"]), item["currency"]),
            "priceCurrency": str(item["currency"]).upper(),
            "availability": "https://schema.org/"
            + ("InStock" if item.get("status") == catalog.ACTIVE else "Discontinued"),
            "url": f"{base}/content/{item['id']}",
        },
    }
    if item.get("cover"):
        data["image"] = f"{base}/covers/{item['cover']}"
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - JSON with every markup character escaped


def robots_txt(web: WebContext) -> str:
    response.content_type = "text/plain; charset=utf-8"
    response.set_header("Cache-Control", "public, max-age=3600")
    base = web.settings.base_url.rstrip("/")
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {p}" for p in PRIVATE_PATHS)]
    lines.append(f"Sitemap: {base}/sitemap.xml")
    return "\n".join(lines) + "\n"


def sitemap_xml(web: WebContext) -> str:
    """The catalog, every item and bundle on sale, each with when it last changed."""
    response.content_type = "application/xml; charset=utf-8"
    response.set_header("Cache-Control", "public, max-age=3600")
    base = web.settings.base_url.rstrip("/")
    entries = [f"  <url><loc>{escape(base)}/</loc></url>"]
    pages = [("content", item) for item in catalog.list_items(web.store)]
    pages += [("bundles", bundle) for bundle in bundles.list_bundles(web.store)]
    for folder, doc in pages:
        changed = str(doc.get("updated_at") or "")[:10]
        lastmod = f"<lastmod>{escape(changed)}</lastmod>" if changed else ""
        entries.append(f"  <url><loc>{escape(base)}/{folder}/{escape(doc['id'])}</loc>{lastmod}</url>")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    return "\n".join([head, *entries, "</urlset>"]) + "\n"
