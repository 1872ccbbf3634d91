"""Stamped copies of every format that is not a PDF, through the real site, on both backends: each
format's stamp is where its readers look (EPUB chapters and metadata, the ZIP's last entry, tags),
each owner gets their own copy, a forged identifier is refused and a re-saved copy still traces. A
bought copy of each format is checked, resumed and traced to its order in
tests/payments/test_stamped_format_orders.py."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import av
import mutagen
import pytest

from paidpdf.content import formats, item_file_changes, stamping
from paidpdf.content.item_options import set_options
from paidpdf.ownership import library
from tests.formats import files
from tests.stamp_media import FORMATS, add_all, make_media
from tests.web.site import FREE, PAID, Site, logged_in

BOTH_BACKENDS = True

@pytest.fixture(scope="module")
def stamp_media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("stamp-media"))

def test_each_format_names_its_stamp_where_its_readers_look(site: Site, stamp_media: dict[str, Path]) -> None:
    keys = add_all(site.store, PAID, stamp_media)
    set_options(site.store, PAID, stamp=True)
    owner = site.user("owner@example.com")
    app = logged_in(site, "owner")
    copies = {fmt: app.get(f"/content/{PAID}/files/{keys[fmt]}").body for fmt in FORMATS}
    with zipfile.ZipFile(io.BytesIO(copies["epub"])) as book:
        assert book.namelist()[0] == "mimetype"
        assert book.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        assert book.testzip() is None
        for chapter in ("OEBPS/c1.xhtml", "OEBPS/c2.xhtml", "OEBPS/c3.xhtml"):
            assert "Licensed to owner@example.com" in book.read(chapter).decode()
        assert 'id="paidpdf-license">ppdf:' in book.read("OEBPS/content.opf").decode()
        assert "Licensed to" not in book.read("OEBPS/nav.xhtml").decode()  # only the reading order
    with zipfile.ZipFile(io.BytesIO(copies["zip"])) as archive:
        assert archive.testzip() is None
        last = archive.infolist()[-1]
        assert last.filename.startswith("LICENSE-") and "owner@example.com" in archive.read(last).decode()
        assert [i.filename for i in archive.infolist()[:-1]] == ["plugin/main.py", "plugin/README.txt"]
    for fmt in ("mp3", "m4a", "ogg", "flac", "mp4"):
        path = site.data_dir.parent / f"tags.{fmt}"
        path.write_bytes(copies[fmt])
        tags = mutagen.File(path).tags
        assert "ppdf:" in str(tags.pprint() if hasattr(tags, "pprint") else tags), fmt
    webm = site.data_dir.parent / "tags.webm"
    webm.write_bytes(copies["webm"])
    with av.open(str(webm)) as video:  # the new tags are in the seek head: FFmpeg reads them
        assert "ppdf:" in video.metadata["PAIDPDF_LICENSE"]
    assert b"ICMT" in copies["wav"]
    assert all(owner["id"].encode() in copies[fmt] for fmt in FORMATS)  # no order: the account


def test_each_owner_gets_their_own_copy_of_the_same_length(site: Site, stamp_media: dict[str, Path]) -> None:
    keys = add_all(site.store, PAID, stamp_media)
    set_options(site.store, PAID, stamp=True)
    library.grant(site.store, site.user("reader@example.com")["id"], PAID)
    owner = logged_in(site, "owner")  # one client: each login replaces the session
    mine = {fmt: owner.get(f"/content/{PAID}/files/{keys[fmt]}") for fmt in FORMATS}
    reader = logged_in(site, "reader")
    theirs = {fmt: reader.get(f"/content/{PAID}/files/{keys[fmt]}") for fmt in FORMATS}
    for fmt in FORMATS:
        assert mine[fmt].body != theirs[fmt].body, fmt
        assert mine[fmt].headers["ETag"] != theirs[fmt].headers["ETag"], fmt
        assert b"owner@example.com" in mine[fmt].body and b"reader@example.com" in theirs[fmt].body, fmt
        if fmt != "zip":  # the license entry's name is the order or account id, of any length
            assert len(mine[fmt].body) == len(theirs[fmt].body), fmt


def test_a_forged_identifier_is_refused_in_every_format(
    site: Site, stamp_media: dict[str, Path], tmp_path: Path
) -> None:
    keys = add_all(site.store, PAID, stamp_media)
    set_options(site.store, PAID, stamp=True)
    app = logged_in(site, "owner")
    for fmt in FORMATS:
        body = app.get(f"/content/{PAID}/files/{keys[fmt]}").body
        version = body.split(b"ppdf:", 1)[1].split(b":")[1].decode()
        real = stamping.identifier(site.store, site.user("owner@example.com")["id"], int(version[1:]))
        assert real.encode() in body, fmt
        forged_id = real[:-4] + ("0000" if not real.endswith("0000") else "1111")
        forged = tmp_path / f"forged.{fmt}"
        forged.write_bytes(body.replace(real.encode(), forged_id.encode()))
        refused = site.cli("orders", "trace", str(forged))
        assert refused.exit_code == 3 and "did not make" in refused.stderr, (fmt, refused.stderr)
        assert "owner@example.com" not in refused.stdout and "Traceback" not in refused.stderr
        plain = site.cli("orders", "trace", str(stamp_media[fmt]))
        assert plain.exit_code == 3 and "carries no stamp of this shop" in plain.stderr, fmt


def test_a_reencoded_copy_still_traces(site: Site, stamp_media: dict[str, Path], tmp_path: Path) -> None:
    """Another program re-saved the EPUB (every entry deflated again): the entries are searched."""
    keys = add_all(site.store, PAID, stamp_media)
    set_options(site.store, PAID, stamp=True)
    body = logged_in(site, "owner").get(f"/content/{PAID}/files/{keys['epub']}").body
    resaved = tmp_path / "resaved.epub"
    with zipfile.ZipFile(io.BytesIO(body)) as source, zipfile.ZipFile(resaved, "w") as out:
        for info in source.infolist():
            out.writestr(info.filename, source.read(info), zipfile.ZIP_DEFLATED, 9)
    assert b"ppdf:" not in resaved.read_bytes()
    run = site.cli("orders", "trace", str(resaved), "--json")
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["buyer"] == "owner@example.com"


def test_an_epub_that_cannot_take_the_stamp_is_refused_when_stamping_is_turned_on(
    site: Site, tmp_path: Path
) -> None:
    """Chapters in UTF-16 cannot take the (UTF-8) line: `--stamp` is refused with one line and the
    item stays unstamped; an empty `<body/>` chapter takes it."""
    entries = files.epub_entries(chapters=2)
    utf16 = [(n, d.decode().replace('"utf-8"', '"utf-16"').encode("utf-16") if _chapter(n) else d)
             for n, d in entries]
    book = tmp_path / "wide.epub"
    book.write_bytes(files.zip_bytes(utf16))
    item_file_changes.add_file(site.store, PAID, book, sample_seconds=0)
    refused = site.cli("content", "edit", PAID, "--stamp")
    assert refused.exit_code != 0 and "cannot be stamped" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert not site.store.view("catalog").get("content", PAID).get("stamp")

    empty = [(n, d.decode().split("<body>")[0].encode() + b"<body/></html>" if _chapter(n) else d)
             for n, d in entries]
    other = tmp_path / "empty.epub"
    other.write_bytes(files.zip_bytes(empty))
    _item, row = item_file_changes.add_file(site.store, FREE, other, sample_seconds=0)
    set_options(site.store, FREE, stamp=True)
    body = logged_in(site, "owner").get(f"/content/{FREE}/files/{row['key']}").body
    copy = tmp_path / "stamped.epub"
    copy.write_bytes(body)
    assert formats.check_file(copy, copy.name).chapters == 2
    with zipfile.ZipFile(copy) as stamped:
        assert "Licensed to owner@example.com" in stamped.read("OEBPS/c1.xhtml").decode()


def _chapter(name: str) -> bool:
    return name.startswith("OEBPS/c") and name.endswith(".xhtml")
