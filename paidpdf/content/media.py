"""What a file really is: PDF checks and page counts, cover images, and covers rendered from page 1.

An admin's file is never trusted for what its name says. A PDF must start with a PDF header, end with
an end-of-file marker (a file cut short in transfer does not), parse with pypdf, open with PDFium (the
engine that renders the cover, and the one Chrome uses to show it to buyers) and agree on its page count.
Encrypted PDFs are accepted only when they open without a password, because buyers could not read them
otherwise.

Covers must be PNG, JPEG or WebP, checked by content (Pillow), with size limits checked from the header
before any pixel is decoded, so a small "decompression bomb" file cannot exhaust memory. SVG covers are
rejected: an SVG is an XML document that can carry scripts and external references, and serving one
from the shop's own origin would let it run there. A cover is re-encoded before it is stored: that
drops metadata (camera, GPS location) and anything appended to the image (polyglot files), so the shop
only ever serves pixels it produced itself.

pypdf, PDFium and Pillow are imported inside the functions that use them, so CLI commands that never
look at a file start fast.
"""

from __future__ import annotations

import io
import logging
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from paidpdf.errors import InvalidInput

if TYPE_CHECKING:
    from PIL import Image

#: Image formats a cover may have (Pillow's names) and the extension each is stored under.
COVER_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}

#: Limits checked from the image header, before decoding: at most 10000 px a side and 40 Mpx in all.
MAX_COVER_SIDE = 10_000
MAX_COVER_PIXELS = 40_000_000

#: Cover files larger than this are refused outright (a cover is a picture, not a poster print).
MAX_COVER_BYTES = 30 * 1024 * 1024

#: Stored covers are scaled down to fit this many pixels on their longest side.
STORED_COVER_SIDE = 1600

#: Width of the cover rendered from page 1 when none is given, and the most height it may take.
RENDER_WIDTH = 600
MAX_RENDER_HEIGHT = 2400

_PDF_HEADER = b"%PDF-"
_PDF_EOF = b"%%EOF"
#: PDF readers accept the header within the first 1024 bytes and the EOF marker within the last 1024.
_MARKER_WINDOW = 1024


@dataclass(frozen=True)
class PdfInfo:
    """What the checks learnt about a PDF."""

    path: Path
    size: int
    pages: int


@dataclass(frozen=True)
class CoverImage:
    """A checked and re-encoded cover: the bytes to store and the extension to store them under."""

    data: bytes
    ext: str
    width: int
    height: int


def check_regular_file(path: Path, what: str) -> int:
    """The size of `path`, or a clear `InvalidInput` when it is missing, not a file, unreadable or empty."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InvalidInput(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} {path}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInput(f"{what} {path} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInput(f"{what} {path} is not a regular file")
    if not os.access(path, os.R_OK):
        raise InvalidInput(f"cannot read {what} {path}: permission denied")
    if info.st_size == 0:
        raise InvalidInput(f"{what} {path} is empty (0 bytes)")
    return info.st_size


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs warnings about sloppy-but-readable files; the CLI promises one line on stderr."""
    logger = logging.getLogger("pypdf")
    before = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(before)


def inspect_pdf(path: Path) -> PdfInfo:
    """Prove that `path` is a readable PDF and count its pages; raise `InvalidInput` naming it if not."""
    size = check_regular_file(path, "PDF file")
    with path.open("rb") as handle:
        head = handle.read(_MARKER_WINDOW)
        handle.seek(max(0, size - _MARKER_WINDOW))
        tail = handle.read(_MARKER_WINDOW)
    if _PDF_HEADER not in head:
        raise InvalidInput(f"{path} is not a PDF (no %PDF- header){_sniff_hint(head)}")
    if _PDF_EOF not in tail:
        raise InvalidInput(f"{path} is truncated or corrupt: the PDF end-of-file marker is missing")
    pages = _pypdf_pages(path)
    pdfium_pages = _pdfium_pages(path)
    if pages != pdfium_pages:
        raise InvalidInput(f"{path} is corrupt: its page tree is inconsistent ({pages}/{pdfium_pages} pages)")
    return PdfInfo(path=path, size=size, pages=pages)


def _sniff_hint(head: bytes) -> str:
    """A short guess at what the file really is, so the admin knows which file went wrong."""
    probes = (
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"PK\x03\x04", "a ZIP archive (an EPUB or Office file?)"),
    )
    for magic, name in probes:
        if head.startswith(magic):
            return f"; it looks like {name}"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:256]:
        return "; it looks like an HTML page (a failed download?)"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "; it looks like a WebP image"
    return ""


def _pypdf_pages(path: Path) -> int:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

    try:
        # An open handle, not the path: given a path, pypdf reads the whole file into memory.
        with path.open("rb") as handle, _quiet_pypdf():
            reader = PdfReader(handle, strict=False)
            if reader.is_encrypted:
                try:
                    unlocked = bool(reader.decrypt(""))
                except (DependencyError, NotImplementedError):
                    unlocked = False
                if not unlocked:
                    raise InvalidInput(
                        f"{path} is password-protected; buyers could not open it: remove the password first"
                    )
            pages = len(reader.pages)
            for page in reader.pages:
                page.mediabox  # noqa: B018 - touching each page proves every page object resolves
    except InvalidInput:
        raise
    except FileNotDecryptedError:
        raise InvalidInput(f"{path} is password-protected: remove the password first") from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, AssertionError, OSError) as exc:
        raise InvalidInput(f"{path} is not a readable PDF ({_reason(exc)})") from None
    if pages < 1:
        raise InvalidInput(f"{path} is a PDF without pages")
    return pages


