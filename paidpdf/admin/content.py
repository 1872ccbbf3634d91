"""`paidpdf content ...`: add, list, show, price, edit, retire and restore items.

A thin layer over `paidpdf.content.catalog`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from paidpdf.admin import content_files, content_prices, content_updates
from paidpdf.admin.context import state
from paidpdf.admin.output import JSON_OPTION, console, copy_progress, details, emit_json, table, when
from paidpdf.byte_sizes import human_size
from paidpdf.errors import InvalidInput
from paidpdf.money import format_offer
from paidpdf.store import Doc

app = typer.Typer(
    help="Content: the items you sell and their files (add, list, show, files, price, edit, update, notify,"
    " retire, restore).",
    no_args_is_help=True,
)


def _description(text: str | None, file: Path | None) -> str | None:
    from paidpdf.content import catalog

    if text is not None and file is not None:
        raise InvalidInput("give either --description or --description-file, not both")
    if file is not None:
        return catalog.read_description_file(file)
    return text


def _price(item: Doc) -> str:
    return format_offer(int(item["price"]), item["currency"], bool(item.get("pay_what_you_want")))


def _show(item: Doc, title: str) -> None:
    from paidpdf.content import item_files, tax_codes

    details(
        title,
        [
            ("id", item["id"]),
            ("title", item["title"]),
            ("price", f"{_price(item)} ({item['price']} {item['currency']})"),
            ("also in", content_prices.other_prices_text(item)),
            ("status", item["status"]),
            *(("file" if f.get("primary") else "also", f"{f['name']} ({f['format']}, {human_size(f['size'])}"
               + (f", {content_files.facts_text(f)})" if content_files.facts_text(f) else ")"))
              for f in item_files.files_of(item)),
            ("version", item["version"]),
            ("tax code", tax_codes.item_tax_code(item) or "none (set one with --tax-code)"),
            ("sha256", item["sha256"]),
            ("cover", item.get("cover")),
            ("tags", ", ".join(item.get("tags") or [])),
            ("look inside", f"{len(item.get('previews') or [])} page(s)"),
            ("stamped", "yes: each owner's copy names them" if item.get("stamp") else "no"),
            ("stream only", "yes: videos play in the library, no download button" if item.get("stream_only")
             else "no"),
            ("download limit", f"{item['download_limit']} per owner and version" if item.get("download_limit")
             else "none"),
            ("created", when(item["created_at"], seconds=True)),
            ("updated", when(item["updated_at"], seconds=True)),
            ("description", item.get("description") or ""),
        ],
    )


def show_catalog(items: list[Doc], title: str) -> None:
    """The catalog as a Rich table (also used by `paidpdf demo`)."""
    table(
        title,
        ("id", "title", "price", "pages", "size", "version", "status"),
        (
            (i["id"], i["title"], _price(i), i["pages"] or "", human_size(int(i["size"])), i["version"],
             i["status"])
            for i in items
        ),
    )


@app.command("add")
def add_cmd(
    ctx: typer.Context,
    pdf: Path = typer.Argument(..., metavar="FILE", help="The main file: PDF, EPUB, audio, video or ZIP."),
    also: list[Path] = typer.Option(
        None, "--also", metavar="FILE", help="Another file sold with it (repeat: --also a.epub --also a.m4a)."
    ),
    title: str = typer.Option(
        ..., "--title", metavar="TITLE", help="Title shown in the shop; the id is made from it."
    ),
    price: str = typer.Option(
        ..., "--price", metavar="PRICE",
        help="Price such as 19.99, 0 for free, 5+ for pay what you want from 5.00, 0+ for free or more."
    ),
    description: str | None = typer.Option(None, "--description", metavar="TEXT", help="Description text."),
    description_file: Path | None = typer.Option(
        None, "--description-file", metavar="FILE", help="Read the description from a UTF-8 text file."
    ),
    cover: Path | None = typer.Option(
        None, "--cover", metavar="IMG", help="Cover image (PNG, JPEG or WebP); default: page 1 of the PDF."
    ),
    item_id: str | None = typer.Option(
        None, "--id", metavar="SLUG", help="Choose the id (default: made from the title)."
    ),
    preview_pages: int | None = typer.Option(
        None, "--preview-pages", metavar="N",
        help="First pages shown on the item page as a look-inside strip (0 = none, at most 10; default 3).",
    ),
    preview_seconds: int = typer.Option(
        30, "--preview-seconds", metavar="N", help=content_files.SECONDS_HELP
    ),
    also_prices: list[str] = content_prices.ALSO_PRICE_OPTION,
) -> None:
    """Add an item: one or more files (PDF, EPUB, audio, video, ZIP) with a title and price.

    Example: paidpdf content add book.pdf --also book.epub --also audiobook.m4a --title "T" --price 9.99
    """
    from paidpdf.content import catalog

    cli = state(ctx)
    text = _description(description, description_file) or ""
    pages = catalog.DEFAULT_PREVIEW_PAGES if preview_pages is None else preview_pages
    with copy_progress(pdf) as progress:
        item = catalog.add_item(
            cli.creating_store,
            pdf,
            title=title,
            price_text=price,
            currency=cli.settings.currency,
            description=text,
            cover=cover,
            item_id=item_id,
            progress=progress,
            preview_pages=pages,
            also=also or [],
            preview_seconds=preview_seconds,
            also_prices=also_prices or [],
        )
    _show(item, f"Added {item['id']}")


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    include_all: bool = typer.Option(False, "--all", help="Include retired items."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List the items in the catalog (retired ones only with --all).

    Example: paidpdf content list --all --json
    """
    from paidpdf.content import catalog

    items = catalog.list_items(state(ctx).store, include_retired=include_all)
    if as_json:
        emit_json([catalog.public(i) for i in items])
        return
    show_catalog(items, f"{len(items)} item(s)" + ("" if include_all else " in the catalog"))


