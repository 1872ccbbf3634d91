"""The demo: real sample booklets, a seeded catalog, and a folder it may wipe only if it made it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner, Result

from paidpdf.content import catalog, demo, item_files, media
from paidpdf.store import Store
from tests.cli_app import paidpdf_app


def run_demo(*args: str) -> Result:
    return CliRunner().invoke(paidpdf_app(), ["demo", *args], env={})


def test_sample_pdfs_are_real_booklets(tmp_path: Path) -> None:
    paths = demo.make_sample_pdfs(tmp_path / "samples")
    assert len(paths) == len(demo.BOOKLETS) >= 3
    for path, booklet in zip(paths, demo.BOOKLETS, strict=True):
        assert media.inspect_pdf(path).pages >= 4
        text = PdfReader(path).pages[1].extract_text()
        assert booklet.chapters[0][0] in text


def test_demo_seeds_a_new_shop_keeps_it_and_starts_over_only_with_fresh(tmp_path: Path) -> None:
    folder = tmp_path / "demo-data"
    result = run_demo("--folder", str(folder), "--seed-only")
    assert result.exit_code == 0, result.stderr
    assert "Sourdough" in result.stdout and "Free" in result.stdout and "$19.99" in result.stdout
    items = catalog.list_items(Store(folder))
    booklets = [i for i in items if i["id"] in {b.slug for b in demo.BOOKLETS}]
    assert sorted(i["price"] for i in booklets) == [0, 499, 999, 1999]
    assert all(i["pages"] >= 4 and i["cover"] for i in booklets)
    # the demo also sells an EPUB and an audio item, made at demo time, each with its public sample
    media = {i["id"]: item_files.primary(i) for i in items if i not in booklets}
    assert sorted(f["format"] for f in media.values()) == ["epub", "m4a"]
    assert all(f["sample"] and f["sample"]["sha256"] != f["sha256"] for f in media.values())
    assert len(items) == len(demo.BOOKLETS) + len(demo.MEDIA_ITEMS)
    assert (folder / demo.MARKER).is_file()
    # A second run keeps the shop: an item added in between, and a backup made inside it, survive.
    extra = demo.make_sample_pdfs(tmp_path / "more")[0]
    catalog.add_item(Store(folder), extra, title="Added later", price_text="3", currency="usd")
    (folder / "backups" / "20261201T000000Z").mkdir(parents=True)
    again = run_demo("--folder", str(folder), "--seed-only")
    assert again.exit_code == 0, again.stderr
    assert "Reusing the demo shop" in again.stdout and "--fresh" in again.stdout
    assert len(catalog.list_items(Store(folder))) == len(demo.BOOKLETS) + len(demo.MEDIA_ITEMS) + 1
    # --fresh starts over, says what it deletes, and keeps backups/.
    fresh = run_demo("--folder", str(folder), "--seed-only", "--fresh")
    assert fresh.exit_code == 0, fresh.stderr
    assert "--fresh: deleted" in fresh.stdout and "catalog.json" in fresh.stdout
    expected = [b.slug for b in demo.BOOKLETS] + [m[0] for m in demo.MEDIA_ITEMS]
    assert sorted(i["id"] for i in catalog.list_items(Store(folder))) == sorted(expected)
    assert (folder / "backups" / "20261201T000000Z").is_dir()


def test_demo_never_wipes_a_folder_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "real-data"
    precious.mkdir()
    (precious / "catalog.json").write_text("{}")
    result = run_demo("--folder", str(precious), "--seed-only")
    assert result.exit_code != 0
    assert "refusing to use it" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert [p.name for p in precious.iterdir()] == ["catalog.json"]
    a_file = tmp_path / "file"
    a_file.write_text("x")
    result = run_demo("--folder", str(a_file), "--seed-only")
    assert result.exit_code != 0 and "is a file" in result.stderr
    assert a_file.read_text() == "x"


def test_demo_help_has_an_example() -> None:
    result = CliRunner().invoke(paidpdf_app(), ["demo", "--help"], env={})
    assert "Example: paidpdf demo" in result.stdout


def test_demo_uses_the_global_data_folder_when_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "my-demo"
    result = CliRunner().invoke(paidpdf_app(), ["--data", str(folder), "demo", "--seed-only"], env={})
    assert result.exit_code == 0, result.stderr
    assert (folder / demo.MARKER).is_file()
    assert len(catalog.list_items(Store(folder))) == len(demo.BOOKLETS) + len(demo.MEDIA_ITEMS)
    assert not (tmp_path / "demo-data").exists()


def test_demo_folder_option_wins_over_global_data(tmp_path: Path) -> None:
    data, folder = tmp_path / "data", tmp_path / "explicit"
    result = CliRunner().invoke(
        paidpdf_app(), ["--data", str(data), "demo", "--folder", str(folder), "--seed-only"], env={}
    )
    assert result.exit_code == 0, result.stderr
    assert (folder / demo.MARKER).is_file() and not data.exists()


def test_demo_never_wipes_real_data_named_by_global_data(tmp_path: Path) -> None:
    precious = tmp_path / "real-data"
    precious.mkdir()
    (precious / "catalog.json").write_text("{}")
    result = CliRunner().invoke(paidpdf_app(), ["--data", str(precious), "demo", "--seed-only"], env={})
    assert result.exit_code != 0
    assert "refusing to use it" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert [p.name for p in precious.iterdir()] == ["catalog.json"]