#: PDFium is not thread-safe: every call into it, from any thread, goes through this one lock
#: (pypdfium2's documented requirement; without it concurrent uploads crash the whole process).
PDFIUM_LOCK = threading.Lock()


def _pdfium_pages(path: Path) -> int:
    with PDFIUM_LOCK:
        return _pdfium_pages_locked(path)


def _pdfium_pages_locked(path: Path) -> int:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise InvalidInput(f"{path} is password-protected: remove the password first") from None
        raise InvalidInput(f"{path} is not a readable PDF ({_reason(exc)})") from None
    try:
        return len(document)
    finally:
        document.close()


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[:120] + "…") if len(text) > 120 else (text or type(exc).__name__)


def render_cover(path: Path, width: int = RENDER_WIDTH) -> CoverImage:
    """Page 1 of a checked PDF as a PNG `width` pixels wide: the cover when the admin gives none."""
    return render_pages(path, 1, width)[0]


def render_pages(path: Path, count: int, width: int = RENDER_WIDTH) -> list[CoverImage]:
    """The first `count` pages (fewer if the PDF is shorter) as PNGs: the cover, the "look inside" strip."""
    with PDFIUM_LOCK:
        images = _render_first_pages(path, count, width)
    found = []
    for image in images:
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        found.append(CoverImage(data=out.getvalue(), ext="png", width=image.width, height=image.height))
    return found


def _render_first_pages(path: Path, count: int, width: int) -> list[Image.Image]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise InvalidInput(f"cannot render pages of {path} ({_reason(exc)})") from None
    images = []
    try:
        for index in range(min(count, len(document))):
            page = document[index]
            try:
                page_width, page_height = page.get_size()
                scale = width / page_width if page_width > 0 else 1.0
                if page_height * scale > MAX_RENDER_HEIGHT:  # a hostile 1 x 14400 pt page must not eat memory
                    scale = MAX_RENDER_HEIGHT / page_height
                bitmap = page.render(scale=scale)
                images.append(bitmap.to_pil().convert("RGB"))
                bitmap.close()
            finally:
                page.close()
    except pdfium.PdfiumError as exc:
        raise InvalidInput(f"cannot render pages of {path} ({_reason(exc)})") from None
    finally:
        document.close()
    return images


def check_cover(path: Path) -> CoverImage:
    """Check an admin's cover image and re-encode it for storage; `InvalidInput` naming the file if bad."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    size = check_regular_file(path, "cover image")
    if size > MAX_COVER_BYTES:
        raise InvalidInput(f"cover image {path} is too large ({size} bytes; at most {MAX_COVER_BYTES})")
    with path.open("rb") as handle:
        head = handle.read(_MARKER_WINDOW)
    if path.suffix.lower() in (".svg", ".svgz") or _looks_like_svg(head):
        raise InvalidInput(
            f"cover image {path} is an SVG; SVG covers are not accepted because they can carry scripts:"
            " export it as PNG, JPEG or WebP"
        )
    try:
        with Image.open(path) as probe:
            kind = probe.format or "unknown"
            width, height = probe.size
            if kind not in COVER_FORMATS:
                raise InvalidInput(f"cover image {path} is {kind}; use PNG, JPEG or WebP")
            _check_dimensions(path, width, height)
            probe.verify()
        with Image.open(path) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
            image.load()
    except InvalidInput:
        raise
    except UnidentifiedImageError:
        raise InvalidInput(f"cover image {path} is not an image; use PNG, JPEG or WebP") from None
    except Image.DecompressionBombError:
        raise InvalidInput(
            f"cover image {path} claims to be enormous (a decompression bomb?); at most"
            f" {MAX_COVER_SIDE} px a side and {MAX_COVER_PIXELS // 1_000_000} Mpx"
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidInput(f"cover image {path} is damaged or truncated ({_reason(exc)})") from None
    return _reencode(image, kind)


def _looks_like_svg(head: bytes) -> bool:
    """XML text that mentions an <svg> element (gzip-compressed SVG is refused by Pillow anyway)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith(b"<") and b"<svg" in text


def _check_dimensions(path: Path, width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise InvalidInput(f"cover image {path} has no pixels ({width}x{height})")
    if width > MAX_COVER_SIDE or height > MAX_COVER_SIDE or width * height > MAX_COVER_PIXELS:
        raise InvalidInput(
            f"cover image {path} is {width}x{height} px; at most {MAX_COVER_SIDE} px a side and"
            f" {MAX_COVER_PIXELS // 1_000_000} Mpx (a decompression bomb is refused before decoding)"
        )


def _reencode(image: object, kind: str) -> CoverImage:
    from PIL import Image

    assert isinstance(image, Image.Image)
    picture = image
    if max(picture.size) > STORED_COVER_SIDE:
        picture = picture.copy()
        picture.thumbnail((STORED_COVER_SIDE, STORED_COVER_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if kind == "JPEG":
        picture.convert("RGB").save(out, format="JPEG", quality=88, optimize=True)
    elif kind == "WEBP":
        mode = "RGBA" if picture.mode in ("RGBA", "LA", "P") else "RGB"
        picture.convert(mode).save(out, format="WEBP", quality=85)
    else:
        if picture.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            picture = picture.convert("RGBA")
        picture.save(out, format="PNG", optimize=True)
    ext = COVER_FORMATS[kind]
    return CoverImage(data=out.getvalue(), ext=ext, width=picture.width, height=picture.height)
