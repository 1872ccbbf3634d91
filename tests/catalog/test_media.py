"""Files are checked for what they are, not what they are called."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from paidpdf.content import media
from paidpdf.errors import InvalidInput
from tests.catalog.files import (
    HTML_PAGE,
    SVG_WITH_SCRIPT,
    encrypted_pdf,
    image_bytes,
    pdf_bytes,
    png_header_only,
    write_image,
    write_pdf,
)


def test_a_real_pdf_is_accepted_with_its_page_count(files: Path) -> None:
    info = media.inspect_pdf(write_pdf(files / "book.pdf", pages=7))
    assert info.pages == 7
    assert info.size == (files / "book.pdf").stat().st_size


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "is empty"),
        ("image.pdf", image_bytes("PNG"), r"not a PDF \(no %PDF- header\); it looks like a PNG image"),
        ("photo.pdf", image_bytes("JPEG"), "looks like a JPEG image"),
        ("page.pdf", HTML_PAGE, "looks like an HTML page"),
        ("notes.pdf", b"just some notes\n" * 50, "not a PDF"),
        ("garbage.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n", "not a readable PDF"),
        ("noeof.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "end-of-file marker is missing"),
    ],
    ids=lambda value: value if isinstance(value, str) and value.endswith(".pdf") else "",
)
def test_files_that_are_not_pdfs_are_refused(files: Path, name: str, content: bytes, message: str) -> None:
    path = files / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as caught:
        media.inspect_pdf(path)
    assert str(path) in str(caught.value)


def test_a_pdf_truncated_at_half_is_refused(files: Path) -> None:
    whole = pdf_bytes(pages=6)
    path = files / "cut.pdf"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InvalidInput, match="truncated or corrupt"):
        media.inspect_pdf(path)
    # Even with a forged end marker the missing half is noticed.
    path.write_bytes(whole[: len(whole) // 2] + b"\n%%EOF\n")
    with pytest.raises(InvalidInput, match="not a readable PDF"):
        media.inspect_pdf(path)


def test_missing_files_and_folders_are_refused(files: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        media.inspect_pdf(files / "nope.pdf")
    folder = files / "folder.pdf"
    folder.mkdir()
    with pytest.raises(InvalidInput, match="is a folder"):
        media.inspect_pdf(folder)


def test_a_password_protected_pdf_is_refused(files: Path) -> None:
    with pytest.raises(InvalidInput, match="password-protected"):
        media.inspect_pdf(encrypted_pdf(files / "locked.pdf", user_password="secret"))


def test_a_pdf_that_opens_without_a_password_is_accepted(files: Path) -> None:
    # Only an owner password (printing/copy restrictions): every reader opens it.
    info = media.inspect_pdf(encrypted_pdf(files / "restricted.pdf", user_password=""))
    assert info.pages == 2


def test_the_rendered_cover_is_a_real_png_of_page_one(files: Path) -> None:
    pdf = write_pdf(files / "red.pdf", pages=2, colour=(200, 30, 30))
    cover = media.render_cover(pdf)
    image = Image.open(io.BytesIO(cover.data))
    assert image.format == "PNG"
    assert image.width == media.RENDER_WIDTH == cover.width
    assert abs(image.height - 600 * 210 / 148) <= 1 and image.height == cover.height  # A5 proportions
    red, green, blue = image.convert("RGB").getpixel((300, 600))
    assert red > 150 and green < 80 and blue < 80


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_png_jpeg_and_webp_covers_are_accepted_and_reencoded(files: Path, fmt: str, ext: str) -> None:
    path = write_image(files / f"cover.{ext}", fmt=fmt, size=(300, 400))
    path.write_bytes(path.read_bytes() + b"<script>alert(1)</script>")  # a polyglot tail
    cover = media.check_cover(path)
    assert cover.ext == ext
    assert b"<script>" not in cover.data
    reopened = Image.open(io.BytesIO(cover.data))
    assert reopened.format == fmt and reopened.size == (300, 400)


def test_large_covers_are_scaled_down(files: Path) -> None:
    cover = media.check_cover(write_image(files / "big.png", size=(3200, 2400)))
    assert (cover.width, cover.height) == (1600, 1200)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.png", b"this is a text file\n", "is not an image"),
        ("empty.png", b"", "is empty"),
        ("drawing.svg", SVG_WITH_SCRIPT, "SVG covers are not accepted"),
        ("drawing.png", SVG_WITH_SCRIPT, "SVG covers are not accepted"),
        ("bomb.png", png_header_only(100_000, 100_000), "decompression bomb"),
        ("huge.png", png_header_only(9_000, 9_000), "9000x9000 px"),
        ("wide.png", png_header_only(20_000, 10), "20000x10 px"),
        ("anim.gif", image_bytes("GIF"), "is GIF; use PNG, JPEG or WebP"),
        ("bitmap.png", image_bytes("BMP"), "is BMP"),
        ("half.png", image_bytes("PNG", size=(200, 200))[:60], "damaged or truncated"),
        ("book.png", pdf_bytes(1), "is not an image"),
    ],
    ids=lambda value: value if isinstance(value, str) and "." in value[-5:] else "",
)
def test_bad_covers_are_refused(files: Path, name: str, content: bytes, message: str) -> None:
    path = files / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as caught:
        media.check_cover(path)
    assert str(path) in str(caught.value)


def test_a_needle_shaped_page_renders_within_bounds(files: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format=(1, 5080))  # 1 mm x 5 m: rendered 600 px wide it would be 3 million px tall
    pdf.add_page()
    path = files / "needle.pdf"
    pdf.output(str(path))
    cover = media.render_cover(path)
    assert cover.height <= media.MAX_RENDER_HEIGHT and cover.width >= 1
