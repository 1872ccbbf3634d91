"""Content items: add, edit, price, retire and restore what the shop sells (PDFs and, since an item
may hold several files, EPUBs, audio, video and ZIPs too: `item_files`, `item_file_changes`).

Every change is checked completely before anything is written: the title, price, id and description,
then the PDF and the cover by what they really are (`media`). Only then are the files stored (content
addressed, `blobs`), and last the catalog record is written in one unit of `catalog.json`. A failure
at any step before the unit leaves the catalog as it was; at worst an unreferenced content file stays
behind, which is harmless (its name is its hash) and which `db check` can report.

Ids are URL slugs made from the title ("Sourdough at Home" → `sourdough-at-home`, see `item_text`),
lower-case so they are unique case-insensitively; they never change: a new title keeps the old URL.
A cover rendered from page 1 is named after the PDF's hash (`<sha256-of-pdf>.png`), which is how an
edit recognises it and renders a new one when the file is replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from paidpdf import currency_prices
from paidpdf.clock import now_iso
from paidpdf.content import file_intake, formats, item_files, item_names, media, stamp_templates, versions
from paidpdf.content.item_text import (
    MAX_TITLE,
    check_description,
    check_id,
    check_tags,
    check_title,
    download_name,
    read_description_file,
    slugify,
)
from paidpdf.content.tax_codes import item_tax_code
from paidpdf.errors import Conflict, InvalidInput, NotFound
from paidpdf.money import check_currency, parse_offer
from paidpdf.store import CATALOG, DataStore, Doc, Unit, View
from paidpdf.store.files import blobs, object_files

CONTENT = "content"

ACTIVE = "active"
RETIRED = "retired"
#: First pages rendered once, when the file is added, for the item page's "look inside" strip.
DEFAULT_PREVIEW_PAGES = 3
MAX_PREVIEW_PAGES = 10

#: The fields of an item, in the order `--json` shows them (the data contract other areas rely on).
FIELDS = (
    "id",
    "title",
    "description",
    "price",
    "currency",
    "prices",
    "pay_what_you_want",
    "filename",
    "sha256",
    "size",
    "pages",
    "cover",
    "previews",
    "preview_pages",
    "status",
    "version",
    "tags",
    "stamp",
    "download_limit",
    "stream_only",
    "tax_code",
    "files",
    "created_at",
    "updated_at",
)

Progress = Callable[[int], None]

__all__ = [
    "FIELDS", "MAX_TITLE", "add_item", "check_id", "download_name", "edit_item", "get_item", "list_items",
    "public", "read_description_file", "restore", "retire", "set_price", "slugify", "tag",
]


# -- reading ---------------------------------------------------------------------------------------
def list_items(store: DataStore, include_retired: bool = False) -> list[Doc]:
    """The catalog, oldest first (ties in the same second keep the order they were stored in);
    retired items only with `include_retired`."""
    rows = store.view(CATALOG).all(CONTENT)
    if not include_retired:
        rows = [r for r in rows if r.get("status") == ACTIVE]
    return sorted(rows, key=lambda r: r.get("created_at") or "")


def get_item(store: DataStore, item_id: str) -> Doc:
    """One item by id, whatever its status; ids match case-insensitively."""
    return _require(store.view(CATALOG), item_id)


def public(item: Doc) -> dict[str, Any]:
    """The item as `--json` and other areas see it: exactly the contract fields, in a stable order."""
    shown = {name: item.get(name) for name in FIELDS}
    shown["prices"] = currency_prices.prices_of(item)
    shown["stamp"] = bool(item.get("stamp"))
    shown["pay_what_you_want"] = bool(item.get("pay_what_you_want"))
    shown["stream_only"] = bool(item.get("stream_only"))
    shown["tax_code"] = item_tax_code(item)  # its own, else its format's (docs/tax.md)
    shown["files"] = [item_files.public(f) for f in item_files.files_of(item)]
    return shown


def _require(view: View, item_id: str) -> Doc:
    key = item_id.strip().lower()
    found = view.get(CONTENT, key) if key else None
    if found is None:
        raise NotFound(f"no item {item_id!r} (see `paidpdf content list --all`)")
    return found


def check_preview_pages(count: int) -> int:
    """How many first pages the item page shows ("look inside"): 0 (none) to `MAX_PREVIEW_PAGES`."""
    if not 0 <= count <= MAX_PREVIEW_PAGES:
        raise InvalidInput(f"preview pages must be 0 to {MAX_PREVIEW_PAGES}, not {count}")
    return count


def _rendered_cover_name(sha256: str) -> str:
    return f"{sha256}.png"


# -- writing ---------------------------------------------------------------------------------------
def add_item(
    store: DataStore,
    pdf: Path,
    *,
    title: str,
    price_text: str,
    currency: str,
    description: str = "",
    cover: Path | None = None,
    item_id: str | None = None,
    progress: Progress | None = None,
    preview_pages: int = DEFAULT_PREVIEW_PAGES,
    also: Sequence[Path] = (),
    preview_seconds: int = file_intake.DEFAULT_SAMPLE_SECONDS,
    also_prices: Sequence[str] = (),
) -> Doc:
    """Add an item: its primary file (`pdf`: a PDF, EPUB, audio, video or ZIP, see `formats`) and
    the files `also` sold with it. Everything is checked (every file by what it is, the pages for the
    cover and the "look inside" strip rendered) before the first byte is written."""
    data_dir = store.root  # files live beside the catalog that names them
    code = check_currency(currency)
    clean_title = check_title(title)
    price, pay_what_you_want = parse_offer(price_text, code)
    prices = currency_prices.for_offer(None, code, price, pay_what_you_want, also_prices, ())
    body = check_description(description)
    view = store.view(CATALOG)
    item_names.check_title_free(view, clean_title)
    key = item_names.choose_id(view, clean_title, item_id)
    previews = check_preview_pages(preview_pages)
    seconds = file_intake.check_seconds(preview_seconds)
    checked = file_intake.check_all([pdf, *also], key)
    first = checked[0]
    given = media.check_cover(Path(cover)) if cover is not None else None
    is_pdf = first.facts.format == "pdf"
    if is_pdf:
        pages = [p.data for p in media.render_pages(first.path, max(previews, 1 if given is None else 0))]
    else:  # an EPUB's first chapter set as text pages; nothing for media and archives (their sample)
        pages = formats.preview_pages(first.path, first.facts, previews)
    rendered = pages[0] if given is None and pages and is_pdf else None

    stamp = now_iso()
    entries = file_intake.store_all(data_dir, checked, key, when=stamp, seconds=seconds, progress=progress)
    sha256 = entries[0]["sha256"]
    if given is not None:
        cover_name = blobs.store_cover(data_dir, given.data, given.ext)
    elif rendered is not None:
        cover_name = blobs.store_cover(data_dir, rendered, "png", name=_rendered_cover_name(sha256))
    else:
        cover_name = file_intake.cover_from(data_dir, first, clean_title)

    doc: Doc = {
        "id": key,
        "title": clean_title,
        "description": body,
        "price": price,
        "currency": code,
        "prices": prices,
        "pay_what_you_want": pay_what_you_want,
        **item_files.top_level(entries[0]),
        "cover": cover_name,
        "previews": [blobs.store_cover(data_dir, page, "png") for page in pages[:previews]],
        "preview_pages": previews if pages else 0,
        "status": ACTIVE,
        "created_at": stamp,
        "updated_at": stamp,
        "files": entries,
    }
    doc.pop("versions")  # one version: `versions.history` makes it from the top level, as it always did
    extra_names = [n for e in entries for n in file_intake.stored_names(e)]
    object_files.publish(store, [*_file_names(doc), *extra_names])
    with store.unit(CATALOG) as unit:
        # Checked again under the lock: another process may have added the same title meanwhile.
        item_names.check_title_free(unit, clean_title)
        if unit.get(CONTENT, key) is not None:
            raise Conflict(f"an item with id {key!r} already exists")
        unit.insert(CONTENT, item_files.normalized(doc))
    return item_files.normalized(doc)


def edit_item(
    store: DataStore,
    item_id: str,
    *,
    title: str | None = None,
    description: str | None = None,
    cover: Path | None = None,
    pdf: Path | None = None,
    progress: Progress | None = None,
    preview_pages: int | None = None,
    notes: str | None = None,
) -> Doc:
    """Change an item's title, description, cover, file and/or number of preview pages. A new file
    becomes a new version (with `notes`, see `versions`; the earlier files stay downloadable for
    owners) and renders its preview pages again.

    When the file is replaced and the cover was rendered from the old file, a new cover is rendered.
    """
    data_dir = store.root
    if title is None and description is None and cover is None and pdf is None and preview_pages is None:
        raise InvalidInput(
            "nothing to change: give --title, --description, --cover, --file or --preview-pages"
        )
    if notes is not None and pdf is None:
        raise InvalidInput("release notes go with a new file: give the PDF too")
    clean_notes = versions.check_notes(notes)
    current = get_item(store, item_id)
    key = current["id"]
    if (pdf is not None or preview_pages) and item_files.primary(current).get("format") != "pdf":
        raise InvalidInput(
            f"{key}'s main file is not a PDF: replace a file with `paidpdf content update {key} FILE`;"
            " look-inside pages are for PDFs"
        )
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = check_title(title)
        item_names.check_title_free(store.view(CATALOG), changes["title"], except_id=key)
    if description is not None:
        changes["description"] = check_description(description)
    previews = check_preview_pages(preview_pages) if preview_pages is not None else None
    info = media.inspect_pdf(Path(pdf)) if pdf is not None else None
    if previews is not None or info is not None:
        count = previews if previews is not None else int(current.get("preview_pages", DEFAULT_PREVIEW_PAGES))
        source = info.path if info is not None else blobs.content_path(data_dir, current["sha256"])
        pictures = media.render_pages(source, count)
        changes["preview_pages"] = count
        changes["previews"] = [blobs.store_cover(data_dir, page.data, "png") for page in pictures]
    given = media.check_cover(Path(cover)) if cover is not None else None
    cover_was_rendered = current.get("cover") == _rendered_cover_name(current.get("sha256") or "")
    rerender = pdf is not None and given is None and cover_was_rendered
    rendered = media.render_cover(Path(pdf)) if pdf is not None and rerender else None

    if info is not None:
        sha256, size = blobs.store_file(data_dir, info.path, progress)
        filename = download_name(info.path.name, key)
        changes.update(sha256=sha256, size=size, pages=info.pages, filename=filename)
        if current.get("stamp"):  # a stamped item's new file must take the stamp, before it is sold
            stamp_templates.build(store, sha256)
        if rendered is not None:
            name = _rendered_cover_name(sha256)
            changes["cover"] = blobs.store_cover(data_dir, rendered.data, "png", name=name)
    if given is not None:
        changes["cover"] = blobs.store_cover(data_dir, given.data, given.ext)
    object_files.publish(store, _file_names(changes))

    with store.unit(CATALOG) as unit:
        latest = _require(unit, key)
        if "title" in changes:
            item_names.check_title_free(unit, changes["title"], except_id=key)
        if "sha256" in changes and changes["sha256"] != latest.get("sha256"):
            number = item_files.next_version(latest)
            changes["version"] = number
            changes["versions"] = versions.appended(latest, changes, number, clean_notes, now_iso())
        return _put(unit, latest, changes)


def _file_names(doc: dict[str, Any]) -> list[str]:
    """The stored files an item (or changes to one) names: `content/<sha256>`, `covers/<name>`."""
    names = [f"{blobs.CONTENT_DIR}/{doc['sha256']}"] if doc.get("sha256") else []
    names += [f"{blobs.COVERS_DIR}/{n}" for n in [doc.get("cover"), *doc.get("previews", [])] if n]
    return names


def set_price(
    store: DataStore, item_id: str, price_text: str | None, currency: str,
    *, also: Sequence[str] = (), remove: Sequence[str] = (),
) -> Doc:
    """Set an item's price (typed text such as "19.99", "0" for free, "5+" for pay what you want from
    5.00, "0+" for free or more; None keeps it) in the store's currency, and its explicit prices in
    other currencies (`also` such as "eur:18.99", `remove` such as "eur": `currency_prices`)."""
    code = check_currency(currency)
    with store.unit(CATALOG) as unit:
        current = _require(unit, item_id)
        return _put(unit, current, currency_prices.price_changes(current, price_text, code, also, remove))


def tag(store: DataStore, item_id: str, tags: list[str], *, remove: bool = False, clear: bool = False) -> Doc:
    """Add tags to an item (or remove them, or clear all first); checked before anything is written."""
    wanted = check_tags(tags)
    with store.unit(CATALOG) as unit:
        current = _require(unit, item_id)
        have = [] if clear else list(current.get("tags") or [])
        if remove:
            have = [t for t in have if t not in wanted]
        else:
            have += [t for t in wanted if t not in have]
        final = check_tags(have)
        if final == (current.get("tags") or []):
            return current
        return _put(unit, current, {"tags": final})


def retire(store: DataStore, item_id: str) -> Doc:
    """Take an item out of the catalog. Owners keep it in their library; retiring twice changes nothing."""
    return _set_status(store, item_id, RETIRED)


def restore(store: DataStore, item_id: str) -> Doc:
    """Put a retired item back in the catalog; restoring an active item changes nothing."""
    return _set_status(store, item_id, ACTIVE)


def _set_status(store: DataStore, item_id: str, status: str) -> Doc:
    with store.unit(CATALOG) as unit:
        current = _require(unit, item_id)
        if current.get("status") == status:
            return current
        return _put(unit, current, {"status": status})


def _put(unit: Unit, current: Doc, changes: dict[str, Any]) -> Doc:
    """Write an item; its `files` list is written out on the way (`item_files.normalized`: the
    upgrade of an item stored before files existed happens on its first write)."""
    doc = item_files.normalized({**current, **changes, "updated_at": now_iso()})
    unit.put(CONTENT, doc)
    return doc
