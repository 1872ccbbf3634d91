"""Real EPUB, audio and video files made on the spot, for the demo shop (and the tests that need them).

Why generated and not shipped: the repository carries no binary media, and a file made here goes
through exactly the checks an admin's file does (`formats.check_file`). The EPUB is written with the
standard library (a ZIP whose first entry is the stored `mimetype`, a container, a package document,
a navigation document and chapters); audio and video are encoded with PyAV (FFmpeg), already a
dependency for the format checks: a few seconds of tones, and of moving colour bars.
"""

from __future__ import annotations

import math
import zipfile
from array import array
from fractions import Fraction
from pathlib import Path
from xml.sax.saxutils import escape

_CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""


def make_epub(
    path: Path, title: str, chapters: list[tuple[str, str]], *, identifier: str = "demo-book"
) -> Path:
    """An EPUB 3 with one XHTML document per (heading, text) chapter; paragraphs split on blank lines."""
    items, refs, nav = [], [], []
    for number, (heading, _text) in enumerate(chapters, start=1):
        name = f"chapter{number}.xhtml"
        items.append(f'<item id="c{number}" href="{name}" media-type="application/xhtml+xml"/>')
        refs.append(f'<itemref idref="c{number}"/>')
        nav.append(f'<li><a href="{name}">{escape(heading)}</a></li>')
    package = f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="uid">{escape(identifier)}</dc:identifier>
    <dc:title>{escape(title)}</dc:title>
    <dc:language>en</dc:language>
    <meta property="dcterms:modified">2026-01-01T00:00:00Z</meta>
  </metadata>
  <manifest>
    <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
    {"".join(items)}
  </manifest>
  <spine>{"".join(refs)}</spine>
</package>
"""
    with zipfile.ZipFile(path, "w") as book:
        book.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        book.writestr("META-INF/container.xml", _CONTAINER, compress_type=zipfile.ZIP_DEFLATED)
        book.writestr("OEBPS/content.opf", package, compress_type=zipfile.ZIP_DEFLATED)
        book.writestr("OEBPS/nav.xhtml", _xhtml(title, f'<nav epub:type="toc"><ol>{"".join(nav)}</ol></nav>'),
                      compress_type=zipfile.ZIP_DEFLATED)
        for number, (heading, text) in enumerate(chapters, start=1):
            paragraphs = "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())
            page = _xhtml(heading, f"<h1>{escape(heading)}</h1>{paragraphs}")
            book.writestr(f"OEBPS/chapter{number}.xhtml", page, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _xhtml(title: str, body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" '
        f'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>{escape(title)}</title></head>'
        f"<body>{body}</body></html>\n"
    )


def make_audio(path: Path, seconds: float = 8.0, *, pitch: float = 440.0) -> Path:
    """An audio file of gentle tones, `seconds` long, in the container its extension names
    (`.m4a`: AAC, `.mp3`: MP3, `.ogg`: Opus, `.flac`, `.wav`)."""
    import av

    codec = {".m4a": "aac", ".mp3": "libmp3lame", ".ogg": "libopus", ".flac": "flac", ".wav": "pcm_s16le"}
    rate = 48_000 if path.suffix.lower() == ".ogg" else 44_100
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec[path.suffix.lower()], rate=rate)
        stream.layout = "mono"  # type: ignore[union-attr]
        frame_size = 1024
        total = int(seconds * rate)
        for start in range(0, total, frame_size):
            count = min(frame_size, total - start)
            note = pitch * (1.0 + 0.25 * (start // rate % 4))  # a new note every second
            step = 2 * math.pi * note / rate
            wave = array("h", (int(9000 * math.sin(step * (start + i))) for i in range(count)))
            frame = av.AudioFrame(format="s16", layout="mono", samples=count)
            frame.planes[0].update(wave.tobytes())
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):  # type: ignore[union-attr,arg-type]
                out.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            out.mux(packet)
    return path


def make_video(
    path: Path, seconds: float = 4.0, *, size: tuple[int, int] = (320, 240), fps: int = 12
) -> Path:
    """A silent video of moving colour bars: `.mp4` (H.264) or `.webm` (VP8)."""
    import av
    from PIL import Image, ImageDraw

    codec = "libx264" if path.suffix.lower() == ".mp4" else "libvpx"
    width, height = size
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"  # type: ignore[union-attr]
        for index in range(int(seconds * fps)):
            image = Image.new("RGB", size)
            draw = ImageDraw.Draw(image)
            for bar in range(8):
                shade = (bar * 32 + index * 8) % 256
                box = (bar * width // 8, 0, (bar + 1) * width // 8, height)
                draw.rectangle(box, fill=(shade, 255 - shade, (bar * 64) % 256))
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):  # type: ignore[union-attr,arg-type]
                out.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            out.mux(packet)
    return path
