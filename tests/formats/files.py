"""Real files of every format for the tests, made on the spot: audio and video encoded with PyAV (a
sine tone, colour frames), EPUBs and ZIPs written with zipfile, so no binary fixture is checked in.
Hostile variants are built from the same pieces. Other test packages may import these helpers."""

from __future__ import annotations

import io
import math
import struct
import tempfile
import zipfile
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image

RATE = 8000

#: The muxer and encoder for each audio and video format.
AUDIO = {
    "mp3": ("mp3", "libmp3lame", RATE),
    "m4a": ("ipod", "aac", RATE),
    "ogg": ("ogg", "libopus", 48000),
    "flac": ("flac", "flac", RATE),
    "wav": ("wav", "pcm_s16le", RATE),
}
VIDEO = {"mp4": ("mp4", "libx264", "aac"), "webm": ("webm", "libvpx", "libopus")}


def _sine(seconds: float, rate: int, freq: int = 400) -> bytes:
    """A tone as 16-bit samples: one period computed, then repeated (rates here are multiples of 400)."""
    period = rate // freq
    one = struct.pack(f"<{period}h", *(int(6000 * math.sin(2 * math.pi * i / period)) for i in range(period)))
    count = int(seconds * rate)
    return (one * (count // period + 1))[: count * 2]


def _audio_stream(out: av.container.OutputContainer, codec: str, rate: int) -> av.audio.stream.AudioStream:
    stream = out.add_stream(codec, rate=rate)
    stream.layout = "mono"
    return stream


def _encode_audio(out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, rate: int,
                  seconds: float) -> None:
    formats = stream.codec_context.codec.audio_formats
    resampler = av.AudioResampler(format=formats[0].name if formats else "s16", layout="mono", rate=rate)
    pcm = _sine(seconds, rate)
    step = 1024
    for offset in range(0, len(pcm) // 2, step):
        chunk = pcm[offset * 2:(offset + step) * 2]
        frame = av.AudioFrame(format="s16", layout="mono", samples=len(chunk) // 2)
        frame.planes[0].update(chunk)
        frame.sample_rate, frame.pts, frame.time_base = rate, offset, Fraction(1, rate)
        for resampled in resampler.resample(frame):
            out.mux(stream.encode(resampled))
    for resampled in resampler.resample(None):
        out.mux(stream.encode(resampled))
    out.mux(stream.encode(None))


def audio_bytes(fmt: str, seconds: float = 2.0) -> bytes:
    """A real audio file of format `fmt` (mp3, m4a, ogg, flac, wav): a sine tone of `seconds`."""
    muxer, codec, rate = AUDIO[fmt]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=muxer) as out:
        _encode_audio(out, _audio_stream(out, codec, rate), rate, seconds)
    return buffer.getvalue()


def write_audio(path: Path, fmt: str | None = None, seconds: float = 2.0) -> Path:
    path.write_bytes(audio_bytes(fmt or path.suffix.lstrip("."), seconds))
    return path


def video_bytes(fmt: str, seconds: float = 1.0, size: tuple[int, int] = (64, 48), fps: int = 10,
                with_audio: bool = True, faststart: bool = False) -> bytes:
    """A real video (mp4: H.264 + AAC, webm: VP8 + Opus) whose frames change colour each second:
    red, green, blue, ... (so a frame taken at a given time can be told from the others)."""
    if faststart:  # FFmpeg moves the index to the front by reopening the output: it must be a file
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"faststart.{fmt}"
            _write_video(path, fmt, seconds, size, fps, with_audio, {"movflags": "+faststart"})
            return path.read_bytes()
    buffer = io.BytesIO()
    _write_video(buffer, fmt, seconds, size, fps, with_audio, {})
    return buffer.getvalue()


def _write_video(target: io.BytesIO | Path, fmt: str, seconds: float, size: tuple[int, int], fps: int,
                 with_audio: bool, options: dict[str, str]) -> None:
    muxer, codec, audio_codec = VIDEO[fmt]
    with av.open(target if isinstance(target, io.BytesIO) else str(target), "w", format=muxer,
                 options=options) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        sound = _audio_stream(out, audio_codec, 48000) if with_audio else None
        colours = [(220, 20, 20), (20, 200, 20), (20, 20, 220), (220, 220, 20)]
        for index in range(int(seconds * fps)):
            image = Image.new("RGB", size, colours[(index // fps) % len(colours)])
            frame = av.VideoFrame.from_image(image)
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        if sound is not None:
            _encode_audio(out, sound, 48000, seconds)


def write_video(path: Path, fmt: str | None = None, seconds: float = 1.0, **options: object) -> Path:
    path.write_bytes(video_bytes(fmt or path.suffix.lstrip("."), seconds, **options))  # type: ignore[arg-type]
    return path


def png_bytes(colour: str = "navy", size: tuple[int, int] = (40, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


CHAPTER_TEXT = "It was a bright cold day in April, and the clocks were striking thirteen. " * 12


XHTML11_DOCTYPE = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" '
                   '"http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">')


def chapter(title: str, text: str = CHAPTER_TEXT, doctype: str = "") -> str:
    """A chapter document; with XHTML's doctype (as EPUB 2 books have) it may use &nbsp;."""
    space = "&nbsp;" if doctype else "&#160;"
    return (f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}'
            f'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title></head>'
            f"<body><h1>{title}</h1><p>{text}</p><p>Second{space}paragraph of {title}.</p></body></html>")


CONTAINER = ('<?xml version="1.0"?><container version="1.0" '
             'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
             '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
             "</rootfiles></container>")


def package(title: str | None, chapters: int, version: str = "3.0", cover: bool = True,
            opf_prolog: str = "") -> str:
    """The package document of `epub_bytes`'s books (title None: no dc:title)."""
    items = "".join(f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>'
                    for i in range(1, chapters + 1))
    spine = "".join(f'<itemref idref="c{i}"/>' for i in range(1, chapters + 1))
    cover_item = ""
    cover_meta = ""
    if cover and version.startswith("3"):
        cover_item = '<item id="cover-img" href="cover.png" media-type="image/png" properties="cover-image"/>'
    elif cover:
        cover_item = '<item id="cover-img" href="cover.png" media-type="image/png"/>'
        cover_meta = '<meta name="cover" content="cover-img"/>'
    nav = ('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
           if version.startswith("3") else "")
    title_element = f"<dc:title>{title}</dc:title>" if title is not None else ""
    return (f'<?xml version="1.0" encoding="utf-8"?>{opf_prolog}'
            f'<package xmlns="http://www.idpf.org/2007/opf" version="{version}" unique-identifier="id">'
            '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:identifier id="id">urn:uuid:12345678-1234-1234-1234-123456789abc</dc:identifier>'
            f"{title_element}<dc:language>en</dc:language><dc:creator>A. Writer</dc:creator>{cover_meta}"
            '<meta property="dcterms:modified">2026-01-01T00:00:00Z</meta>'
            f"</metadata><manifest>{nav}{items}{cover_item}</manifest><spine>{spine}</spine></package>")


NAV = ('<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml" '
       'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>Contents</title></head><body>'
       '<nav epub:type="toc"><ol><li><a href="c1.xhtml">One</a></li></ol></nav></body></html>')


def epub_entries(title: str | None = "A Real Book", chapters: int = 3, version: str = "3.0",
                 cover: bool = True) -> list[tuple[str, bytes]]:
    """The entries of a valid EPUB, in order, for tests that change one of them."""
    entries = [
        ("mimetype", b"application/epub+zip"),
        ("META-INF/container.xml", CONTAINER.encode()),
        ("OEBPS/content.opf", package(title, chapters, version, cover).encode()),
    ]
    if version.startswith("3"):
        entries.append(("OEBPS/nav.xhtml", NAV.encode()))
    doctype = "" if version.startswith("3") else XHTML11_DOCTYPE
    entries += [(f"OEBPS/c{i}.xhtml", chapter(f"Chapter {i}", doctype=doctype).encode())
                for i in range(1, chapters + 1)]
    if cover:
        entries.append(("OEBPS/cover.png", png_bytes("teal")))
    return entries


def zip_bytes(entries: list[tuple[str, bytes]], stored: frozenset[str] = frozenset({"mimetype"})) -> bytes:
    """A ZIP of `entries` in order, deflated except the names in `stored`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(info, data, compress_type=method)
    return buffer.getvalue()


def epub_bytes(**options: object) -> bytes:
    return zip_bytes(epub_entries(**options))  # type: ignore[arg-type]


def write_epub(path: Path, **options: object) -> Path:
    path.write_bytes(epub_bytes(**options))
    return path
