"""EPUB 2 and 3 books: checked as ZIPs, then as EPUBs, then opened with ebooklib.

The order matters. The ZIP checks come first (archive.py, with an EPUB's tighter limits), because every
later step reads entries into memory. Then what makes a ZIP an EPUB: the first entry is `mimetype`,
stored uncompressed, holding exactly `application/epub+zip` (that is how readers recognise the book);
every XML document parses with entities refused (epub_package.py); container.xml names a package
document with a title and a spine whose items exist. Last, ebooklib (the maintained EPUB library) must
open the book too, so what the shop accepts is what EPUB readers accept. A book's "pages" are its
chapters: the spine's length.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

from paidpdf.content.formats.archive import Limits, check_archive
from paidpdf.content.formats.epub_package import XML_EXTENSIONS, Package, parse_xml, read_package
from paidpdf.content.formats.facts import MEDIA_TYPES, FileFacts
from paidpdf.content.formats.sniff import expect, identify_bytes
from paidpdf.errors import InvalidInput

#: An EPUB may unpack to at most this much: ebooklib reads a whole book into memory to open it.
MAX_EPUB_UNPACKED = 512 * 1024**2
#: At most this many files in a book.
MAX_EPUB_ENTRIES = 10_000
EPUB_LIMITS = Limits(max_entries=MAX_EPUB_ENTRIES, max_unpacked=MAX_EPUB_UNPACKED)

MIMETYPE = b"application/epub+zip"

#: Cover images are returned only in the formats the shop's cover code accepts, and up to this size.
MAX_COVER_BYTES = 30 * 1024 * 1024


def check_epub(path: Path, filename: str) -> FileFacts:
    """Prove that `path` is an EPUB 2 or 3 book; its facts, with the spine's length as `chapters`."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        expect(path, handle, "epub", filename)
        check_archive(path, handle, filename, EPUB_LIMITS)
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            _check_mimetype(archive, filename)
            _check_xml_documents(archive, filename)
            package = read_package(archive, filename)
    _open_with_ebooklib(path, filename)
    details: dict[str, str | int] = {"epub_version": package.version}
    if package.language:
        details["language"] = package.language
    if package.creator:
        details["creator"] = package.creator
    return FileFacts(
        format="epub",
        media_type=MEDIA_TYPES["epub"],
        size=size,
        chapters=len(package.spine),
        title=package.title,
        details=details,
    )


def _check_mimetype(archive: zipfile.ZipFile, filename: str) -> None:
    first = min(archive.infolist(), key=lambda info: info.header_offset)
    if first.filename != "mimetype":
        raise InvalidInput(f"{filename} is not an EPUB: first entry {first.filename!r} is not 'mimetype'")
    if first.compress_type != zipfile.ZIP_STORED:
        raise InvalidInput(f"{filename} is not a valid EPUB: its 'mimetype' entry is compressed")
    if first.file_size != len(MIMETYPE) or archive.read(first) != MIMETYPE:
        raise InvalidInput(f"{filename} is not an EPUB: 'mimetype' must hold exactly {MIMETYPE.decode()}")


def _check_xml_documents(archive: zipfile.ZipFile, filename: str) -> None:
    """Every XML document of the book, whatever the manifest says, parses with entities refused: the
    book's XML is later read by ebooklib's parser (lxml) and by EPUB readers, none of which may see a
    bomb or an external entity."""
    for info in archive.infolist():
        if not info.is_dir() and info.filename.lower().endswith(XML_EXTENSIONS):
            parse_xml(archive, info.filename, filename)


def _open_with_ebooklib(path: Path, filename: str) -> None:
    from ebooklib import epub

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ebooklib warns about options it changed defaults for
            epub.read_epub(str(path), {"ignore_ncx": True})
    except InvalidInput:
        raise
    except Exception as exc:  # ebooklib raises anything, KeyError to lxml errors
        reason = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise InvalidInput(f"{filename}: EPUB readers cannot open this book ({reason})") from None


def read_structure(path: Path) -> tuple[zipfile.ZipFile, Package]:
    """The open archive and package document of a book `check_epub` accepted (the caller closes it)."""
    archive = zipfile.ZipFile(path)
    try:
        return archive, read_package(archive, path.name)
    except BaseException:
        archive.close()
        raise


def epub_cover(path: Path) -> bytes | None:
    """The book's own cover image (PNG, JPEG or WebP), or None if it names none."""
    archive, package = read_structure(path)
    with archive:
        item = package.manifest.get(package.cover_id or "")
        if item is None:
            item = next((i for i in package.manifest.values()
                         if i.media_type.startswith("image/") and "cover" in i.id.lower()), None)
        if item is None or archive.getinfo(item.path).file_size > MAX_COVER_BYTES:
            return None
        data = archive.read(item.path)
    return data if identify_bytes(data[:64]) in ("png", "jpeg", "webp") else None

