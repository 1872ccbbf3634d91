"""Real files for the catalog tests: PDFs made with fpdf2 and pypdf, images made with Pillow, and
hostile files built byte by byte (no mocks: every file goes through the real checks)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter


def pdf_bytes(pages: int = 3, title: str = "Sample", colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PDF: page 1 is filled with `colour` (so a rendered cover can be checked), then text pages."""
    pdf = FPDF(format=(148, 210))
    pdf.add_page()
    pdf.set_fill_color(*colour)
    pdf.rect(0, 0, pdf.w, pdf.h, style="F")
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 10, title)
    for number in range(2, pages + 1):
        pdf.add_page()
        pdf.set_font("Times", "", 12)
        pdf.multi_cell(0, 6, f"{title}, page {number}. " + "Some real text on a real page. " * 20)
    return bytes(pdf.output())


def write_pdf(
    path: Path, pages: int = 3, title: str = "Sample", colour: tuple[int, int, int] = (200, 30, 30)
) -> Path:
    path.write_bytes(pdf_bytes(pages, title, colour))
    return path


def encrypted_pdf(path: Path, user_password: str) -> Path:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(2))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (120, 160), colour: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


def write_image(
    path: Path, fmt: str = "PNG", size: tuple[int, int] = (120, 160), colour: str = "navy"
) -> Path:
    path.write_bytes(image_bytes(fmt, size, colour))
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_header_only(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose header claims `width` x `height` pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
    b'<script>alert(document.cookie)</script><rect width="100" height="100"/></svg>\n'
)

HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not found</body></html>\n"
