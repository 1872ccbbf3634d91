"""WebM (Matroska): the identifier as a `Tags` element (`PAIDPDF_LICENSE`) added at the end of the
segment, and the segment's size grown to hold it (written in the same number of bytes). Everything
before the end (header, clusters, cues) is streamed unchanged; their positions do not move.
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

    def segments(self, stamp: Stamp) -> list[Segment]:
        end = self.size_at + len(self.new_size)
        return [(0, self.size_at), self.new_size, (end, self.size - end),
                self.tags.replace(self.mark, stamp.line(LINE_BYTES))]


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
    return WebmTemplate(pos + 4, new_size, size, tags, mark)
