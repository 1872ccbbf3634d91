"""An item's unique names: its title (case- and space-insensitively) and its id (a URL slug).

Checked twice by `catalog`: before the files are stored (a clear error early) and again inside the
unit that writes the item, since another process may have taken the name meanwhile.
"""

from __future__ import annotations

from paidpdf.content.item_text import MAX_ID, check_id, slugify
from paidpdf.errors import Conflict, InvalidInput
from paidpdf.store import View

CONTENT = "content"
BUNDLES = "bundles"  # bundles share the id namespace (see `bundles`)


def title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def check_title_free(view: View, title: str, except_id: str | None = None) -> None:
    key = title_key(title)
    for other in view.all(CONTENT):
        if other["id"] != except_id and title_key(other.get("title", "")) == key:
            raise Conflict(f"an item titled {title!r} already exists: {other['id']}")


def choose_id(view: View, title: str, wanted: str | None) -> str:
    if wanted is not None:
        key = check_id(wanted)
        if _taken(view, key):
            raise Conflict(f"an item or bundle with id {key!r} already exists")
        return key
    base = slugify(title)
    if not base:
        raise InvalidInput(f"cannot make an id from the title {title!r}; choose one with --id")
    key, n = base, 2
    while _taken(view, key):
        suffix = f"-{n}"
        key = base[: MAX_ID - len(suffix)].rstrip("-") + suffix
        n += 1
    return key


def _taken(view: View, key: str) -> bool:
    return view.get(CONTENT, key) is not None or view.get(BUNDLES, key) is not None
