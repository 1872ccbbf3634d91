"""Import fixtures: a catalog with two items to map a platform's products to, and a folder for exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from paidpdf.content import catalog
from paidpdf.store import Doc, Store
from tests.catalog.files import write_pdf


@pytest.fixture
def exports_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


@pytest.fixture
def items(store: Store, tmp_path: Path) -> tuple[Doc, Doc]:
    pdf = write_pdf(tmp_path / "guide.pdf", pages=2, title="Guide")
    guide = catalog.add_item(
        store, pdf, title="The Guide", price_text="19.99", currency="usd", item_id="guide"
    )
    free = catalog.add_item(store, pdf, title="Freebie", price_text="0", currency="usd", item_id="freebie")
    return guide, free
