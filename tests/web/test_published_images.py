"""Look-inside pages taken down are no longer served (issue 20, item 12): after
`content edit ID --preview-pages 0` their old addresses answer 404, whatever validator a client
sends, and the cached item page stops listing them; covers are still served. The object store's
variant is in test_object_files.py.
"""

from __future__ import annotations

from pathlib import Path

from paidpdf.content import catalog
from tests.catalog.files import pdf_bytes
from tests.web.site import PAID, Site

BOTH_BACKENDS = True
BOOK = "look-inside-book"


def _book(site: Site, tmp_path: Path) -> dict[str, object]:
    """An item of its own, so no other item shares its pages (the seeded shop has two items made
    from the same sample PDF, and a page both name stays published)."""
    path = tmp_path / "look-inside.pdf"
    path.write_bytes(pdf_bytes(pages=4, title="A book with a look inside"))
    return catalog.add_item(
        site.store, path, title="Look inside", price_text="3", currency="usd", item_id=BOOK, preview_pages=3,
    )


def test_previews_taken_down_are_404_at_their_old_addresses(site: Site, tmp_path: Path) -> None:
    item = _book(site, tmp_path)
    previews, cover = list(item["previews"]), item["cover"]
    assert previews and cover not in previews
    page = site.app.get(f"/content/{BOOK}")  # the anonymous page cache now holds this version
    shown = {}
    for name in previews:
        assert f"/covers/{name}" in page.text
        res = site.app.get(f"/covers/{name}")
        assert res.content_type == "image/png" and "immutable" not in res.headers["Cache-Control"]
        shown[name] = res.headers["ETag"]
        site.app.get(f"/covers/{name}", headers={"If-None-Match": res.headers["ETag"]}, status=304)

    result = site.cli("content", "edit", BOOK, "--preview-pages", "0")
    assert result.exit_code == 0, result.output
    assert site.item(BOOK)["previews"] == []

    for name, etag in shown.items():
        assert (site.data_dir / "covers" / name).is_file()  # the file stays; it is no longer published
        site.app.get(f"/covers/{name}", status=404)
        site.app.head(f"/covers/{name}", status=404)
        site.app.get(f"/covers/{name}", headers={"If-None-Match": etag}, status=404)
        site.app.get(f"/covers/{name}", headers={"Range": "bytes=0-9"}, status=404)
    page = site.app.get(f"/content/{BOOK}")
    assert not any(f"/covers/{name}" in page.text for name in previews)
    assert f"/covers/{cover}" in page.text
    assert site.app.get(f"/covers/{cover}").body == (site.data_dir / "covers" / cover).read_bytes()

    result = site.cli("content", "edit", BOOK, "--preview-pages", "2")  # put back: served again
    assert result.exit_code == 0, result.output
    assert site.item(BOOK)["previews"] == previews[:2]
    for name in previews[:2]:
        assert site.app.get(f"/covers/{name}").status_int == 200
    site.app.get(f"/covers/{previews[2]}", status=404)


def test_files_the_catalog_does_not_name_are_not_served(site: Site) -> None:
    """Only names the catalog publishes: a file dropped into the folder under a valid name is not."""
    stray = "ab" * 32 + ".png"
    real = site.data_dir / "covers" / site.item(PAID)["cover"]
    (site.data_dir / "covers" / stray).write_bytes(real.read_bytes())
    site.app.get(f"/covers/{real.name}", status=200)
    site.app.get(f"/covers/{stray}", status=404)
