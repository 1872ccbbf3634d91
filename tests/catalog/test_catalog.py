"""The catalog domain: ids, add/edit/price/retire/restore, and 'check everything before writing'."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from paidpdf.content import catalog
from paidpdf.errors import Conflict, InvalidInput, NotFound
from paidpdf.store import Doc, Store
from paidpdf.store.files import blobs
from tests.catalog.files import write_image, write_pdf
from tests.data_files import written

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL


def test_add_stores_the_file_the_cover_and_the_record(store: Store, data_dir: Path, item: Doc) -> None:
    assert item["id"] == "the-guide"
    assert item["price"] == 999 and item["currency"] == "usd"
    assert item["pages"] == 3 and item["version"] == 1 and item["status"] == "active"
    assert item["filename"] == "guide.pdf"
    assert blobs.hash_file(blobs.content_path(data_dir, item["sha256"])) == item["sha256"]
    assert blobs.content_path(data_dir, item["sha256"]).stat().st_size == item["size"]
    cover = Image.open(blobs.cover_path(data_dir, item["cover"]))
    assert cover.format == "PNG" and cover.width == 600
    assert catalog.get_item(store, "the-guide") == item
    assert list(catalog.public(item)) == list(catalog.FIELDS)


def test_lookup_is_case_insensitive(store: Store, item: Doc) -> None:
    assert catalog.get_item(store, "THE-Guide")["id"] == "the-guide"
    assert catalog.get_item(store, " the-guide ")["id"] == "the-guide"
    with pytest.raises(NotFound, match="no item 'nope'"):
        catalog.get_item(store, "nope")


def test_duplicates_conflict(store: Store, data_dir: Path, item: Doc, sample_pdf: Path) -> None:
    before = written(store)
    with pytest.raises(Conflict, match="titled"):
        catalog.add_item(store, sample_pdf, title="the  GUIDE", price_text="1", currency="usd")
    with pytest.raises(Conflict, match="id 'the-guide'"):
        catalog.add_item(
            store, sample_pdf, title="Other", price_text="1", currency="usd", item_id="The-Guide"
        )
    assert written(store) == before


def test_same_slug_different_title_gets_a_suffix(store: Store, data_dir: Path, sample_pdf: Path) -> None:
    first = catalog.add_item(store, sample_pdf, title="C++ Guide", price_text="1", currency="usd")
    second = catalog.add_item(store, sample_pdf, title="C Guide", price_text="1", currency="usd")
    assert (first["id"], second["id"]) == ("c-guide", "c-guide-2")
    assert first["sha256"] == second["sha256"]  # one stored copy serves both


def test_a_title_without_latin_letters_needs_an_id(store: Store, data_dir: Path, sample_pdf: Path) -> None:
    with pytest.raises(InvalidInput, match="choose one with --id"):
        catalog.add_item(store, sample_pdf, title="日本語の本", price_text="0", currency="jpy")
    done = catalog.add_item(
        store, sample_pdf, title="日本語の本", price_text="500", currency="jpy", item_id="nihongo"
    )
    assert done["price"] == 500 and done["currency"] == "jpy"


def test_a_given_cover_is_stored_by_its_hash(
    store: Store, data_dir: Path, sample_pdf: Path, files: Path
) -> None:
    cover = write_image(files / "c.jpg", fmt="JPEG")
    done = catalog.add_item(
        store, sample_pdf, title="Covered", price_text="5", currency="usd", cover=cover
    )
    assert done["cover"].endswith(".jpg") and done["cover"] != f"{done['sha256']}.jpg"
    stored = blobs.cover_path(data_dir, done["cover"]).read_bytes()
    assert Image.open(io.BytesIO(stored)).format == "JPEG"


def test_replacing_the_file_bumps_the_version_and_rerenders_the_cover(
    store: Store, data_dir: Path, item: Doc, files: Path
) -> None:
    new_pdf = write_pdf(files / "guide-v2.pdf", pages=5, title="The Guide v2", colour=(20, 20, 200))
    edited = catalog.edit_item(store, "the-guide", pdf=new_pdf)
    assert edited["version"] == 2
    assert edited["pages"] == 5 and edited["filename"] == "guide-v2.pdf"
    assert edited["sha256"] != item["sha256"] and edited["size"] == new_pdf.stat().st_size
    assert edited["cover"] == f"{edited['sha256']}.png"
    pixel = Image.open(blobs.cover_path(data_dir, edited["cover"])).convert("RGB").getpixel((300, 600))
    assert pixel[2] > 150 and pixel[0] < 80  # blue: page 1 of the new file
    assert edited["created_at"] == item["created_at"]
    assert catalog.get_item(store, "the-guide") == edited
    # The same file again is not a new version.
    again = catalog.edit_item(store, "the-guide", pdf=new_pdf)
    assert again["version"] == 2


def test_a_given_cover_survives_a_file_replacement(
    store: Store, data_dir: Path, sample_pdf: Path, files: Path
) -> None:
    cover = write_image(files / "c.png")
    done = catalog.add_item(
        store, sample_pdf, title="Kept", price_text="5", currency="usd", cover=cover
    )
    edited = catalog.edit_item(store, "kept", pdf=write_pdf(files / "v2.pdf", pages=4))
    assert edited["cover"] == done["cover"] and edited["version"] == 2


def test_edit_title_and_description_keep_the_id(store: Store, data_dir: Path, item: Doc) -> None:
    edited = catalog.edit_item(
        store, "THE-GUIDE", title="A Better Title", description=" New\r\ntext "
    )
    assert edited["id"] == "the-guide"
    assert edited["title"] == "A Better Title" and edited["description"] == "New\ntext"
    assert edited["version"] == 1


def test_edit_needs_something_to_change(store: Store, data_dir: Path, item: Doc) -> None:
    with pytest.raises(InvalidInput, match="nothing to change"):
        catalog.edit_item(store, "the-guide")


def test_price_retire_restore(store: Store, item: Doc) -> None:
    assert catalog.set_price(store, "the-guide", "12.50", "usd")["price"] == 1250
    assert catalog.set_price(store, "the-guide", "free", "usd")["price"] == 0
    retired = catalog.retire(store, "the-guide")
    assert retired["status"] == "retired"
    assert catalog.list_items(store) == []
    assert [i["id"] for i in catalog.list_items(store, include_retired=True)] == ["the-guide"]
    assert catalog.get_item(store, "the-guide")["status"] == "retired"
    assert catalog.retire(store, "the-guide") == retired  # twice changes nothing
    assert catalog.restore(store, "the-guide")["status"] == "active"
    assert [i["id"] for i in catalog.list_items(store)] == ["the-guide"]


def test_titles_are_checked(store: Store, data_dir: Path, sample_pdf: Path) -> None:
    before = written(store)
    for title, message in (("   ", "empty"), ("x" * 201, "too long"), ("a\x1b[31mred", "control")):
        with pytest.raises(InvalidInput, match=message):
            catalog.add_item(store, sample_pdf, title=title, price_text="1", currency="usd")
    assert written(store) == before
    assert not (data_dir / "content").exists() and store.export("catalog") is None


def test_racing_adds_of_one_title_keep_exactly_one(store: Store, data_dir: Path, files: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    pdfs = [write_pdf(files / f"race{n}.pdf", pages=2, title=f"Race {n}") for n in range(4)]

    def add(pdf: Path) -> str:
        try:
            return catalog.add_item(store, pdf, title="Same Title", price_text="1", currency="usd")[
                "id"
            ]
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(add, pdfs))
    assert outcomes.count("conflict") == 3
    assert [i["title"] for i in catalog.list_items(store)] == ["Same Title"]
