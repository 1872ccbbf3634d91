"""Catalog fixtures: a sample PDF and cover on disk, and a store with one item already added."""

from __future__ import annotations

from pathlib import Path

import pytest

from paidpdf.content import catalog
from paidpdf.store import Doc, Store
from tests.catalog.files import write_image, write_pdf


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A folder (outside the data folder) for the files an admin would upload."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


@pytest.fixture
def sample_pdf(files: Path) -> Path:
    return write_pdf(files / "guide.pdf", pages=3, title="The Guide")


@pytest.fixture
def sample_png(files: Path) -> Path:
    return write_image(files / "cover.png")


@pytest.fixture
def item(store: Store, data_dir: Path, sample_pdf: Path) -> Doc:
    """One active item, so 'nothing changed' is checked against a real catalog file."""
    return catalog.add_item(
        store, sample_pdf, title="The Guide", price_text="9.99", currency="usd", description="Hello"
    )
