"""Who may see and download what: the one place the shop decides access to an item.

The web adapter asks these functions and never decides on its own:

- the catalog shows active items; an item page also opens for a retired item the reader owns;
- free items download for any logged-in, enabled reader, and the first download puts the item in
  the reader's library (source `free`), so it is listed in "My library" and stays theirs if the item
  is later retired or given a price; paid items only for owners (bought, granted or taken while free,
  `paidpdf.ownership.library`); retired items stay downloadable for their owners only;
- anonymous readers get `AuthRequired` (the site sends them to log in) for every well-formed id,
  before any lookup: an active, a retired and a never-used id get the same redirect, so a visitor who
  is not logged in learns nothing about which ids exist (an owner of a retired item logs in and gets
  the file); everyone else who may not have the file gets `AccessDenied`, and an id that names nothing
  visible is `NotFound` — the same answer for "never existed" and "retired and not yours", so retired
  ids are not revealed;
- a member reads and downloads every item their membership covers while it gives access
  (`paidpdf.memberships.records.covering`: ONE lookup of the reader's membership record, made only
  when they do not own the item); such an item is `included_in` the plan, is not added to their
  library, and returns to "Buy" when the membership ends. Retired items are never covered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from paidpdf.content import catalog, item_files, item_text, shop, versions
from paidpdf.errors import AccessDenied, AuthRequired, NotFound
from paidpdf.languages import N_
from paidpdf.memberships import records
from paidpdf.ownership import download_log, library
from paidpdf.store import DataStore, Doc, View
from paidpdf.store.files import blobs

#: What a published image is, for its cache policy (`published_images`).
COVER = "cover"
PREVIEW = "preview"


@dataclass(frozen=True)
class ShelfItem:
    """An item as one reader sees it."""

    item: Doc
    owned: bool
    can_download: bool
    #: Every version of the file, oldest first (the library lists earlier ones with their notes).
    versions: list[dict[str, Any]] = field(default_factory=list)
    #: A version newer than the reader's last download (or than their purchase) exists.
    updated: bool = False
    #: The files this reader has (`owned_files`), each with its `history`, main file first.
    files: list[dict[str, Any]] = field(default_factory=list)
    #: The title of the plan whose membership lets the reader read this item they do not own, or None.
    included_in: str | None = None


def valid_item_id(content_id: str) -> bool:
    """Ids are checked against the catalog's own rule before any lookup."""
    return item_text.is_item_id(content_id)


def valid_cover_name(name: str) -> bool:
    return blobs.is_cover_name(name)


def published_images(view: View) -> dict[str, str]:
    """Every image name the catalog names now, as `COVER` or `PREVIEW`: each item's cover and
    look-inside pages (retired items' too: their owners' library and item page show them), the
    posters of their videos' samples and the shop's logo (covers). Only these are served under
    `/covers/`: a preview strip taken down with `--preview-pages 0`, pages replaced with a new file
    and a replaced cover stay in the data folder (files are content-addressed and may be shared) but
    are no longer published. A name that is both a cover and a preview is a cover."""
    names: dict[str, str] = {}
    logo = (view.get(shop.TABLE, shop.DOC_ID) or {}).get("logo")
    posters: list[object] = []
    for item in view.all(catalog.CONTENT):
        for name in item.get("previews") or []:
            names.setdefault(str(name), PREVIEW)
        posters += [row.get("poster") for row in item_files.files_of(item, include_removed=True)]
    covers = [item.get("cover") for item in view.all(catalog.CONTENT)] + [logo] + posters
    names.update((str(name), COVER) for name in covers if name)
    return names


def owned_ids(store: DataStore, user: Doc | None) -> frozenset[str]:
    """Ids of the items the user currently owns (empty for anonymous readers)."""
    if user is None:
        return frozenset()
    return frozenset(e["content_id"] for e in library.for_user(store.view(library.SALES), user["id"]))


def _lookup(store: DataStore, content_id: str) -> Doc | None:
    if not valid_item_id(content_id):
        return None
    try:
        return catalog.get_item(store, content_id)
    except NotFound:
        return None


def _may_download(item: Doc, user: Doc | None, owned: bool, member: bool = False) -> bool:
    if user is None or user.get("disabled"):
        return False
    if item.get("status") == "retired":
        return owned
    return owned or member or int(item.get("price") or 0) == 0


def shelf_item(store: DataStore, user: Doc | None, content_id: str) -> ShelfItem:
    """The item page's view of an item; `NotFound` for unknown ids and retired items not owned."""
    return _shelf(store, user, _lookup(store, content_id))


def _shelf(store: DataStore, user: Doc | None, item: Doc | None) -> ShelfItem:
    if item is None:
        raise NotFound(N_("no such item"))
    view = store.view(library.SALES)
    owned = user is not None and library.owns(view, user["id"], item["id"])
    if item.get("status") == "retired" and not owned:
        raise NotFound(N_("no such item"))
    grant = records.covering(view, user["id"], item) if user is not None and not owned else None
    included = grant.plan_title if grant is not None else None
    return ShelfItem(item, owned, _may_download(item, user, owned, grant is not None), included_in=included)


