"""What a file's first bytes say it is, before any parser sees it.

A file must start the way its claimed format starts: the check is cheap, gives the admin a plain hint
("it looks like an MP3") when a file was renamed, and keeps the heavier parsers (FFmpeg's demuxers above
all, which would otherwise guess a format themselves) away from files that are not even the right kind.

Polyglots, files that are two formats at once, are refused here too: a non-PDF whose first kilobyte
holds a PDF header (PDF readers look for one there), and any non-ZIP file with a ZIP archive appended
(ZIP readers look for the archive at the end). Such a file is only ever made on purpose, to be read one
way by the shop and another way by whoever opens it.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from paidpdf.errors import InvalidInput

#: Bytes read from the start of a file to recognise it.
HEAD_BYTES = 4096

#: PDF readers accept the header anywhere in the first kilobyte.
PDF_HEADER_WINDOW = 1024

#: Human names of the formats, for messages.
NAMES = {
    "pdf": "a PDF file",
    "epub": "an EPUB book",
    "zip": "a ZIP archive",
    "mp3": "an MP3 file",
    "m4a": "an M4A audio file",
    "mp4": "an MP4 file",
    "ogg": "an Ogg file",
    "flac": "a FLAC file",
    "wav": "a WAV file",
    "webm": "a WebM video",
    "matroska": "a Matroska (MKV) video",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "webp": "a WebP image",
    "html": "an HTML page (a failed download?)",
    "aac": "a raw AAC (ADTS) stream",
}

#: Which recognised kinds satisfy each claimed format (MP4 and M4A share one container: the streams
#: inside tell them apart later; an EPUB is a ZIP whose own checks come later).
ACCEPTS = {
    "pdf": {"pdf"},
    "epub": {"zip"},
    "zip": {"zip"},
    "mp3": {"mp3"},
    "m4a": {"mp4"},
    "mp4": {"mp4"},
    "ogg": {"ogg"},
    "flac": {"flac"},
    "wav": {"wav"},
    "webm": {"webm"},
}


def identify(handle: BinaryIO) -> str | None:
    """The kind of file `handle` holds by its first bytes (a key of `NAMES`), or None if unknown."""
    handle.seek(0)
    head = handle.read(HEAD_BYTES)
    kind = identify_bytes(head)
    if kind == "id3":
        kind = _after_id3(handle, head)
    return kind


def identify_bytes(head: bytes) -> str | None:
    """The kind of file whose first bytes are `head` ("id3" for an ID3 tag, which `identify` looks past)."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"ID3"):
        return "id3"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _ebml_doctype(head)
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"GIF8"):
        return "gif"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # MPEG audio frame sync: layer bits 00 are ADTS AAC, anything else an MPEG audio layer.
        return "aac" if head[1] & 0x06 == 0 else "mp3"
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:256]:
        return "html"
    return None


def _ebml_doctype(head: bytes) -> str:
    """WebM and Matroska share the EBML header; its DocType element (0x4282) names which one it is."""
    at = head.find(b"\x42\x82", 4, 64)
    if at > 0 and head[at + 3:at + 7] == b"webm":
        return "webm"
    return "matroska"


def _after_id3(handle: BinaryIO, head: bytes) -> str | None:
    """An ID3v2 tag opens MP3s (and, rarely, FLACs): skip it and look at what follows."""
    if len(head) < 10:
        return None
    size = 0
    for byte in head[6:10]:
        if byte & 0x80:
            return None  # not a syncsafe integer: not an ID3 tag
        size = (size << 7) | byte
    footer = 10 if head[5] & 0x10 else 0
    handle.seek(10 + size + footer)
    # Padding after a tag is allowed; MP3 encoders sometimes leave a few zero bytes too.
    after = handle.read(HEAD_BYTES).lstrip(b"\x00")
    kind = identify_bytes(after)
    return kind if kind in ("mp3", "flac", "aac") else None


def expect(path: Path, handle: BinaryIO, claimed: str, filename: str) -> None:
    """Refuse `path` unless its first bytes are those of the `claimed` format, or if it is a polyglot."""
    kind = identify(handle)
    if kind not in ACCEPTS[claimed]:
        seen = f"; it looks like {NAMES[kind]}" if kind else ""
        raise InvalidInput(f"{filename} is not {NAMES[claimed]}: its content does not match its name{seen}")
    if claimed != "pdf":
        handle.seek(0)
        if b"%PDF-" in handle.read(PDF_HEADER_WINDOW):
            raise InvalidInput(
                f"{filename} is also a PDF (a PDF header hides in its first kilobyte): polyglots are refused"
            )
    if claimed not in ("zip", "epub") and appended_zip(handle):
        raise InvalidInput(f"{filename} has a ZIP archive appended to it: polyglots are refused")
    handle.seek(0)


def appended_zip(handle: BinaryIO) -> bool:
    """Whether a ZIP archive can be found from the end of the file, the way ZIP readers look for one:
    an end-of-central-directory record in the last 64 KiB, right after a central directory."""
    return end_record(handle) is not None


#: The end-of-central-directory record: its signature, and the size of its fixed part.
EOCD_SIGNATURE = b"PK\x05\x06"
EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF


def end_record(handle: BinaryIO) -> tuple[int, int, int] | None:
    """(record offset, central directory size, comment length) of the last ZIP end record in `handle`
    that follows a central directory, or None. Reads at most 64 KiB + 26 bytes: cheap on any file."""
    handle.seek(0, 2)
    size = handle.tell()
    start = max(0, size - EOCD_SIZE - _MAX_COMMENT)
    handle.seek(start)
    tail = handle.read()
    at = tail.rfind(EOCD_SIGNATURE)
    while at >= 0:
        record = tail[at:at + EOCD_SIZE]
        if len(record) == EOCD_SIZE:
            cd_size = int.from_bytes(record[12:16], "little")
            comment = int.from_bytes(record[20:22], "little")
            where = start + at
            if _central_directory_at(handle, where - cd_size, cd_size) or _zip64_locator(tail, at):
                return where, cd_size, comment
        at = tail.rfind(EOCD_SIGNATURE, 0, at)
    return None


def _central_directory_at(handle: BinaryIO, offset: int, cd_size: int) -> bool:
    if cd_size <= 0 or offset < 0:
        return False
    handle.seek(offset)
    return handle.read(4) == b"PK\x01\x02"


def _zip64_locator(tail: bytes, at: int) -> bool:
    return at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07"
