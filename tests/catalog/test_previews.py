"""The "look inside" strip: the first pages rendered once, when the file is added, and shown on the
item page; changed by `--preview-pages` and by a new file."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from typer.testing import Result

from paidpdf.config import Settings
from paidpdf.content import catalog
from paidpdf.store import DataStore, Store
from paidpdf.store.files import blobs
from tests.catalog.files import write_pdf
from tests.data_files import written

Cli = Callable[..., Result]
BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL


def _png(store: Store, name: str) -> Image.Image:
    image = Image.open(io.BytesIO(blobs.cover_path(store.root, name).read_bytes()))
    assert image.format == "PNG"
    return image


def test_the_first_pages_are_rendered_when_the_file_is_added(store: Store, files: Path) -> None:
    pdf = write_pdf(files / "five.pdf", pages=5)
    item = catalog.add_item(store, pdf, title="Five pages", price_text="1", currency="usd")
    assert item["preview_pages"] == 3 and len(item["previews"]) == 3
    assert len(set(item["previews"])) == 3  # three different pages
    for name in item["previews"]:
        assert _png(store, name).width == 600
    short = catalog.add_item(store, write_pdf(files / "one.pdf", pages=1, title="One"), title="One page",
                             price_text="1", currency="usd")
    assert len(short["previews"]) == 1  # a shorter PDF has fewer
    none = catalog.add_item(store, write_pdf(files / "none.pdf", title="None"), title="No peeking",
                            price_text="1", currency="usd", preview_pages=0)
    assert none["previews"] == []


def test_edit_changes_the_strip_and_a_new_file_renders_it_again(store: Store, files: Path) -> None:
    item = catalog.add_item(store, write_pdf(files / "a.pdf", pages=4), title="A", price_text="1",
                            currency="usd")
    two = catalog.edit_item(store, item["id"], preview_pages=2)
    assert two["previews"] == item["previews"][:2] and two["version"] == item["version"]
    other = write_pdf(files / "b.pdf", pages=4, title="Other", colour=(0, 90, 200))
    newer = catalog.edit_item(store, item["id"], pdf=other)
    assert len(newer["previews"]) == 2 and newer["previews"][0] not in item["previews"]  # the new page 1
    assert newer["version"] == item["version"] + 1


def test_the_item_page_shows_the_strip_without_rendering_anything(
    cli: Cli, data_dir: Path, settings: Settings, files: Path
) -> None:
    from tests.web.site import make_site

    pdf = write_pdf(files / "book.pdf", pages=5)
    added = cli("content", "add", str(pdf), "--title", "Book", "--price", "0", "--preview-pages", "4")
    assert added.exit_code == 0, added.stderr
    site = make_site(data_dir, settings)
    covers_before = sorted((data_dir / "covers").iterdir())
    page = site.app.get("/content/book")
    strip = page.html.find("section", class_="look-inside").find_all("img")
    assert [img["alt"] for img in strip] == [f"Page {n} of Book" for n in range(1, 5)]
    for img in strip:
        assert site.app.get(img["src"]).content_type == "image/png"
    assert sorted((data_dir / "covers").iterdir()) == covers_before  # rendered once, at add time
    site.store.close()


def test_a_bad_count_is_one_line_and_changes_nothing(cli: Cli, store: DataStore, files: Path) -> None:
    pdf = write_pdf(files / "book.pdf")
    assert cli("content", "add", str(pdf), "--title", "Book", "--price", "0").exit_code == 0
    before = written(store)
    for args in (("content", "edit", "book", "--preview-pages", "11"),
                 ("content", "add", str(pdf), "--title", "Other", "--price", "0", "--preview-pages", "-1")):
        result = cli(*args)
        assert result.exit_code != 0 and "preview pages must be 0 to 10" in result.stderr, result.stderr
    assert written(store) == before
