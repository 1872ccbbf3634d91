"""A data folder seeded with the demo catalog, for the areas whose tests need a real shop (web, payments).

Seeded once per session through the real domain code (`paidpdf.content.demo.seed_demo`: real PDFs, covers,
prices), then copied or hard-linked per test by each area's fixtures.
"""

from __future__ import annotations

from pathlib import Path

from paidpdf.config import Settings
from paidpdf.content import demo
from paidpdf.store import Store


def seed_demo_folder(folder: Path) -> Store:
    """Create `folder` and put the demo catalog in it; the store is returned for area-specific additions."""
    folder.mkdir()
    store = Store(folder)
    demo.seed_demo(store, Settings.from_env({}, data_dir=folder))
    return store
