"""The cover of an item whose file carries no picture (an audio file without artwork, a ZIP): the
title on a plain background whose colour comes from the title, so every such item looks different."""

from __future__ import annotations

import hashlib
import io
import textwrap

WIDTH, HEIGHT = 600, 800


def render(title: str) -> bytes:
    """A PNG of `title` on a colour of its own."""
    from PIL import Image, ImageDraw, ImageFont

    digest = hashlib.sha256(title.encode()).digest()
    background = (40 + digest[0] % 120, 40 + digest[1] % 120, 40 + digest[2] % 120)
    image = Image.new("RGB", (WIDTH, HEIGHT), background)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=44)
    lines = textwrap.wrap(title, width=20)[:8]
    y = HEIGHT // 2 - len(lines) * 28
    for line in lines:
        draw.text((WIDTH // 2, y), line, fill=(255, 255, 255), font=font, anchor="ma")
        y += 56
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
