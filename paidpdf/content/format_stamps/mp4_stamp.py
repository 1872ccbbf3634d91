"""MP4 and M4A: the identifier as an iTunes-style metadata item (`----:com.apple.iTunes:PAIDPDF_LICENSE`)
in `moov/udta/meta/ilst`, where players and ffprobe read tags.

Only the `moov` box changes: once per file version the item is made (a placeholder of the slot's
width) with each enclosing box's size grown, and when `moov` comes before the media data (a "fast
start" file) every chunk offset (`stco`/`co64`) is moved by the same amount. The template keeps only
those changes (the item, the size fields, the chunk offset tables), never the whole `moov`: its sample
tables grow with the length (4 bytes a packet: 2.6 MB for 4 hours of AAC), and a server keeps many
templates. An owner's copy is the stored file's ranges with the changes and their line in between.
"""

from __future__ import annotations

import struct
import sys
from array import array
from dataclasses import dataclass
from typing import BinaryIO

from paidpdf.content.format_stamps.audio_tags import TAG_NAME, placeholder
from paidpdf.content.format_stamps.segments import Segment
from paidpdf.content.format_stamps.stamp_line import LINE_BYTES, Stamp
from paidpdf.content.formats.mp4_boxes import children
from paidpdf.errors import InvalidInput

MAX_MOOV_BYTES = 64 * 1024 * 1024
_CONTAINERS = {b"trak", b"mdia", b"minf", b"stbl"}


@dataclass(frozen=True)
class Mp4Template:
    size: int
    #: (offset in the file, bytes) of each same-length change: a grown size field, a moved offset table.
    patches: tuple[tuple[int, bytes], ...]
    #: Where the new boxes (with the placeholder `mark`) go in the file, and the boxes.
    insert_at: int
    insert: bytes
    mark: bytes

    def segments(self, stamp: Stamp) -> list[Segment]:
        out: list[Segment] = []
        pos, added = 0, self.insert.replace(self.mark, stamp.line(LINE_BYTES))
        for offset, data in [*sorted(self.patches), (self.size, b"")]:
            if added and self.insert_at <= offset:  # the boxes go before any change at their place
                out += [(pos, self.insert_at - pos), added]
                pos, added = self.insert_at, b""
            out += [(pos, offset - pos), data]
            pos = offset + len(data)
        return out


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def _top_level(handle: BinaryIO, size: int) -> list[tuple[bytes, int, int]]:
    out, pos = [], 0
    while pos + 8 <= size:
        handle.seek(pos)
        raw = handle.read(16)
        length, kind = struct.unpack_from(">I4s", raw)
        if length == 1:
            length = struct.unpack_from(">Q", raw, 8)[0]
        elif length == 0:
            length = size - pos
        if length < 8 or pos + length > size:
            raise ValueError("a top-level box overruns the file")
        out.append((kind, pos, pos + length))
        pos += length
    return out


def _grown(data: bytes, starts: list[tuple[int, int]], delta: int) -> list[tuple[int, bytes]]:
    """The size field of each box (start, header length) in `starts`, grown by `delta`."""
    out = []
    for start, head in starts:
        fmt, at = (">Q", start + 8) if head == 16 else (">I", start)
        out.append((at, struct.pack(fmt, struct.unpack_from(fmt, data, at)[0] + delta)))
    return out


def _shifted_offsets(data: bytes, start: int, end: int, after: int, delta: int) -> list[tuple[int, bytes]]:
    """Each chunk offset table (its entries) with the offsets at or past `after` moved by `delta`."""
    out = []
    for kind, pos, head, stop in children(data, start, end):
        if kind in _CONTAINERS:
            out += _shifted_offsets(data, pos + head, stop, after, delta)
        elif kind in (b"stco", b"co64"):
            count = struct.unpack_from(">I", data, pos + head + 4)[0]
            values = array("I" if kind == b"stco" else "Q")  # 4 or 8 bytes an entry, never Python ints
            values.frombytes(data[pos + head + 8 : pos + head + 8 + count * values.itemsize])
            if sys.byteorder == "little":
                values.byteswap()
            try:
                for index, value in enumerate(values):
                    if value >= after:
                        values[index] = value + delta
            except OverflowError:
                raise ValueError("a chunk offset would not fit 32 bits") from None
            if sys.byteorder == "little":
                values.byteswap()
            out.append((pos + head + 8, values.tobytes()))
    return out


def _item(mark: bytes) -> bytes:
    mean = box(b"mean", b"\0\0\0\0com.apple.iTunes")
    name = box(b"name", b"\0\0\0\0" + TAG_NAME.encode())
    return box(b"----", mean + name + box(b"data", struct.pack(">II", 1, 0) + mark))


def build(handle: BinaryIO, size: int, filename: str = "video.mp4") -> Mp4Template:
    try:
        boxes = _top_level(handle, size)
        moovs = [b for b in boxes if b[0] == b"moov"]
        if len(moovs) != 1 or moovs[0][2] - moovs[0][1] > MAX_MOOV_BYTES:
            raise ValueError("it needs exactly one movie box of a sane size")
        _kind, moov_start, moov_end = moovs[0]
        handle.seek(moov_start)
        data = handle.read(moov_end - moov_start)
        mark = placeholder()
        new, at, grown = _insert_point(data, mark)
        patches = _grown(data, grown, len(new))
        if any(kind in (b"mdat", b"moof") and start >= moov_end for kind, start, _ in boxes):
            top = children(data, 0, len(data))[0]
            patches += _shifted_offsets(data, top[1] + top[2], top[3], moov_end, len(new))
    except (ValueError, struct.error) as exc:
        raise InvalidInput(f"{filename} cannot be stamped: {exc}") from None
    moved = tuple((moov_start + offset, change) for offset, change in patches)
    return Mp4Template(size, moved, moov_start + at, new, mark)


def _insert_point(data: bytes, mark: bytes) -> tuple[bytes, int, list[tuple[int, int]]]:
    """What to insert where, and the boxes (start, header) that grow by its length: the item at the
    end of an existing `ilst`, else the missing boxes of the path `udta/meta/ilst`."""
    _kind, start, head, end = children(data, 0, len(data))[0]
    path = [(start, head)]
    item = _item(mark)
    udta = next((c for c in children(data, start + head, end) if c[0] == b"udta"), None)
    hdlr = box(b"hdlr", b"\0" * 8 + b"mdirappl" + b"\0" * 9)
    if udta is None:
        return box(b"udta", box(b"meta", b"\0\0\0\0" + hdlr + box(b"ilst", item))), end, path
    path.append((udta[1], udta[2]))
    meta = next((c for c in children(data, udta[1] + udta[2], udta[3]) if c[0] == b"meta"), None)
    if meta is None:
        return box(b"meta", b"\0\0\0\0" + hdlr + box(b"ilst", item)), udta[3], path
    path.append((meta[1], meta[2]))
    inner = meta[1] + meta[2] + (4 if data[meta[1] + meta[2] : meta[1] + meta[2] + 4] == b"\0\0\0\0" else 0)
    ilst = next((c for c in children(data, inner, meta[3]) if c[0] == b"ilst"), None)
    if ilst is None:
        return box(b"ilst", item), meta[3], path
    path.append((ilst[1], ilst[2]))
    return item, ilst[3], path
