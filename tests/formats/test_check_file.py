"""check_file: the extension claims a format, the content must be that format. Every real file of
every format, named as every other format, is refused in one line; PDF+ZIP polyglots are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from paidpdf.content import formats
from paidpdf.errors import InvalidInput
from tests.catalog.files import pdf_bytes
from tests.formats.files import audio_bytes, epub_bytes, video_bytes, zip_bytes

EXTENSIONS = ["pdf", "epub", "zip", "mp3", "m4a", "ogg", "flac", "wav", "mp4", "webm"]


@pytest.fixture(scope="module")
def real_files() -> dict[str, bytes]:
    made = {"pdf": pdf_bytes(2), "epub": epub_bytes(), "zip": zip_bytes([("a.txt", b"a")])}
    made |= {fmt: audio_bytes(fmt) for fmt in ("mp3", "m4a", "ogg", "flac", "wav")}
    made |= {fmt: video_bytes(fmt, size=(32, 24), fps=4) for fmt in ("mp4", "webm")}
    return made


def test_each_real_file_passes_under_its_own_name(tmp_path: Path, real_files: dict[str, bytes]) -> None:
    for fmt in EXTENSIONS:
        path = tmp_path / f"file.{fmt}"
        path.write_bytes(real_files[fmt])
        facts = formats.check_file(path, f"Upper Case.{fmt.upper()}")  # extensions are not case sensitive
        assert facts.format == fmt
        assert facts.media_type == formats.MEDIA_TYPES[fmt]
        assert facts.size == len(real_files[fmt])


def test_each_real_file_is_refused_under_every_other_name(tmp_path: Path, real_files: dict[str, bytes],
                                                         ) -> None:
    refused = 0
    for real in EXTENSIONS:
        for named in EXTENSIONS:
            if named == real or (real, named) == ("epub", "zip"):  # an EPUB is a ZIP archive
                continue
            path = tmp_path / f"{real}-as.{named}"
            path.write_bytes(real_files[real])
            with pytest.raises(InvalidInput) as caught:
                formats.check_file(path, path.name)
            assert path.name in str(caught.value) and "\n" not in str(caught.value)
            refused += 1
    assert refused == len(EXTENSIONS) * (len(EXTENSIONS) - 1) - 1


@pytest.mark.parametrize("name", ["setup.exe", "notes.txt", "README", "pack.tar.gz", "movie.mkv", "song.aac"])
def test_formats_the_shop_does_not_sell_are_named_in_the_refusal(tmp_path: Path, name: str) -> None:
    path = tmp_path / "upload"
    path.write_bytes(b"something")
    with pytest.raises(InvalidInput, match=r"is not a format this shop sells \(one of: epub, flac, m4a"):
        formats.check_file(path, name)


def test_a_pdf_with_a_small_zip_appended_is_a_polyglot(tmp_path: Path) -> None:
    """A PDF reader ignores what follows %%EOF, an unzip tool finds the archive there: both at once."""
    path = tmp_path / "book.pdf"
    path.write_bytes(pdf_bytes(1) + zip_bytes([("x", b"x")]))  # %%EOF stays within the last kilobyte
    with pytest.raises(InvalidInput, match="has a ZIP archive appended to it: polyglots are refused"):
        formats.check_file(path, "book.pdf")


def test_missing_and_empty_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        formats.check_file(tmp_path / "nope.mp3", "nope.mp3")
    (tmp_path / "empty.epub").write_bytes(b"")
    with pytest.raises(InvalidInput, match="is empty"):
        formats.check_file(tmp_path / "empty.epub", "empty.epub")
    (tmp_path / "folder.zip").mkdir()
    with pytest.raises(InvalidInput, match="is a folder"):
        formats.check_file(tmp_path / "folder.zip", "folder.zip")


def test_each_file_is_described_in_one_short_line(tmp_path: Path, real_files: dict[str, bytes]) -> None:
    described = {}
    for fmt in ("pdf", "epub", "zip", "mp3", "mp4"):
        path = tmp_path / f"file.{fmt}"
        path.write_bytes(real_files[fmt])
        described[fmt] = formats.describe(formats.check_file(path, path.name))
    assert described == {
        "pdf": "PDF, 2 pages",
        "epub": "EPUB, 3 chapters",
        "zip": "ZIP, 1 file",
        "mp3": "MP3 audio, 0:02",
        "mp4": "MP4 video, 32×24, 0:01",
    }
    assert formats.facts.clock(3_723_000) == "1:02:03"