@app.command("show")
def show_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one item, retired or not.

    Example: paidpdf content show the-sourdough-guide --json
    """
    from paidpdf.content import catalog
    from paidpdf.ownership import download_log

    store = state(ctx).store
    item = catalog.get_item(store, item_id)
    fetched = len(download_log.for_item(store.view(download_log.SALES), item["id"]))
    if as_json:
        emit_json({**catalog.public(item), "downloads": fetched})
        return
    _show(item, f"Item {item['id']}")
    console().print(f"Downloaded {fetched} time(s) by owners (completed downloads).")


@app.command("edit")
def edit_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
    title: str | None = typer.Option(
        None, "--title", metavar="TITLE", help="New title (the id stays the same)."
    ),
    description: str | None = typer.Option(
        None, "--description", metavar="TEXT", help="New description text."
    ),
    description_file: Path | None = typer.Option(
        None, "--description-file", metavar="FILE", help="Read the new description from a UTF-8 text file."
    ),
    cover: Path | None = typer.Option(None, "--cover", metavar="IMG", help="New cover (PNG, JPEG or WebP)."),
    pdf: Path | None = typer.Option(
        None, "--file", metavar="PDF", help="Replace the PDF (bumps the version)."
    ),
    preview_pages: int | None = typer.Option(
        None, "--preview-pages", metavar="N", help="Pages in the look-inside strip (0 = none, at most 10)."
    ),
    stamp: bool | None = typer.Option(
        None, "--stamp/--no-stamp", help="Stamp each owner's copy with their email and order (traceable)."
    ),
    download_limit: int | None = typer.Option(
        None, "--download-limit", metavar="N", help="Downloads per owner and version (0 = no limit)."
    ),
    license_keys: bool | None = typer.Option(
        None, "--license-keys/--no-license-keys", help="Give every buyer a license key (docs/licenses.md)."
    ),
    activations: int | None = typer.Option(
        None, "--activations", metavar="N", help="Activations per license key (0 = no limit)."
    ),
    key_format: str | None = typer.Option(
        None, "--key-format", metavar="FORMAT", help="New keys as gumroad (85DB562A-C11D4B06-...) or uuid."
    ),
    stream_only: bool | None = typer.Option(
        None, "--stream-only/--downloadable",
        help="Videos play in the library without a download button (see docs/formats.md: not DRM).",
    ),
    tax_code: str | None = typer.Option(None, "--tax-code", metavar="CODE", help="Stripe product tax code."),
) -> None:
    """Change an item's text, cover, file, previews or delivery (stamp, limit, stream-only, license keys).

    Example: paidpdf content edit the-sourdough-guide --stamp --download-limit 5
    Example: paidpdf content edit my-app --license-keys --activations 3 --tax-code txcd_10202000
    """
    from paidpdf.admin.licenses import item_keys
    from paidpdf.content import catalog, item_options

    cli = state(ctx)
    text = _description(description, description_file)
    licensing = (license_keys, activations, key_format) != (None, None, None)
    if licensing and all(
        v is None for v in (title, text, cover, pdf, preview_pages, stamp, download_limit, stream_only)
    ):
        item_keys(cli.store, item_id, license_keys, activations, key_format)
        return
    options = (stamp, download_limit, stream_only, tax_code) != (None, None, None, None)
    if options:
        item_options.check_limit(download_limit or 0)
    if options and all(v is None for v in (title, text, cover, pdf, preview_pages)):
        item = item_options.set_options(
            cli.store, item_id, stamp=stamp, download_limit=download_limit, stream_only=stream_only,
            tax_code=tax_code,
        )
        _show(item, f"Updated {item['id']}")
        return
    with copy_progress(pdf) as progress:
        item = catalog.edit_item(
            cli.store,
            item_id,
            title=title,
            description=text,
            cover=cover,
            pdf=pdf,
            progress=progress,
            preview_pages=preview_pages,
        )
    if options:
        item = item_options.set_options(
            cli.store, item_id, stamp=stamp, download_limit=download_limit, stream_only=stream_only,
            tax_code=tax_code,
        )
    _show(item, f"Updated {item['id']}")
    if licensing:
        item_keys(cli.store, item_id, license_keys, activations, key_format)



@app.command("tag")
def tag_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
    tags: list[str] = typer.Argument(None, metavar="TAG...", help="Tags such as baking or 'home cooking'."),
    remove: bool = typer.Option(False, "--remove", help="Remove these tags instead of adding them."),
    clear: bool = typer.Option(False, "--clear", help="Remove every tag first (then add the given ones)."),
) -> None:
    """Tag an item, so readers can filter the catalog by tag (`/?tag=baking`).

    Example: paidpdf content tag the-sourdough-guide baking bread
    """
    from paidpdf.content import catalog

    if not tags and not clear:
        raise InvalidInput("name at least one tag (or --clear to remove them all)")
    if remove and clear:
        raise InvalidInput("choose one of --remove and --clear")
    item = catalog.tag(state(ctx).store, item_id, tags or [], remove=remove, clear=clear)
    shown = ", ".join(item.get("tags") or []) or "none"
    console().print(f"{item['id']} tags: {shown}", markup=False)


@app.command("retire")
def retire_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
) -> None:
    """Take an item out of the catalog; its owners keep it in their library.

    Example: paidpdf content retire the-sourdough-guide
    """
    from paidpdf.content import catalog

    item = catalog.retire(state(ctx).store, item_id)
    console().print(f"{item['id']} is retired: it left the catalog; owners can still download it.")


@app.command("restore")
def restore_cmd(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id."),
) -> None:
    """Put a retired item back in the catalog.

    Example: paidpdf content restore the-sourdough-guide
    """
    from paidpdf.content import catalog

    item = catalog.restore(state(ctx).store, item_id)
    console().print(f"{item['id']} is back in the catalog.")


content_updates.register(app)
content_files.register(app)
content_prices.register(app)
