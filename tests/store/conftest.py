"""Fixtures for the storage tests: forked worker processes and a populated data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paidpdf.store import Store
from paidpdf.store.files import blobs
from tests.store.children import Child, pdf_bytes


@pytest.fixture
def children() -> Iterator[list[Child]]:
    """Forked children started by a test; any still running at the end are killed."""
    started: list[Child] = []
    yield started
    for child in started:
        try:
            child.kill()
            child.wait()
        except (ProcessLookupError, ChildProcessError):
            pass
        child.close()


@pytest.fixture
def shop(data_dir: Path, store: Store, tmp_path: Path) -> Store:
    """A data folder with two catalog items (content files and covers), a user and a paid order."""
    items = []
    for n, title in enumerate(("Alpha Guide", "Beta Book")):
        src = tmp_path / f"{n}.pdf"
        src.write_bytes(pdf_bytes(title))
        sha, size = blobs.store_file(data_dir, src)
        cover = blobs.store_cover(data_dir, b"\x89PNG fake cover " + title.encode(), "png")
        items.append(
            {
                "id": title.lower().replace(" ", "-"),
                "title": title,
                "description": "",
                "price": 1999 + n,
                "currency": "usd",
                "filename": f"{n}.pdf",
                "sha256": sha,
                "size": size,
                "pages": 3,
                "cover": cover,
                "status": "active",
                "version": 1,
                "created_at": "2026-11-27T10:00:00Z",
                "updated_at": "2026-11-27T10:00:00Z",
            }
        )
    with store.unit("catalog") as unit:
        for item in items:
            unit.insert("content", item)
    with store.unit("accounts") as unit:
        unit.insert(
            "users", {"id": "usr_1", "email": "a@example.com", "password_hash": "x", "disabled": False}
        )
    with store.unit("sales") as unit:
        unit.insert(
            "orders",
            {
                "id": "ord_1",
                "status": "paid",
                "content_id": "alpha-guide",
                "user_id": "usr_1",
                "amount": 1999,
                "currency": "usd",
                "history": [],
            },
        )
    return store
