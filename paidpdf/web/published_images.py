"""Which names `/covers/<name>` serves, kept per version of the catalog.

Covers, look-inside pages and the logo live in one content-addressed folder, and a file stays there
after the catalog stops naming it (a preview strip taken down, a cover replaced). Serving whatever
file exists would keep a removed page online at its old address, so the cover route asks this map,
built from the catalog (`access.published_images`) once per `View.version` and read from the same
view, so the map always matches the version it is kept under.
"""

from __future__ import annotations

import threading
from typing import Any

from paidpdf.ownership import access
from paidpdf.store import CATALOG, DataStore


class PublishedImages:
    def __init__(self, store: DataStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._cached: tuple[Any, dict[str, str]] | None = None

    def kind(self, name: str) -> str | None:
        """`access.COVER` or `access.PREVIEW` for a name the catalog publishes now, else None."""
        view = self._store.view(CATALOG)
        version = view.version  # read first, in the same view as the names below
        cached = self._cached
        if cached is None or cached[0] != version:
            with self._lock:
                cached = self._cached
                if cached is None or cached[0] != version:
                    cached = self._cached = (version, access.published_images(view))
        return cached[1].get(name)