def downloadable_item(store: DataStore, user: Doc | None, content_id: str) -> Doc:
    """The item `user` may download now, or the reason why not (see the module docstring).

    A free item the reader does not own yet is added to their library here (source `free`)."""
    if not valid_item_id(content_id):
        raise NotFound(N_("no such item"))
    if user is None:  # before the lookup: the answer must not depend on whether the id exists
        raise AuthRequired(N_("log in to download"))
    item = _lookup(store, content_id)
    if user.get("disabled"):
        raise AccessDenied(N_("this account is disabled"))
    # a reader who has (had) a membership: their record first, so a member's download is one lookup like
    # a buyer's; a hint only (`records.MEMBER_HINT`): without it the record is read after the library
    if item is not None and user.get(records.MEMBER_HINT) and item.get("status") != "retired":
        member = records.covering(store.view(library.SALES), user["id"], item)
        if member is not None:
            return item
    shelf = _shelf(store, user, item)  # the item was looked up once, above
    if not shelf.can_download:
        raise AccessDenied(N_("only readers who own this item can download it"))
    if not shelf.owned and shelf.included_in is None:  # a free item, kept from now on
        library.keep_free(store, user["id"], shelf.item["id"])
    return shelf.item


def library_items(store: DataStore, user: Doc) -> list[ShelfItem]:
    """Everything the reader owns, retired items included, in the order they got them."""
    view = store.view(library.SALES)
    fetched: dict[str, list[Doc]] = {}
    for row in download_log.for_user(view, user["id"]):
        fetched.setdefault(row["content_id"], []).append(row)
    rows: list[ShelfItem] = []
    for entry in library.for_user(view, user["id"]):
        item = _lookup(store, entry["content_id"])
        if item is not None:
            files = owned_files(item, entry.get("acquired_at"))
            history = sorted((v for f in files for v in f["history"]), key=lambda v: int(v["version"] or 0))
            updated = _updated(history, fetched.get(item["id"], []), str(entry.get("acquired_at") or ""))
            rows.append(ShelfItem(item, True, _may_download(item, user, True), history, updated, files))
    return rows


def owned_files(item: Doc, acquired_at: str | None) -> list[dict[str, Any]]:
    """The item's files an owner who got it at `acquired_at` has (live ones, and removed ones they
    had before: `item_files.visible_to`), each with its version `history`."""
    return [
        {**row, "history": item_files.file_history(row)}
        for row in item_files.files_of(item, include_removed=True) if item_files.visible_to(row, acquired_at)
    ]


def owned_file(
    store: DataStore, user: Doc, item: Doc, key: str | None, number: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Which file and version a download of `item` (one `downloadable_item` allowed) serves: the main
    file's newest, version `number` of any file (the item's old link), or file `key`'s newest or
    `number`. A file the reader does not have (removed before they got the item) is `NotFound`."""
    if key is None and number is None:
        row, chosen = item_files.primary(item), versions.get(item, None)
    elif key is None:
        row, chosen = item_files.version_of(item, int(number or 0))
    else:
        row = item_files.find(item, key, include_removed=True)
        chosen = _file_version(row, number)
    entry = library.entry(store.view(library.SALES), user["id"], item["id"]) or {}
    if not item_files.visible_to(row, entry.get("acquired_at")):
        raise NotFound(N_("no such file"))
    return row, chosen


def _file_version(row: dict[str, Any], number: int | None) -> dict[str, Any]:
    history = item_files.file_history(row)
    if number is None:
        return history[-1]
    for version in history:
        if version["version"] == number:
            return version
    raise NotFound(N_("no such version"))


def included_items(store: DataStore, user: Doc) -> list[tuple[str, list[ShelfItem]]]:
    """For the library: (plan title, the live items it lets the reader read that they do not own),
    one pair per membership giving access now, in the catalog's order. One lookup of the reader's
    record, then the catalog."""
    view = store.view(library.SALES)
    grants = records.grants(view, user["id"])
    if not grants or user.get("disabled"):
        return []
    owned = {e["content_id"] for e in library.for_user(view, user["id"])}
    items = [i for i in catalog.list_items(store) if i["id"] not in owned]
    shown: list[tuple[str, list[ShelfItem]]] = []
    for grant in grants:
        rows = [
            ShelfItem(
                i, False, True, versions.history(i), files=owned_files(i, None),
                included_in=grant.plan_title,
            )
            for i in items
            if grant.covers_item(i)
        ]
        if rows:
            shown.append((grant.plan_title, rows))
    return shown


def _updated(history: list[dict[str, Any]], fetched: list[Doc], acquired_at: str) -> bool:
    """A version newer than the reader has: than any they downloaded, or, before their first
    download, one released since they got the item (timestamps have one-second steps, so a version
    of the same second counts as newer: a stray badge is better than a missed update)."""
    if len(history) < 2:
        return False
    if fetched:
        return max(int(r.get("version") or 0) for r in fetched) < int(history[-1]["version"])
    return str(history[-1].get("created_at") or "") >= acquired_at
