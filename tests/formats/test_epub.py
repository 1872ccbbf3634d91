"""EPUB 2 and 3 books are checked as ZIPs, then as EPUBs (XML read with entities refused), then opened
with ebooklib; their cover is their own and their preview is their first chapter, as text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring
from PIL import Image

from paidpdf.content import formats, media
from paidpdf.content.formats import epub_text
from paidpdf.errors import InvalidInput
from tests.catalog.files import pdf_bytes
from tests.formats.files import (
    CONTAINER,
    chapter,
    epub_entries,
    package,
    png_bytes,
    write_epub,
    zip_bytes,
)

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    '<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>'
)
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'


def _book(tmp_path: Path, entries: list[tuple[str, bytes]], name: str = "book.epub") -> Path:
    path = tmp_path / name
    path.write_bytes(zip_bytes(entries))
    return path


def _replace(entries: list[tuple[str, bytes]], name: str, data: bytes) -> list[tuple[str, bytes]]:
    assert any(entry == name for entry, _ in entries)
    return [(entry, data if entry == name else old) for entry, old in entries]


def _refused(path: Path, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        formats.check_file(path, path.name)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_a_real_book_is_accepted_with_its_chapters_and_title(tmp_path: Path, version: str) -> None:
    path = write_epub(tmp_path / "book.epub", chapters=4, version=version)
    facts = formats.check_file(path, "book.epub")
    assert (facts.format, facts.media_type) == ("epub", "application/epub+zip")
    assert (facts.chapters, facts.pages, facts.title) == (4, None, "A Real Book")
    assert facts.details == {"epub_version": version, "language": "en", "creator": "A. Writer"}


@pytest.mark.parametrize("version", ["3.0", "2.0"])
def test_the_cover_is_the_books_own_image(tmp_path: Path, version: str) -> None:
    path = write_epub(tmp_path / "book.epub", version=version)
    facts = formats.check_file(path, "book.epub")
    cover = formats.extract_cover(path, facts)
    assert cover == png_bytes("teal")
    (tmp_path / "cover.png").write_bytes(cover)
    assert media.check_cover(tmp_path / "cover.png").ext == "png"  # today's cover code takes it as is


def test_a_book_of_one_chapter_is_not_its_own_sample(tmp_path: Path) -> None:
    path = write_epub(tmp_path / "book.epub", chapters=1)
    facts = formats.check_file(path, "book.epub")
    whole = epub_text.document_text(fromstring(chapter("Chapter 1").encode()))
    sample = formats.make_sample(path, facts, tmp_path / "sample")
    assert sample is not None
    text = sample.read_text(encoding="utf-8").strip()
    assert text.startswith("Chapter 1\nIt was a bright cold day")
    assert len(text) <= len(whole) // 2 + 2  # half of the book, and the " …" that says it goes on
    assert text.endswith("…")


def test_a_book_without_a_cover_has_none(tmp_path: Path) -> None:
    path = write_epub(tmp_path / "book.epub", cover=False)
    assert formats.extract_cover(path, formats.check_file(path, "book.epub")) is None


def test_the_preview_is_the_first_real_chapter_as_text(tmp_path: Path) -> None:
    entries = _replace(epub_entries(), "OEBPS/c1.xhtml", chapter("Title page", text="By A. Writer").encode())
    entries = _replace(entries, "OEBPS/c2.xhtml", chapter(
        "Chapter Two", text="<b>It</b> was a <script>alert('x')</script>bright cold day. " * 20).encode())
    path = _book(tmp_path, entries)
    facts = formats.check_file(path, "book.epub")
    sample = formats.make_sample(path, facts, tmp_path / "sample")
    assert sample is not None and sample.name == "sample.txt"
    text = sample.read_text(encoding="utf-8")
    assert text.startswith("Chapter Two\nIt was a bright cold day.")
    assert "Second\u00a0paragraph" not in text and "Second paragraph of Chapter Two." in text
    assert "Title page" not in text and "alert" not in text and "<" not in text
    assert formats.sample_media_type(sample) == "text/plain; charset=utf-8"
    pages = formats.preview_pages(path, facts, 2)
    assert len(pages) == 1  # the chapter fills one page
    with Image.open(io.BytesIO(pages[0])) as page:
        assert page.format == "PNG" and page.width == media.RENDER_WIDTH and page.height > page.width


def test_a_long_chapter_fills_as_many_pages_as_asked(tmp_path: Path) -> None:
    entries = _replace(epub_entries(), "OEBPS/c1.xhtml", chapter("Long", text="word " * 2000).encode())
    path = _book(tmp_path, entries)
    facts = formats.check_file(path, "book.epub")
    assert len(formats.preview_pages(path, facts, 3)) == 3
    assert formats.preview_pages(path, facts, 0) == []


def test_deeply_nested_markup_is_read_without_recursion(tmp_path: Path) -> None:
    deep = "<div>" * 5000 + "deep text " * 50 + "</div>" * 5000  # five times Python's recursion limit
    entries = _replace(epub_entries(), "OEBPS/c1.xhtml", chapter("Deep", text=deep).encode())
    path = _book(tmp_path, entries)
    sample = formats.make_sample(path, formats.check_file(path, "book.epub"), tmp_path / "s")
    assert sample is not None and "deep text" in sample.read_text(encoding="utf-8")


@pytest.mark.parametrize("where", ["META-INF/container.xml", "OEBPS/content.opf", "OEBPS/c2.xhtml"])
def test_an_xml_bomb_is_refused_wherever_it_hides(tmp_path: Path, where: str) -> None:
    entries = epub_entries()
    original = dict(entries)[where].decode()
    bombed = BILLION_LAUGHS + original.split("?>", 1)[1].replace("</", "&lol9;</", 1)
    _refused(_book(tmp_path, _replace(entries, where, bombed.encode())), "declares XML entities")


def test_an_external_entity_is_refused(tmp_path: Path) -> None:
    leak = EXTERNAL + chapter("Leak", text="&secret;").split("?>", 1)[1]
    book = _book(tmp_path, _replace(epub_entries(), "OEBPS/c1.xhtml", leak.encode()))
    _refused(book, "declares XML entities")


def test_a_bomb_in_utf16_is_refused_too(tmp_path: Path) -> None:
    opf = package("A Real Book", 3).split("?>", 1)[1]
    prolog = '<?xml version="1.0" encoding="utf-16"?>' + BILLION_LAUGHS.split("?>", 1)[1]
    bombed = (prolog + opf).encode("utf-16")
    _refused(_book(tmp_path, _replace(epub_entries(), "OEBPS/content.opf", bombed)), "declares XML entities")


def test_an_unlisted_xml_file_with_a_bomb_is_refused(tmp_path: Path) -> None:
    extra = (BILLION_LAUGHS + "<x>&lol9;</x>").encode()
    book = _book(tmp_path, [*epub_entries(), ("OEBPS/extra.xml", extra)])
    _refused(book, "extra.xml declares XML entities")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("mimetype-second", "first entry 'META-INF/container.xml' is not 'mimetype'"),
        ("mimetype-compressed", "'mimetype' entry is compressed"),
        ("mimetype-wrong", "'mimetype' must hold exactly application/epub\\+zip"),
        ("no-container", "META-INF/container.xml is missing"),
        ("no-rootfile", "names no package document"),
        ("no-title", "has no title"),
        ("version-1", "EPUB version 1.0 is not 2 or 3"),
        ("empty-spine", "empty spine"),
        ("spine-unknown", "the spine names 'ghost'"),
        ("missing-chapter", r"manifest item 'c2' \(c2.xhtml\) is missing"),
        ("not-xml", r"c1.xhtml is not well-formed XML"),
        ("escape", "points outside the book"),
    ],
)
def test_broken_books_are_refused_with_the_reason(tmp_path: Path, change: str, message: str) -> None:
    entries = epub_entries()
    stored = frozenset({"mimetype"})
    if change == "mimetype-second":
        entries = [entries[1], entries[0], *entries[2:]]
    elif change == "mimetype-compressed":
        stored = frozenset()
    elif change == "mimetype-wrong":
        entries = _replace(entries, "mimetype", b"application/zip")
    elif change == "no-container":
        entries = [e for e in entries if e[0] != "META-INF/container.xml"]
    elif change == "no-rootfile":
        container = CONTAINER.replace("oebps-package", "other")
        entries = _replace(entries, "META-INF/container.xml", container.encode())
    elif change == "no-title":
        entries = _replace(entries, "OEBPS/content.opf", package(None, 3).encode())
    elif change == "version-1":
        entries = _replace(entries, "OEBPS/content.opf", package("T", 3, version="1.0").encode())
    elif change == "empty-spine":
        entries = _replace(entries, "OEBPS/content.opf", package("T", 0).encode())
    elif change == "spine-unknown":
        opf = package("T", 3).replace('idref="c3"', 'idref="ghost"')
        entries = _replace(entries, "OEBPS/content.opf", opf.encode())
    elif change == "missing-chapter":
        entries = [e for e in entries if e[0] != "OEBPS/c2.xhtml"]
    elif change == "not-xml":
        entries = _replace(entries, "OEBPS/c1.xhtml", b"<html><body><p>unclosed</body></html>")
    elif change == "escape":
        opf = package("T", 3).replace('"c1.xhtml"', '"../../c1.xhtml"')
        entries = _replace(entries, "OEBPS/content.opf", opf.encode())
    path = tmp_path / "book.epub"
    path.write_bytes(zip_bytes(entries, stored=stored))
    _refused(path, message)


def test_a_zip_slip_inside_a_book_is_refused(tmp_path: Path) -> None:
    _refused(_book(tmp_path, [*epub_entries(), ("../../.bashrc", b"rm -rf ~")]), "climbs out of its folder")


def test_other_files_named_epub_are_refused(tmp_path: Path) -> None:
    pdf = tmp_path / "pdf.epub"
    pdf.write_bytes(pdf_bytes(1))
    _refused(pdf, "is not an EPUB book: its content does not match its name; it looks like a PDF file")
    plain = _book(tmp_path, [("notes.txt", b"hello")], name="plain.epub")
    _refused(plain, "first entry 'notes.txt' is not 'mimetype'")


def test_a_truncated_book_is_refused(tmp_path: Path) -> None:
    data = write_epub(tmp_path / "whole.epub").read_bytes()
    cut = tmp_path / "cut.epub"
    cut.write_bytes(data[: len(data) - 300])
    _refused(cut, "not a readable ZIP archive")


def test_a_real_book_is_still_a_zip(tmp_path: Path) -> None:
    """An EPUB is a ZIP: sold as .zip it passes the ZIP checks (nothing about it is hostile)."""
    path = write_epub(tmp_path / "book.zip")
    assert formats.check_file(path, "book.zip").format == "zip"
