"""MP4 boxes read in place, for `mp4_window`: the file's top-level boxes, the movie box mapped from the
file (only the pages read become memory), the boxes inside a box, and a box's time scale.

Why separate: reading boxes is one job (bounds checked, a last box cut short clipped), building a
window of the sample tables is another.
"""

from __future__ import annotations

import mmap
import struct
from typing import BinaryIO

#: (kind, start, header length, end) of a box inside the movie box's bytes.
Box = tuple[bytes, int, int, int]
#: The movie box's bytes: mapped from the file (only the pages read become memory), or read.
Data = bytes | bytearray | memoryview


def movie_box(handle: BinaryIO, start: int, end: int) -> Data:
    """The `moov` box mapped from the file: its sample tables (4 to 8 bytes a packet) are read only
    where a window needs them, so even they never become memory as a whole. Read when it cannot be
    mapped (no file descriptor)."""
    try:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (AttributeError, OSError, ValueError):
        handle.seek(start)
        return handle.read(end - start)
    return memoryview(mapped)[start:end]  # unmapped when the last view of it is gone


def children(data: Data, start: int, end: int) -> list[Box]:
    """(kind, start, header length, end) of the boxes in data[start:end]."""
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


def top_level(handle: BinaryIO, size: int) -> list[tuple[bytes, int, int]]:
    """(kind, start, end) of the file's boxes. The last may run past the end (a file cut short in
    transfer): it is clipped, and the check proves the samples it lacks are missing."""
    out, pos = [], 0
    while pos + 8 <= size:
        handle.seek(pos)
        raw = handle.read(16)
        length, kind = struct.unpack_from(">I4s", raw)
        if length == 1 and len(raw) == 16:
            length = struct.unpack_from(">Q", raw, 8)[0]
        elif length == 0:
            length = size - pos
        if length < 8:
            raise ValueError("a box of no length")
        out.append((kind, pos, min(size, pos + length)))
        pos += length
    return out


def scale_and_duration(data: Data, header: Box) -> tuple[int, int]:
    """Time units per second and duration of an `mvhd` or `mdhd` box."""
    body = header[1] + header[2]
    if data[body] == 1:
        return struct.unpack_from(">IQ", data, body + 20)
    return struct.unpack_from(">II", data, body + 12)


def find(data: Data, parent: Box, path: list[bytes]) -> Box:
    for kind in path:
        parent = next(c for c in children(data, parent[1] + parent[2], parent[3]) if c[0] == kind)
    return parent
