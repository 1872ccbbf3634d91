"""ZIP archives are listed and checked before they are stored: nothing that unpacks outside the buyer's
folder, no links, no encryption, no bombs, no damage, nothing hiding before or after the archive."""

from __future__ import annotations

import io
import stat
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from paidpdf.content import formats
from paidpdf.content.formats import archive
from paidpdf.errors import InvalidInput
from tests.catalog.files import pdf_bytes
from tests.formats.files import zip_bytes

GOOD = [("README.txt", b"Read me.\n"), ("assets/", b""), ("assets/sprite.png", b"\x89PNG fake" * 10)]


def _write(tmp_path: Path, data: bytes, name: str = "pack.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _refused(path: Path, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        formats.check_file(path, path.name)
    assert "\n" not in str(caught.value)


def test_a_plain_archive_is_listed(tmp_path: Path) -> None:
    path = _write(tmp_path, zip_bytes(GOOD))
    facts = formats.check_file(path, "pack.zip")
    assert (facts.format, facts.media_type, facts.size) == ("zip", "application/zip", path.stat().st_size)
    assert facts.details == {"entries": 3, "files": 2, "unpacked": 9 + 90}
    assert formats.extract_cover(path, facts) is None
    assert formats.make_sample(path, facts, tmp_path / "sample") is None
    assert formats.preview_pages(path, facts, 3) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("/etc/cron.d/evil", "absolute path"),
        ("C:\\Windows\\evil.dll", "absolute path"),
        ("docs/../../.bashrc", r"climbs out of its folder with '\.\.'"),
        ("..\\..\\evil.bat", "climbs out"),
        ("../evil", "climbs out"),
    ],
)
def test_entries_that_unpack_outside_the_folder_are_refused(tmp_path: Path, name: str, message: str) -> None:
    _refused(_write(tmp_path, zip_bytes([("ok.txt", b"ok"), (name, b"payload")])), message)


def test_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("ok.txt", b"ok")
        link = zipfile.ZipInfo("innocent.txt")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        out.writestr(link, b"/home/buyer/.ssh/id_rsa")
    _refused(_write(tmp_path, buffer.getvalue()), "symbolic link")


def test_an_encrypted_entry_is_refused(tmp_path: Path) -> None:
    data = bytearray(zip_bytes([("secret.txt", b"locked")]))
    # Set the "encrypted" flag in the local header (offset 6) and the central directory record (offset 8).
    data[6] |= 0x1
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1
    _refused(_write(tmp_path, bytes(data)), "encrypted entry")


def test_a_zip_bomb_of_real_zeros_is_refused_by_its_ratio(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out, out.open("zeros.bin", "w") as entry:
        chunk = bytes(1024 * 1024)
        for _ in range(66):  # 66 MiB of zeros (past the 64 MiB that may shrink freely) pack into 64 KiB
            entry.write(chunk)
    _refused(_write(tmp_path, buffer.getvalue()), r"would unpack to \d+ times its size; at most 100 times")


def test_a_listing_that_claims_more_than_the_limit_is_refused_before_unpacking(tmp_path: Path) -> None:
    data = bytearray(zip_bytes([("big.bin", b"x" * 100)]))
    central = data.find(b"PK\x01\x02")
    # Uncompressed size field of the central directory record: 4 GiB - 1, times three entries' worth.
    data[central + 24:central + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    path = _write(tmp_path, bytes(data))
    # The tighter EPUB limits (512 MiB) are exceeded by the claim alone.
    with path.open("rb") as handle, pytest.raises(InvalidInput, match="would unpack to 4294967280 bytes"):
        archive.check_archive(path, handle, path.name, archive.Limits(max_unpacked=512 * 1024**2))


def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    """The smallest zip bombs list many entries that all point at the same compressed data."""
    data = zip_bytes([("a.txt", b"A" * 1000)])
    end = data.find(b"PK\x05\x06")
    central = data.find(b"PK\x01\x02")
    record = data[central:end]
    twin = record.replace(b"a.txt", b"b.txt")
    eocd = bytearray(data[end:])
    eocd[8:10] = eocd[10:12] = (2).to_bytes(2, "little")
    eocd[12:16] = (len(record) * 2).to_bytes(4, "little")
    _refused(_write(tmp_path, data[:end] + twin + bytes(eocd)), "overlapping entries")


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    assert archive.Limits().max_entries == archive.MAX_ENTRIES == 20_000
    path = _write(tmp_path, zip_bytes([(f"f{i}", b"") for i in range(51)]))
    with path.open("rb") as handle, pytest.raises(InvalidInput, match="has 51 entries; at most 50 are"):
        archive.check_archive(path, handle, path.name, archive.Limits(max_entries=50))


def test_a_name_listed_twice_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("setup.exe", b"the real one")
        with pytest.warns(UserWarning, match="Duplicate name"):
            out.writestr("setup.exe", b"the other one")
    _refused(_write(tmp_path, buffer.getvalue()), "lists 'setup.exe' twice")


def test_damaged_data_fails_its_crc(tmp_path: Path) -> None:
    data = bytearray(zip_bytes([("notes.txt", b"stored text " * 20)], stored=frozenset({"notes.txt"})))
    data[40] ^= 0xFF  # a byte of the stored data
    _refused(_write(tmp_path, bytes(data)), "is damaged")


def test_a_truncated_archive_is_refused(tmp_path: Path) -> None:
    data = zip_bytes(GOOD)
    _refused(_write(tmp_path, data[: len(data) // 2]), "not a readable ZIP archive")


def test_data_before_or_after_the_archive_is_refused(tmp_path: Path) -> None:
    data = zip_bytes(GOOD)
    _refused(_write(tmp_path, data + b"trailing secrets"), "data after the end of the archive")
    _refused(_write(tmp_path, b"PK\x03\x04" + bytes(26) + data), "data before its first entry")


def test_a_pdf_with_a_zip_appended_is_not_a_zip(tmp_path: Path) -> None:
    _refused(_write(tmp_path, pdf_bytes(1) + zip_bytes(GOOD)), "not a ZIP archive.*looks like a PDF")


def test_a_pdf_header_hidden_in_the_first_kilobyte_is_refused(tmp_path: Path) -> None:
    hidden = ("cover.txt", b"%PDF-1.7\n1 0 obj <<>> endobj")
    data = zip_bytes([hidden, *GOOD], stored=frozenset({"cover.txt"}))
    _refused(_write(tmp_path, data), "also a PDF")


def test_a_comment_is_fine(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("a.txt", b"a")
        out.comment = b"made by the tests"
    assert formats.check_file(_write(tmp_path, buffer.getvalue()), "pack.zip").details["files"] == 1


def test_bzip2_entries_are_refused_with_a_way_out(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_BZIP2) as out:
        out.writestr("a.txt", b"a" * 100)
    _refused(_write(tmp_path, buffer.getvalue()), "compression method 12; use deflate")


def test_an_empty_archive_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    _refused(_write(tmp_path, buffer.getvalue()), "is not a ZIP archive")  # no entry: no PK\3\4 to start


def test_unpacking_is_checked_in_chunks_with_flat_memory(tmp_path: Path) -> None:
    big = bytes(range(256)) * (48 * 4096)  # 48 MiB, stored
    path = _write(tmp_path, zip_bytes([("big.bin", big)], stored=frozenset({"big.bin"})))
    del big
    tracemalloc.start()
    try:
        formats.check_file(path, "pack.zip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024
