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


#: How each format is named to people.
LABELS = {
    "pdf": "PDF", "epub": "EPUB", "zip": "ZIP", "mp3": "MP3 audio", "m4a": "M4A audio", "ogg": "Ogg audio",
    "flac": "FLAC audio", "wav": "WAV audio", "mp4": "MP4 video", "webm": "WebM video",
}


def describe(facts: FileFacts) -> str:
    """One short line about a file for lists and libraries: "EPUB, 12 chapters", "MP3 audio, 42:10",
    "MP4 video, 1920×1080, 1:02:03", "ZIP, 14 files"."""
    parts = [LABELS.get(facts.format, facts.format.upper())]
    if facts.pages is not None:
        parts.append(f"{facts.pages} page{'s' if facts.pages != 1 else ''}")
    if facts.chapters is not None:
        parts.append(f"{facts.chapters} chapter{'s' if facts.chapters != 1 else ''}")
    if facts.width and facts.height:
        parts.append(f"{facts.width}×{facts.height}")
    if facts.duration_ms is not None:
        parts.append(clock(facts.duration_ms))
    files = facts.details.get("files")
    if facts.format == "zip" and isinstance(files, int):
        parts.append(f"{files} file{'s' if files != 1 else ''}")
    return ", ".join(parts)


def clock(duration_ms: int) -> str:
    """A duration as a clock reads: 0:07, 42:10, 1:02:03."""
    seconds = duration_ms // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
