"""Public samples: the audio cut, video clip or EPUB first chapter each file's format makes when the
file is added (`content.file_intake`), for anyone who may see the item page.

Only the sample the catalog names for a live file of a visible item is served, from its own stored
file: the key in the URL picks one of the item's files and never names stored bytes, and a sample
that would be the full file was never recorded, so the full file is never public. Samples are
cached like look-inside pages (`downloads.PREVIEW_CACHE`): a removed file's sample goes within
minutes.
"""

from __future__ import annotations

from typing import Any

from paidpdf.content import item_files
from paidpdf.errors import NotFound
from paidpdf.languages import N_
from paidpdf.ownership import access
from paidpdf.store import Doc
from paidpdf.store.files.file_source import LocalFile
from paidpdf.web.context import WebContext
from paidpdf.web.downloads import PREVIEW_CACHE
from paidpdf.web.source_answers import send_source

#: Characters of a text sample (an EPUB's first chapter) shown on the item page.
TEXT_PREVIEW_CHARS = 6000


def sample_texts(web: WebContext, item: Doc) -> dict[str, str]:
    """The text samples of an item's files by file key, for the item page (escaped there like any
    text, never served as markup): the first `TEXT_PREVIEW_CHARS` characters of each."""
    found: dict[str, str] = {}
    for row in item_files.files_of(item):
        made = row.get("sample")
        if not isinstance(made, dict) or not str(made.get("media_type") or "").startswith("text/plain"):
            continue
        try:
            wanted = min(int(made["size"]), 4 * TEXT_PREVIEW_CHARS)  # UTF-8: at most 4 bytes a character
            opened = web.store.files.content(str(made["sha256"])).open_range(0, wanted)
            data = opened.read(wanted) if isinstance(opened, LocalFile) else b"".join(opened)
            opened.close()
        except NotFound:
            continue
        text = data.decode("utf-8", errors="replace")[:TEXT_PREVIEW_CHARS]
        found[str(row["key"])] = text
    return found


def sample(web: WebContext, item_id: str, key: str) -> Any:
    shelf = access.shelf_item(web.store, web.visitor.current_user(), item_id)  # NotFound: unknown, retired
    found = item_files.find(shelf.item, key)
    made = found.get("sample")
    if not isinstance(made, dict) or not made.get("sha256") or made.get("sha256") == found.get("sha256"):
        raise NotFound(N_("this file has no sample"))
    size = made["size"] if isinstance(made.get("size"), int) else None
    source = web.store.files.content(str(made["sha256"]), size=size, content_type=str(made["media_type"]))
    return send_source(source, cache_control=PREVIEW_CACHE)
