"""PDF: the checks of `paidpdf.content.media` (header, end marker, pypdf and PDFium agree), as `FileFacts`."""

from __future__ import annotations

from pathlib import Path

from paidpdf.content import media
from paidpdf.content.formats import MEDIA_TYPES, FileFacts


def check_pdf(path: Path) -> FileFacts:
    """The facts of a PDF proven readable by today's check (`media.inspect_pdf`)."""
    info = media.inspect_pdf(path)
    return FileFacts(format="pdf", media_type=MEDIA_TYPES["pdf"], size=info.size, pages=info.pages)


def pdf_cover(path: Path) -> bytes:
    """Page 1 rendered as PNG, the cover a PDF has always had when the admin gives none."""
    return media.render_cover(path).data
