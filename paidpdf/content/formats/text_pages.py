"""Plain text set as page images, so a book's "look inside" strip is made of pages like a PDF's.

The pages are PNGs of the same width as the pages rendered from PDFs (media.RENDER_WIDTH), in a book's
proportions, in Pillow's bundled font: the shop serves images it drew itself, never the book's markup.
"""

from __future__ import annotations

import io

from paidpdf.content.media import RENDER_WIDTH

#: Page height for the page width (ISO paper proportions, as most books).
PAGE_RATIO = 1.414
MARGIN = 48
FONT_SIZE = 18
LINE_HEIGHT = 28
INK = (32, 32, 32)
PAPER = (255, 255, 255)


def text_pages(text: str, count: int, width: int = RENDER_WIDTH) -> list[bytes]:
    """The first `count` pages of `text` as PNG images (fewer if the text is shorter)."""
    from PIL import Image, ImageDraw, ImageFont

    if count < 1 or not text.strip():
        return []
    font = ImageFont.load_default(size=FONT_SIZE)
    height = round(width * PAGE_RATIO)
    per_page = max(1, (height - 2 * MARGIN) // LINE_HEIGHT)
    lines = _wrap(text, font, width - 2 * MARGIN, per_page * count)
    pages = []
    for start in range(0, min(len(lines), per_page * count), per_page):
        image = Image.new("RGB", (width, height), PAPER)
        draw = ImageDraw.Draw(image)
        for row, line in enumerate(lines[start:start + per_page]):
            draw.text((MARGIN, MARGIN + row * LINE_HEIGHT), line, font=font, fill=INK)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        pages.append(out.getvalue())
    return pages


def _wrap(text: str, font: object, room: float, limit: int) -> list[str]:
    """Lines of at most `room` pixels, a blank line between paragraphs; stops after `limit` lines."""
    from PIL import ImageFont

    assert isinstance(font, ImageFont.FreeTypeFont | ImageFont.ImageFont)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        line = ""
        for word in words:
            trial = f"{line} {word}" if line else word
            if font.getlength(trial) <= room:
                line = trial
                continue
            if line:
                lines.append(line)
            while font.getlength(word) > room and len(word) > 1 and len(lines) < limit:  # split long words
                cut = _fit(word, font, room)
                lines.append(word[:cut])
                word = word[cut:]
            line = word
            if len(lines) >= limit:
                return lines
        lines.extend([line, ""] if line else [""])
        if len(lines) >= limit:
            break
    return lines


def _fit(word: str, font: object, room: float) -> int:
    """How many leading characters of `word` fit in `room` pixels (at least one): a binary search."""
    from PIL import ImageFont

    assert isinstance(font, ImageFont.FreeTypeFont | ImageFont.ImageFont)
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(word[:middle]) <= room:
            low = middle
        else:
            high = middle - 1
    return low
