"""Browsing the catalog: pages of 24, search over title and description, sort, and tags.

The query comes from a URL (`/?page=2&q=bread&sort=price&tag=baking`), so everything in it is checked
here: a page number that is not a positive number or a sort that does not exist is `InvalidInput` (a
400 page), a search is cut to `MAX_SEARCH` characters. The web's card cache keeps the catalog sorted
each way once per catalog version, so a page without a search is a slice of 24 and a 10,000-item
catalog serves it about as fast as a 100-item one; a search or tag filter is one pass over the items.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from paidpdf.errors import InvalidInput
from paidpdf.languages import N_

PAGE_SIZE = 24
MAX_SEARCH = 100
#: Sort name → (key on an item, newest/dearest first?). "newest" is the default.
SORTS: dict[str, tuple[str, bool]] = {
    "newest": ("created_at", True),
    "oldest": ("created_at", False),
    "price": ("price", False),
    "price-desc": ("price", True),
}
SORT_LABELS = {"newest": N_("Newest"), "oldest": N_("Oldest"), "price": N_("Price: low to high"),
               "price-desc": N_("Price: high to low")}

Doc = dict[str, Any]
_PAGE_RE = re.compile(r"\A[0-9]{1,6}\Z")  # ASCII digits only ("¹".isdigit() is true)


@dataclass(frozen=True)
class CatalogQuery:
    page: int = 1
    q: str = ""
    sort: str = "newest"
    tag: str = ""

    def url(self, **changes: Any) -> str:
        """The catalog URL of this query with `changes`, leaving out defaults (canonical, shareable)."""
        from urllib.parse import urlencode

        values = {"q": self.q, "tag": self.tag, "sort": self.sort, "page": self.page, **changes}
        kept = {k: v for k, v in values.items() if v and not (k == "sort" and v == "newest")
                and not (k == "page" and v == 1)}
        return "/" + (f"?{urlencode(kept)}" if kept else "")


@dataclass(frozen=True)
class CatalogPage:
    items: list[Doc]
    total: int  # items matching the query, on every page
    query: CatalogQuery
    pages: int

    @property
    def prev_url(self) -> str | None:
        return self.query.url(page=self.query.page - 1) if self.query.page > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.query.url(page=self.query.page + 1) if self.query.page < self.pages else None


def parse_query(page: str, q: str, sort: str, tag: str) -> CatalogQuery:
    """A query from URL parameters (each "" when absent); nonsense is a clear `InvalidInput`."""
    number = 1
    if page:
        if not _PAGE_RE.match(page) or int(page) < 1:
            raise InvalidInput(f"page must be a whole number from 1, not {page[:20]!r}")
        number = int(page)
    chosen = sort or "newest"
    if chosen not in SORTS:
        raise InvalidInput(f"unknown sort {sort[:20]!r}: use one of {', '.join(SORTS)}")
    # cut, then trim: a cut just after a space must not keep it (the query must read back the same)
    words = " ".join(q.split())[:MAX_SEARCH].rstrip()
    return CatalogQuery(number, words, chosen, tag.strip().lower()[:40].rstrip())


def browse(items: Sequence[Doc], query: CatalogQuery, *, presorted: bool = False) -> CatalogPage:
    """The page of `items` (active ones, as the catalog lists them) that `query` asks for. A page
    past the last one is empty (the page says so), not an error: the catalog may have shrunk.
    `presorted`: `items` are already in `query.sort` order (see `sort_items`), so a page without a
    search or tag costs a slice, whatever the size of the catalog."""
    words = query.q.casefold().split()
    chosen: Sequence[Doc] = items  # no copy: a page is a slice
    if words or query.tag:
        chosen = [
            item
            for item in items
            if (not query.tag or query.tag in (item.get("tags") or ()))
            and all(w in _haystack(item) for w in words)
        ]
    if not presorted:
        chosen = sort_items(chosen, query.sort)
    start = (query.page - 1) * PAGE_SIZE
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    return CatalogPage(list(chosen[start : start + PAGE_SIZE]), len(chosen), query, pages)


def sort_items(items: Sequence[Doc], sort: str) -> list[Doc]:
    """`items` in the order `sort` names (ties: the older first, by creation time)."""
    field, descending = SORTS[sort]
    empty = "" if field == "created_at" else 0
    return sorted(items, key=lambda item: (item.get(field) or empty, item.get("created_at") or ""),
                  reverse=descending)


def all_tags(items: Sequence[Doc]) -> list[str]:
    """Every tag in use, sorted (the catalog's tag filter)."""
    return sorted({tag for item in items for tag in item.get("tags") or ()})


def _haystack(item: Doc) -> str:
    return f"{item.get('title') or ''}\n{item.get('description') or ''}".casefold()
