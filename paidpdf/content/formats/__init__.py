"""Every sellable file format: what a file really is, its cover and its public sample.

One entry point per job, whatever the format: `check_file` proves that a file is what its name claims
(the extension picks the format, the content must agree) and returns its `FileFacts`; `extract_cover`
gives the image a file carries (an EPUB's cover, audio artwork, a video frame); `make_sample` writes the
public "look inside" (an audio cut, a video clip, an EPUB's first chapter as text). Each format lives in
its own module; this one only dispatches, so callers never branch on formats themselves.

Files are read in a streaming way: checking a 2 GB video keeps memory flat. Every refusal is an
`InvalidInput` with one line naming the file and what is wrong.
"""

from __future__ import annotations

from pathlib import Path

from paidpdf.content.formats.facts import (
    AUDIO_FORMATS,
    EXTENSIONS,
    MEDIA_TYPES,
    VIDEO_FORMATS,
    FileFacts,
    describe,
    format_for,
)

__all__ = [
    "AUDIO_FORMATS", "EXTENSIONS", "MEDIA_TYPES", "VIDEO_FORMATS", "FileFacts", "check_file", "describe",
    "extract_cover", "format_for", "make_sample", "preview_pages", "sample_media_type",
]


def check_file(path: Path, filename: str) -> FileFacts:
    """Prove that `path` is the format `filename` claims and learn its facts; `InvalidInput` if not."""
    from paidpdf.content.media import check_regular_file

    kind = format_for(filename)
    check_regular_file(path, "file")
    if kind == "pdf":
        from paidpdf.content.formats.pdf import check_pdf

        return check_pdf(path, filename)
    if kind == "epub":
        from paidpdf.content.formats.epub import check_epub

        return check_epub(path, filename)
    if kind == "zip":
        from paidpdf.content.formats.archive import check_zip

        return check_zip(path, filename)
    from paidpdf.content.formats.av_probe import check_media

    return check_media(path, kind, filename)


def extract_cover(path: Path, facts: FileFacts) -> bytes | None:
    """The image a checked file carries for a cover (encoded bytes, to be checked and re-encoded by the
    cover code), or None when it has none and the shop's generated cover is used: a PDF's page 1, an
    EPUB's own cover image, audio artwork, a video's frame at 10% of its length."""
    if facts.format == "pdf":
        from paidpdf.content.formats.pdf import pdf_cover

        return pdf_cover(path)
    if facts.format == "epub":
        from paidpdf.content.formats.epub import epub_cover

        return epub_cover(path)
    if facts.format in AUDIO_FORMATS:
        from paidpdf.content.formats.audio_art import audio_artwork

        return audio_artwork(path)
    if facts.format in VIDEO_FORMATS:
        from paidpdf.content.formats.av_samples import video_frame

        return video_frame(path, facts)
    return None


def preview_pages(path: Path, facts: FileFacts, count: int) -> list[bytes]:
    """The first `count` pages of the "look inside" strip as PNG images: a PDF's pages, an EPUB's first
    chapter set as text pages; [] for formats that are not read page by page (their sample is
    `make_sample`)."""
    if count < 1:
        return []
    if facts.format == "pdf":
        from paidpdf.content import media

        return [page.data for page in media.render_pages(path, count)]
    if facts.format == "epub":
        from paidpdf.content.formats.epub_text import first_chapter_text
        from paidpdf.content.formats.text_pages import text_pages

        return text_pages(first_chapter_text(path), count)
    return []


def make_sample(path: Path, facts: FileFacts, dest: Path, seconds: int = 30) -> Path | None:
    """Write the public sample of a checked file into the folder `dest` (created if missing) and return
    its path, or None when the format has none. Audio: `sample.<format>`, the first `seconds` (at most
    half the file); video: `sample.<format>`, a clip of the first `seconds` (its poster is
    `extract_cover`); EPUB: `sample.txt`, the first chapter as UTF-8 text. PDFs (their previews are
    `preview_pages`) and ZIPs have none. The sample's media type is `sample_media_type(path)`."""
    if facts.format in AUDIO_FORMATS or facts.format in VIDEO_FORMATS:
        from paidpdf.content.formats.av_samples import cut_sample

        return cut_sample(path, facts, dest, seconds)
    if facts.format == "epub":
        from paidpdf.content.formats.epub_text import first_chapter_text

        text = first_chapter_text(path)
        if not text:
            return None
        dest.mkdir(parents=True, exist_ok=True)
        out = dest / "sample.txt"
        out.write_text(text + "\n", encoding="utf-8")
        return out
    return None


def sample_media_type(sample: Path) -> str:
    """The media type a sample written by `make_sample` is served with."""
    ext = sample.suffix.lstrip(".").lower()
    if ext == "txt":
        return "text/plain; charset=utf-8"
    return MEDIA_TYPES[ext]
