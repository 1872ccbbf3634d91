"""Item pages and catalog pages (`pages.catalog_page`) for visitors who are not logged in, rendered
once per version of the catalog.

An anonymous item page depends only on the item, the shop's identity (both in `catalog`, so the
file's `View.version` covers them) and the site's static files; everyone gets the same bytes except
the CSRF token of the guest's Buy form, which is this browser's own. So the page is rendered once
with a placeholder where the token goes, and each request puts its own token in: a visitor's item
page costs a dictionary lookup and one string replace instead of a template render. A flash message
(shown once, after a redirect) bypasses the cache. The version is read before the page is rendered,
so a concurrent change can at worst store a newer page under an older key, which the next version
replaces; a stale page is never kept under a new key.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

#: Stands in for the CSRF token in a cached page; never a valid token (tokens are URL-safe base64).
PLACEHOLDER = "\x00csrf\x00"
#: Pages kept per version; an item page is small (about 10 KB), so this bounds memory to a few MB.
MAX_PAGES = 512


class AnonymousPages:
    """`{page path: html with PLACEHOLDER}` for one catalog version at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: Any = None
        self._pages: dict[str, str] = {}

    def page(self, version: Any, path: str, render: Callable[[], str], token: Callable[[], str]) -> str:
        """The page at `path`, rendered by `render` (with PLACEHOLDER for the token) when missing."""
        with self._lock:
            if version != self._version:
                self._version, self._pages = version, {}
            found = self._pages.get(path)
        if found is None:
            found = render()
            with self._lock:
                if version == self._version and len(self._pages) < MAX_PAGES:
                    self._pages[path] = found
        return found.replace(PLACEHOLDER, token()) if PLACEHOLDER in found else found
