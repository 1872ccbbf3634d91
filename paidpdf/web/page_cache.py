"""Item pages and catalog pages (`pages.catalog_page`), rendered once per version of the catalog: for
visitors who are not logged in, and for each logged-in reader's entitlement state (`reader_pages`).

An anonymous item page depends only on the item, the shop's identity (both in `catalog`, so the
file's `View.version` covers them) and the site's static files; everyone gets the same bytes except
the CSRF token of the guest's Buy form, which is this browser's own. So the page is rendered once
with a placeholder where the token goes, and each request puts its own token in: a visitor's item
page costs a dictionary lookup and one string replace instead of a template render. A logged-in
reader's page is kept the same way under a key made of everything it shows of the reader
(`reader_pages`), read afresh on every request the page is made by its route (`front_cache`, in front,
checks file versions instead); their token (bound to their session) is put in the
same way. A flash message (shown once, after a redirect) bypasses the cache. The version is read
before the page is rendered, so a concurrent change can at worst store a newer page under an older
key, which the next version replaces; a stale page is never kept under a new key.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from paidpdf.web.byte_lru import ByteLRU

#: Stands in for the CSRF token in a cached page; never a valid token (tokens are URL-safe base64).
PLACEHOLDER = "\x00csrf\x00"
#: Memory a cache may hold, in bytes of kept pages (an item page is about 5 KB, a catalog page 11 KB):
#: the bound is on bytes, not pages, so a shop with long descriptions keeps fewer pages, not more memory.
MAX_BYTES = 4 * 1024 * 1024


class PageCache:
    """`{key: page}` for the current catalog version, at most `limit` bytes of pages, the least
    recently used going first (readers who come back keep their pages; a crawler or a crowd of
    one-visit readers cycles through without growing memory). A page without a token is kept as the
    bytes sent (encoded once); one with a token as text with `PLACEHOLDER`, encoded per request.
    Pages are kept under their version too, so a page rendered from an older catalog while another
    thread saw a newer one is never found under the newer one; a new version drops the others."""

    def __init__(self, limit: int = MAX_BYTES) -> None:
        self._pages: ByteLRU[str | bytes] = ByteLRU(limit, len)
        self._version: Any = None

    def page(self, version: Any, key: Hashable, render: Callable[[], str], token: Callable[[], str]) -> bytes:
        """The page under `key` as UTF-8, rendered by `render` (with PLACEHOLDER for the token) when
        missing."""
        return fill(self.kept(version, key, render), token)

    def kept(self, version: Any, key: Hashable, render: Callable[[], str]) -> str | bytes:
        """The page under `key` as kept: bytes, or text with PLACEHOLDER (see `fill`)."""
        if version != self._version:
            self._version = version
            self._pages.clear()
        found = self._pages.get((version, key))
        if found is None:
            html = render()
            found = html if PLACEHOLDER in html else html.encode()
            self._pages.put((version, key), found)
        return found

    def kept_keys(self) -> list[Hashable]:
        """The keys of the pages kept now, least recently used first."""
        kept: list[tuple[Any, Hashable]] = self._pages.in_order()  # type: ignore[assignment]
        return [key for _, key in kept]

    def size(self) -> tuple[int, int]:
        """(pages, bytes) kept now."""
        return self._pages.size()


def fill(found: str | bytes, token: Callable[[], str]) -> bytes:
    """A kept page as sent: its bytes, or its text with this request's token in."""
    if isinstance(found, bytes):
        return found
    return found.replace(PLACEHOLDER, token()).encode()
