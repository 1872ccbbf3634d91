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

from dataclasses import dataclass, field
from pathlib import Path

from paidpdf.errors import InvalidInput

#: The formats, by the extension that claims them (lower case, without the dot).
EXTENSIONS: dict[str, str] = {
    "pdf": "pdf",
    "epub": "epub",
    "mp3": "mp3",
    "m4a": "m4a",
    "ogg": "ogg",
    "oga": "ogg",
    "flac": "flac",
    "wav": "wav",
    "mp4": "mp4",
    "m4v": "mp4",
    "webm": "webm",
    "zip": "zip",
}

#: The media type each format is served with.
MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "epub": "application/epub+zip",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "zip": "application/zip",
}

AUDIO_FORMATS = frozenset({"mp3", "m4a", "ogg", "flac", "wav"})
VIDEO_FORMATS = frozenset({"mp4", "webm"})


@dataclass(frozen=True)
class FileFacts:
    """What the checks learnt about one file; fields that do not apply to its format are None/empty."""

    format: str
    media_type: str
    size: int
    pages: int | None = None
    chapters: int | None = None
    duration_ms: int | None = None
    width: int | None = None
    height: int | None = None
    codecs: tuple[str, ...] = ()
    title: str | None = None
    details: dict[str, str | int] = field(default_factory=dict)


def format_for(filename: str) -> str:
    """The format a file name claims by its extension; `InvalidInput` if it names none we sell."""
    name = filename.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EXTENSIONS:
        known = ", ".join(sorted(set(EXTENSIONS)))
        shown = f".{ext}" if ext else "no extension"
        raise InvalidInput(f"{filename}: {shown} is not a format this shop sells (one of: {known})")
    return EXTENSIONS[ext]


def check_file(path: Path, filename: str) -> FileFacts:
    """Prove that `path` is the format `filename` claims and learn its facts; `InvalidInput` if not."""
    kind = format_for(filename)
    if kind == "pdf":
        from paidpdf.content.formats.pdf import check_pdf

        return check_pdf(path)
    raise InvalidInput(f"{filename}: {kind.upper()} files are not supported yet")


def extract_cover(path: Path, facts: FileFacts) -> bytes | None:
    """The image a checked file carries for a cover (encoded bytes, to be re-encoded by the cover
    code), or None when it has none and the shop's generated cover is used."""
    if facts.format == "pdf":
        from paidpdf.content.formats.pdf import pdf_cover

        return pdf_cover(path)
    return None


def preview_pages(path: Path, facts: FileFacts, count: int) -> list[bytes]:
    """The first `count` pages of the "look inside" strip as PNG images: a PDF's pages, an EPUB's first
    chapter set as text pages; [] for formats that are not read page by page (their sample is
    `make_sample`)."""
    if facts.format == "pdf" and count > 0:
        from paidpdf.content import media

        return [page.data for page in media.render_pages(path, count)]
    return []


def make_sample(path: Path, facts: FileFacts, dest: Path, seconds: int = 30) -> Path | None:
    """Write the public sample of a checked file into the folder `dest` and return its path, or None
    when the format has no sample (PDF previews are page images made elsewhere; ZIPs have none)."""
    return None
