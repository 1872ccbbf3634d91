"""MP4 and M4A: the identifier as an iTunes-style metadata item (`----:com.apple.iTunes:PAIDPDF_LICENSE`)
in `moov/udta/meta/ilst`, where players and ffprobe read tags.

Only the `moov` box changes: it is rebuilt once per file version with the item (a placeholder of the
slot's width) and each enclosing box's size grown; when `moov` comes before the media data (a
"fast start" file) every chunk offset (`stco`/`co64`) is moved by the same amount. An owner's copy is
the bytes before `moov`, the new `moov` with their line, and the rest streamed unchanged.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from paidpdf.content.format_stamps.audio_tags import TAG_NAME, placeholder
from paidpdf.content.format_stamps.segments import Segment
from paidpdf.content.format_stamps.stamp_line import LINE_BYTES, Stamp
from paidpdf.errors import InvalidInput

MAX_MOOV_BYTES = 64 * 1024 * 1024
_CONTAINERS = {b"trak", b"mdia", b"minf", b"stbl"}


@dataclass(frozen=True)
class Mp4Template:
    moov_start: int
    moov_end: int
    size: int
    moov: bytes
    mark: bytes

    def segments(self, stamp: Stamp) -> list[Segment]:
        return [(0, self.moov_start), self.moov.replace(self.mark, stamp.line(LINE_BYTES)),
                (self.moov_end, self.size - self.moov_end)]


def box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def _children(data: bytes | bytearray, start: int, end: int) -> list[tuple[bytes, int, int, int]]:
    """(type, start, header length, end) of the boxes in data[start:end]."""
    out, pos = [], start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        head = 8
        if size == 1:
            size, head = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < head or pos + size > end:
            raise ValueError("a box overruns its parent")
        out.append((kind, pos, head, pos + size))
        pos += size
    return out


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


def _grow(data: bytearray, starts: list[tuple[int, int]], delta: int) -> None:
    """Add `delta` to the size of each box (start, header length) in `starts`."""
    for start, head in starts:
        if head == 16:
            struct.pack_into(">Q", data, start + 8, struct.unpack_from(">Q", data, start + 8)[0] + delta)
        else:
            struct.pack_into(">I", data, start, struct.unpack_from(">I", data, start)[0] + delta)


def _shift_offsets(data: bytearray, start: int, end: int, after: int, delta: int) -> None:
    for kind, pos, head, stop in _children(data, start, end):
        if kind in _CONTAINERS:
            _shift_offsets(data, pos + head, stop, after, delta)
        elif kind in (b"stco", b"co64"):
            count = struct.unpack_from(">I", data, pos + head + 4)[0]
            fmt, width = (">I", 4) if kind == b"stco" else (">Q", 8)
            for index in range(count):
                at = pos + head + 8 + index * width
                value = struct.unpack_from(fmt, data, at)[0]
                if value >= after:
                    if kind == b"stco" and value + delta > 0xFFFFFFFF:
                        raise ValueError("a chunk offset would not fit 32 bits")
                    struct.pack_into(fmt, data, at, value + delta)


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
        data = bytearray(handle.read(moov_end - moov_start))
        mark = placeholder()
        new, at, grown = _insert_point(data, mark)
        data[at:at] = new
        _grow(data, grown, len(new))
        if any(kind in (b"mdat", b"moof") and start >= moov_end for kind, start, _ in boxes):
            top = _children(data, 0, len(data))[0]
            _shift_offsets(data, top[2], top[3], moov_end, len(new))
    except (ValueError, struct.error) as exc:
        raise InvalidInput(f"{filename} cannot be stamped: {exc}") from None
    return Mp4Template(moov_start, moov_end, size, bytes(data), mark)


def _insert_point(data: bytearray, mark: bytes) -> tuple[bytes, int, list[tuple[int, int]]]:
    """What to insert where, and the boxes (start, header) that grow by its length: the item at the
    end of an existing `ilst`, else the missing boxes of the path `udta/meta/ilst`."""
    _kind, start, head, end = _children(data, 0, len(data))[0]
    path = [(start, head)]
    item = _item(mark)
    udta = next((c for c in _children(data, start + head, end) if c[0] == b"udta"), None)
    hdlr = box(b"hdlr", b"\0" * 8 + b"mdirappl" + b"\0" * 9)
    if udta is None:
        return box(b"udta", box(b"meta", b"\0\0\0\0" + hdlr + box(b"ilst", item))), end, path
    path.append((udta[1], udta[2]))
    meta = next((c for c in _children(data, udta[1] + udta[2], udta[3]) if c[0] == b"meta"), None)
    if meta is None:
        return box(b"meta", b"\0\0\0\0" + hdlr + box(b"ilst", item)), udta[3], path
    path.append((meta[1], meta[2]))
    inner = meta[1] + meta[2] + (4 if data[meta[1] + meta[2] : meta[1] + meta[2] + 4] == b"\0\0\0\0" else 0)
    ilst = next((c for c in _children(data, inner, meta[3]) if c[0] == b"ilst"), None)
    if ilst is None:
        return box(b"ilst", item), meta[3], path
    path.append((ilst[1], ilst[2]))
    return item, ilst[3], path
