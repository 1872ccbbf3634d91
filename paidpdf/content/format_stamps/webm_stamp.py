"""WebM (Matroska): the identifier as a `Tags` element (`PAIDPDF_LICENSE`) added at the end of the
segment, and the segment's size grown to hold it (written in the same number of bytes). Everything
before the end (header, clusters, cues) is streamed unchanged; their positions do not move. When the
seek head at the start is followed by a `Void` (space muxers such as FFmpeg keep for it), an entry
pointing at the new tags is written into that space, so players and `ffprobe` read them; without one
the tags are only in the file (where `orders trace` finds them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from paidpdf.content.format_stamps.audio_tags import TAG_NAME, placeholder
from paidpdf.content.format_stamps.segments import Segment
from paidpdf.content.format_stamps.stamp_line import LINE_BYTES, Stamp
from paidpdf.errors import InvalidInput

SEGMENT, TAGS, TAG, TARGETS, SIMPLE_TAG, TAG_NAME_ID, TAG_STRING = (
    b"\x18\x53\x80\x67", b"\x12\x54\xc3\x67", b"\x73\x73", b"\x63\xc0", b"\x67\xc8", b"\x45\xa3", b"\x44\x87",
)
SEEK_HEAD, SEEK, SEEK_ID, SEEK_POSITION, VOID = (
    b"\x11\x4d\x9b\x74", b"\x4d\xbb", b"\x53\xab", b"\x53\xac", b"\xec",
)


def _vint(data: bytes, pos: int) -> tuple[int, int, bool]:
    """(value, width, all ones: "unknown size") of the EBML variable-length integer at `pos`."""
    first = data[pos]
    width = 1
    while width <= 8 and not first & (0x80 >> (width - 1)):
        width += 1
    if width > 8:
        raise ValueError("a bad EBML length")
    value = first & (0xFF >> width)
    for byte in data[pos + 1 : pos + width]:
        value = (value << 8) | byte
    return value, width, value == (1 << (7 * width)) - 1


def size_bytes(value: int, width: int = 8) -> bytes:
    if value >= (1 << (7 * width)) - 1:
        raise ValueError("the size does not fit")
    return ((1 << (7 * width)) | value).to_bytes(width, "big")


def element(ident: bytes, body: bytes) -> bytes:
    return ident + size_bytes(len(body)) + body


@dataclass(frozen=True)
class WebmTemplate:
    size_at: int  # where the segment's size field is, and its bytes with the new size
    new_size: bytes
    size: int
    tags: bytes
    mark: bytes
    seek_at: int = 0  # where the seek head and its void are, and their bytes with the new entry
    seek: bytes = b""

    def segments(self, stamp: Stamp) -> list[Segment]:
        end = self.size_at + len(self.new_size)
        parts: list[Segment] = [(0, self.size_at), self.new_size]
        if self.seek:
            parts += [(end, self.seek_at - end), self.seek]
            end = self.seek_at + len(self.seek)
        return [*parts, (end, self.size - end), self.tags.replace(self.mark, stamp.line(LINE_BYTES))]


def _element_at(data: bytes, pos: int) -> tuple[bytes, int, int, int]:
    """(id, size field position, size field width, body size) of the element at `pos`."""
    width = 1
    while width <= 4 and not data[pos] & (0x80 >> (width - 1)):
        width += 1
    if width > 4:
        raise ValueError("a bad EBML id")
    size, size_width, _unknown = _vint(data, pos + width)
    return data[pos : pos + width], pos + width, size_width, size


def _seek_entry(head: bytes, data_start: int, tags_position: int) -> tuple[int, bytes]:
    """The seek head and the void after it, rewritten with an entry for the new tags in the void's
    space (the same number of bytes); (0, b"") when there is no such space."""
    try:
        ident, size_at, width, size = _element_at(head, data_start)
        if ident != SEEK_HEAD:
            return 0, b""
        void_at = size_at + width + size
        void_id, void_size_at, void_width, void_size = _element_at(head, void_at)
        void_end = void_size_at + void_width + void_size
        if void_id != VOID or void_end > len(head):
            return 0, b""
        body = element(SEEK_ID, TAGS) + element(SEEK_POSITION, tags_position.to_bytes(8, "big"))
        entry = SEEK + size_bytes(len(body), 1) + body
        if void_size < len(entry):
            return 0, b""
        seek_head = SEEK_HEAD + size_bytes(size + len(entry), width) + head[size_at + width : void_at] + entry
        void = VOID + size_bytes(void_size - len(entry), void_width) + bytes(void_size - len(entry))
    except (ValueError, IndexError):
        return 0, b""
    return data_start, seek_head + void


def build(handle: BinaryIO, size: int, filename: str = "video.webm") -> WebmTemplate:
    handle.seek(0)
    head = handle.read(4096)
    try:
        if head[:4] != b"\x1a\x45\xdf\xa3":
            raise ValueError("it does not start with an EBML header")
        length, width, _ = _vint(head, 4)
        pos = 4 + width + length
        if head[pos : pos + 4] != SEGMENT:
            raise ValueError("no segment follows the EBML header")
        seg_size, seg_width, unknown = _vint(head, pos + 4)
        data_start = pos + 4 + seg_width
        if not unknown and data_start + seg_size != size:
            raise ValueError("the segment does not end where the file does")
        mark = placeholder()
        simple = element(SIMPLE_TAG, element(TAG_NAME_ID, TAG_NAME.encode()) + element(TAG_STRING, mark))
        tags = element(TAGS, element(TAG, element(TARGETS, b"") + simple))
        new_size = head[pos + 4 : data_start] if unknown else size_bytes(seg_size + len(tags), seg_width)
    except (ValueError, IndexError) as exc:
        raise InvalidInput(f"{filename} cannot be stamped: {exc}") from None
    seek_at, seek = _seek_entry(head, data_start, size - data_start)
    return WebmTemplate(pos + 4, new_size, size, tags, mark, seek_at, seek)
