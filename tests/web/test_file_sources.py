"""Issue 21, "one file source": every file the shop serves is one `FileSource` from `store.files`,
answered by one call (`source_answers.send_source`).

Each source class is checked on its own (size, validators, a byte range, presign or None, names
validated), then each kind of answer (a plain download, a stamped download, a cover, a look-inside
page) is fetched through the real app on each file store (the data folder; SeaweedFS in proxy and in
redirect mode) and compared with what the source itself gives: the same bytes, ETag, Last-Modified,
type and ranges, or for a redirect the source's own presigned address.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from webtest import TestApp

from paidpdf.accounts import sessions, users
from paidpdf.config import Settings
from paidpdf.content import catalog, demo, stamp_templates, stamping
from paidpdf.content.item_options import set_options
from paidpdf.content.stamped_source import StampedSource
from paidpdf.errors import NotFound
from paidpdf.ownership import library
from paidpdf.store import DataStore, Doc
from paidpdf.store.files.disk_source import DiskFiles, DiskSource
from paidpdf.store.files.file_source import FileSource, LocalFile
from paidpdf.store.files.object_files import ObjectFiles
from paidpdf.store.files.object_source import ObjectSource, ObjectSources
from paidpdf.web import create_app
from paidpdf.web.ranges import content_disposition
from tests.buckets import bucket_env

BOTH_BACKENDS = True  # tests/conftest.py: each shop runs on the data folder and on PostgreSQL

SECRET = "a-test-secret-key-that-is-long-enough-0123456789"
FILE_STORES = ["disk", "s3-proxy", "s3-redirect"]


def read(source: FileSource, start: int, length: int) -> bytes:
    """What `open_range` hands back, as bytes (a local file is bounded by the answer's length)."""
    opened = source.open_range(start, length)
    try:
        if isinstance(opened, LocalFile):
            return opened.read(length)
        return b"".join(opened)
    finally:
        opened.close()


@dataclass
class Shop:
    store: DataStore
    app: TestApp
    plain: Doc
    stamped: Doc
    owner: Doc
    files_at: str


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Sample PDFs, made once (`add_item` copies them into each shop)."""
    return demo.make_sample_pdfs(tmp_path_factory.mktemp("file-source-samples"))


@pytest.fixture(params=FILE_STORES)
def shop(
    request: pytest.FixtureRequest, data_dir: Path, backend_env: dict[str, str], samples: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Shop]:
    """A shop whose files are at `files_at`, with a plain and a stamped item owned by one reader; on
    the object store the local copies are gone (another server), so every byte comes from the bucket."""
    files_at = str(request.param)
    env = {"PAIDPDF_SECRET_KEY": SECRET, **backend_env}
    if files_at != "disk":
        env.update(bucket_env(request.getfixturevalue("s3_endpoint"), monkeypatch, files_at.split("-")[1]))
    settings = Settings.from_env(env, data_dir=data_dir)
    store = settings.open_store()
    if store.objects is not None:
        store.objects.ensure_bucket()
    plain = catalog.add_item(store, samples[0], title="Plain book", price_text="0", currency="usd")
    stamped = catalog.add_item(store, samples[1], title="Stamped book", price_text="0", currency="usd")
    set_options(store, stamped["id"], stamp=True)
    owner = users.sign_up(store, "owner@example.com", "owner password long")
    for item in (plain, stamped):
        library.grant(store, owner["id"], item["id"])
    if store.objects is not None:
        for item in (plain, stamped):
            (data_dir / "content" / item["sha256"]).unlink()
            for name in [item["cover"], *item["previews"]]:
                (data_dir / "covers" / name).unlink()
    app = TestApp(create_app(settings, store=store))
    app.set_cookie("paidpdf_session", sessions.open_session(store, owner["id"]))
    try:
        yield Shop(store, app, plain, stamped, owner, files_at)
    finally:
        store.close()


def content_source(shop: Shop, item: Doc) -> FileSource:
    return shop.store.files.content(item["sha256"], version=1, size=item["size"])


def owners_tail(shop: Shop, item: Doc) -> bytes:
    """The owner's tail, made by the domain as the download makes it (a granted copy names the account)."""
    ident = stamping.identifier(shop.store, shop.owner["id"], 1)
    text = stamping.stamp_text(shop.owner["email"], None, ident)
    return stamping.fill(stamp_templates.template(shop.store, item["sha256"]), text)


def assert_answers_as_source(app: TestApp, url: str, source: FileSource, span: tuple[int, int]) -> None:
    """GET, a Range of `span` (start, length), If-None-Match and HEAD answer what the source gives."""
    size = source.size()
    whole = app.get(url)
    assert whole.body == read(source, 0, size)
    assert whole.headers["ETag"] == source.etag
    assert whole.headers["Last-Modified"] == source.last_modified()
    assert whole.headers["Content-Type"].split(";")[0] == source.content_type
    start, length = span
    part = app.get(url, headers={"Range": f"bytes={start}-{start + length - 1}"}, status=206)
    assert part.body == read(source, start, length)
    assert part.headers["Content-Range"] == f"bytes {start}-{start + length - 1}/{size}"
    assert app.get(url, headers={"If-None-Match": source.etag}, status=304).body == b""
    head = app.head(url)
    assert head.headers["Content-Length"] == str(size) and head.body == b""


# Each source class on its own.


def test_disk_source_sizes_reads_ranges_and_never_presigns(
    data_dir: Path, samples: list[Path], backend_env: dict[str, str]
) -> None:
    store = Settings.from_env(backend_env, data_dir=data_dir).open_store()
    item = catalog.add_item(store, samples[0], title="Book", price_text="0",
                            currency="usd")
    pdf = (data_dir / "content" / item["sha256"]).read_bytes()
    assert isinstance(store.files, DiskFiles)
    source = store.files.content(item["sha256"], version=3)
    assert isinstance(source, DiskSource)
    assert source.size() == len(pdf) and source.content_type == "application/pdf"
    assert source.etag == f'"{item["sha256"][:32]}-v3"'
    assert read(source, 3, 5) == pdf[3:8]
    assert source.presigned_url(disposition="attachment") is None
    cover = store.files.cover(item["cover"])
    assert read(cover, 0, cover.size()) == (data_dir / "covers" / item["cover"]).read_bytes()
    assert cover.etag == f'"{item["cover"][:32]}"' and cover.content_type.startswith("image/")
    for bad in ("../accounts.json", item["sha256"].upper(), f"{item['sha256']}.pdf"):
        with pytest.raises(NotFound):
            store.files.content(bad)
        with pytest.raises(NotFound):
            store.files.cover(bad)
    missing = store.files.content("0" * 64)
    with pytest.raises(NotFound, match="not available"):
        missing.size()
    with pytest.raises(NotFound, match="not available"):
        missing.open_range(0, 1)
    store.close()


@pytest.mark.parametrize("mode", ["redirect", "proxy"])
def test_object_source_sizes_reads_ranges_and_presigns_in_redirect_mode(
    data_dir: Path, samples: list[Path], s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, mode: str,
    backend_env: dict[str, str],
) -> None:
    env = {**bucket_env(s3_endpoint, monkeypatch, mode), "PAIDPDF_SECRET_KEY": SECRET, **backend_env}
    store = Settings.from_env(env, data_dir=data_dir).open_store()
    assert isinstance(store.objects, ObjectFiles) and isinstance(store.files, ObjectSources)
    store.objects.ensure_bucket()
    item = catalog.add_item(store, samples[0], title="Book", price_text="0",
                            currency="usd")
    pdf = (data_dir / "content" / item["sha256"]).read_bytes()
    (data_dir / "content" / item["sha256"]).unlink()
    source = store.files.content(item["sha256"], version=2)
    assert isinstance(source, ObjectSource)
    assert source.size() == len(pdf) and source.etag == f'"{item["sha256"][:32]}-v2"'
    assert store.files.content(item["sha256"], size=123).size() == 123  # the catalog's: no round trip
    assert read(source, 7, 11) == pdf[7:18]
    assert read(source, len(pdf) - 4, 4) == pdf[-4:]
    disposition = content_disposition("Book.pdf")
    url = source.presigned_url(disposition=disposition)
    if mode == "proxy":
        assert url is None
    else:
        assert url is not None and "X-Amz-Expires=300" in url
        with urllib.request.urlopen(url, timeout=10) as got:
            assert got.read() == pdf and got.headers["Content-Disposition"] == disposition
    assert store.files.cover(item["cover"]).presigned_url(disposition=disposition) is None
    missing = store.files.content("0" * 64, size=10)
    with pytest.raises(NotFound):
        missing.open_range(0, 10)  # asked at once: an answer can still be a clean 404
    with pytest.raises(NotFound):
        store.files.content("0" * 64).size()
    store.close()


@pytest.mark.parametrize("files_at", ["disk", "s3"])
def test_stamped_source_is_the_file_then_the_tail_in_every_range(
    data_dir: Path, samples: list[Path], s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, files_at: str,
    backend_env: dict[str, str],
) -> None:
    env = {"PAIDPDF_SECRET_KEY": SECRET, **backend_env}
    if files_at == "s3":
        env.update(bucket_env(s3_endpoint, monkeypatch, "redirect"))
    store = Settings.from_env(env, data_dir=data_dir).open_store()
    if store.objects is not None:
        store.objects.ensure_bucket()
    item = catalog.add_item(store, samples[0], title="Book", price_text="0",
                            currency="usd")
    pdf = (data_dir / "content" / item["sha256"]).read_bytes()
    tail = b"%stamp tail%" * 3
    inner = store.files.content(item["sha256"], version=1, size=item["size"])
    source = StampedSource(inner, tail)
    whole = pdf + tail
    assert source.size() == len(whole) and source.content_type == "application/pdf"
    assert source.etag.startswith(inner.etag[:-1] + "-") and source.etag != inner.etag
    assert source.etag == StampedSource(inner, tail).etag != StampedSource(inner, tail + b"x").etag
    assert source.last_modified() == inner.last_modified()
    spans = [(0, len(whole)), (3, 20), (len(pdf) - 5, 10), (len(pdf) + 2, 7), (len(pdf), len(tail))]
    for start, length in spans:
        assert read(source, start, length) == whole[start : start + length], (start, length)
    assert source.presigned_url(disposition="attachment") is None  # a link cannot add the tail
    store.close()


# Each kind of answer, through the real app, on each file store.


def test_a_plain_download_is_its_content_source(shop: Shop) -> None:
    source = content_source(shop, shop.plain)
    url = f"/content/{shop.plain['id']}/download"
    if shop.files_at == "s3-redirect":
        moved = shop.app.get(url, status=303)
        disposition = content_disposition(str(shop.plain["filename"]))
        assert moved.location == source.presigned_url(disposition=disposition)
        with urllib.request.urlopen(moved.location, timeout=10) as got:
            assert got.read() == read(source, 0, source.size())
        return
    assert_answers_as_source(shop.app, url, source, (5, 10))
    assert shop.app.get(url).headers["Content-Disposition"].startswith("attachment")


def test_a_stamped_download_is_the_content_source_with_the_owners_tail(shop: Shop) -> None:
    source = StampedSource(content_source(shop, shop.stamped), owners_tail(shop, shop.stamped))
    head = content_source(shop, shop.stamped).size()
    url = f"/content/{shop.stamped['id']}/download"
    # never a redirect, whatever the mode; a range across the join of file and tail
    assert_answers_as_source(shop.app, url, source, (head - 5, 10))
    body = shop.app.get(url).body
    assert body.startswith(read(content_source(shop, shop.stamped), 0, head))
    assert shop.owner["email"].encode().hex().encode() in body


def test_a_cover_is_its_cover_source(shop: Shop) -> None:
    source = shop.store.files.cover(shop.plain["cover"])
    url = f"/covers/{shop.plain['cover']}"
    assert_answers_as_source(shop.app, url, source, (1, 8))
    assert "immutable" in shop.app.get(url).headers["Cache-Control"]


def test_a_preview_is_its_cover_source(shop: Shop) -> None:
    name = shop.plain["previews"][0]
    source = shop.store.files.cover(name)
    url = f"/covers/{name}"
    assert_answers_as_source(shop.app, url, source, (0, 16))
    assert "must-revalidate" in shop.app.get(url).headers["Cache-Control"]
