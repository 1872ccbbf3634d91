"""The peer of bench/web.py (not a bench itself): a minimal Flask app rendering the same pages, with no
page cache: every request renders its page.

Same Jinja2 templates (`catalog.html` and its `_card.html` cards, `item.html`; autoescaped, same
globals and filters), same data (`catalog.list_items` / `catalog.get_item` through our `Store` on the same
data folder, on each request as a plain app would; the store keeps each parsed data file in memory per
version, for this app as for ours), the same first page and search (`content.browse`: newest first, 24
per page, `?q=`), the same item page (Markdown description, JSON-LD). Served by waitress's
`create_server` with the same number of threads, but without `paidpdf serve`'s options (connection limit,
poll, bounded file sends: they do not touch these pages). It does less per request than ours: no security
headers, no CSRF cookie, no session lookup; anonymous only (it has no accounts). Run by the bench, not by
hand: `python3 bench/peers/flask_catalog.py DATA_DIR THREADS` prints the URL it listens on.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import jinja2
from flask import Flask
from waitress.server import create_server

from paidpdf.content import browse, bundles, catalog, item_files, shop
from paidpdf.store import Store
from paidpdf.web import seo
from paidpdf.web.templates import TEMPLATES_DIR, make_templates, static_version


def build(data_dir: Path) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR))
    app.jinja_options = {
        "undefined": jinja2.StrictUndefined, "trim_blocks": True, "lstrip_blocks": True,
        "extensions": ["jinja2.ext.i18n"],
    }
    # The same template helpers as ours (`make_templates`): the templates speak four languages now, and
    # this peer renders them in English, as our side does for a visitor without a language choice.
    ours = make_templates()
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.newstyle_gettext = True  # type: ignore[attr-defined]  # ours are new-style callables
    app.jinja_env.globals.update({k: v for k, v in ours.globals.items() if k not in ("url_for",)})
    app.jinja_env.filters.update(ours.filters)
    store = Store(data_dir)
    version = static_version()

    @app.get("/")
    def catalog_page() -> str:
        from flask import render_template, request
        from markupsafe import Markup

        items = catalog.list_items(store)
        wanted = browse.parse_query("", request.args.get("q", ""), "", "")
        page = browse.browse(items, wanted)
        card = app.jinja_env.get_template("_card.html")
        grid = Markup("".join(card.render(item=item, owned=False) for item in page.items))  # noqa: S704
        on_sale = [(b, [i["title"] for i in bundles.contents(store, b)]) for b in bundles.list_bundles(store)]
        return render_template(
            "catalog.html",
            bundles=on_sale,
            grid_html=grid,
            page=page,
            catalog_size=len(items),
            tags=browse.all_tags(items),
            sorts=browse.SORT_LABELS,
            shop=shop.identity(store),
            base="http://127.0.0.1",
            user=None,
            csrf_token=lambda: "",
            flash=None,
            static_version=version,
            locale="en",
            languages=(),
            has_plans=lambda: False,
            currency_selector=lambda: None,
            alternates=(),
            path="/",
            error=None,
        )

    @app.get("/content/<item_id>")
    def item_page(item_id: str) -> str:
        from flask import render_template

        item = catalog.get_item(store, item_id)
        identity = shop.identity(store)
        return render_template(
            "item.html",
            item=item,
            owned=False,
            can_download=False,
            base="http://127.0.0.1",
            summary=seo.summary(item.get("description")),
            shop=identity,
            json_ld=seo.product_json_ld("http://127.0.0.1", item, identity["name"]),
            user=None,
            csrf_token=lambda: "",
            flash=None,
            static_version=version,
            locale="en",
            languages=(),
            has_plans=lambda: False,
            currency_selector=lambda: None,
            alternates=(),
            path=f"/content/{item_id}",
            error=None,
            offer=None,
            code="",
            amount="",
            files=item_files.files_of(item),  # what our item page shows since items hold several files
            sample_texts={},
            included_in=None,
        )

    return app


def main() -> None:
    data_dir, threads = Path(sys.argv[1]), int(sys.argv[2])
    server = create_server(build(data_dir), host="127.0.0.1", port=0, threads=threads)
    print(f"http://127.0.0.1:{server.effective_port}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
