"""The facts every format check returns, and which extensions claim which format.

Kept apart from the package's entry points so that each format's module can use them without
importing the dispatcher that imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
