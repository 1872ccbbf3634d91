"""PDF: the checks of `paidpdf.content.media` (header, end marker, pypdf and PDFium agree), as `FileFacts`.

One check is added for PDFs sold among other formats: no ZIP archive may be appended after the PDF (a
PDF+ZIP polyglot opens as a PDF here and as an archive in an unzip tool). PDF readers ignore what follows
the last end-of-file marker, ZIP readers look for their archive exactly there.
"""

from __future__ import annotations

from pathlib import Path

from paidpdf.content import media
from paidpdf.content.formats.facts import MEDIA_TYPES, FileFacts
from paidpdf.content.formats.sniff import appended_zip
from paidpdf.errors import InvalidInput


def check_pdf(path: Path, filename: str | None = None) -> FileFacts:
    """The facts of a PDF proven readable by today's check (`media.inspect_pdf`) and not a polyglot."""
    info = media.inspect_pdf(path)
    with path.open("rb") as handle:
        if appended_zip(handle):
            raise InvalidInput(f"{filename or path} has a ZIP archive appended to it: polyglots are refused")
    return FileFacts(format="pdf", media_type=MEDIA_TYPES["pdf"], size=info.size, pages=info.pages)


def pdf_cover(path: Path) -> bytes:
    """Page 1 rendered as PNG, the cover a PDF has always had when the admin gives none."""
    return media.render_cover(path).data
