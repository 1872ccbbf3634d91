"""The journal beside each data file: committed units appended as framed, checksummed records.

Layout of `<name>.journal`: the 8-byte magic `PPJRNL1\\n`, then records. A record is a 4-byte
big-endian payload length, the payload's 4-byte CRC-32, and the payload (orjson). The first record is
the header `{"journal": 1, "base_size": N, "base_crc32": C}`: the journal continues the base file of
exactly that size and checksum, and nothing else. Every later record is one unit:
`{"ops": [["put", table, doc] | ["del", table, id] | ["drop", table], ...]}`. Ops are absolute (a put
carries the whole document), so applying a record twice gives the same state as applying it once.

A record is written with one `write` on an `O_APPEND` descriptor and fsynced before its unit returns.
A `kill -9` mid-write leaves a *torn tail*: a last record shorter than its length says, or whose
checksum fails with nothing after it. Readers stop before it (the unit never happened); the next
writer, holding the lock, cuts it off before appending. A bad record with more bytes after it is not
a torn tail but damage, and is reported as corruption: nothing is ever appended after it.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

MAGIC = b"PPJRNL1\n"
FRAME = struct.Struct(">II")
#: No single unit is larger than this; a longer length field is damage, not a record.
MAX_RECORD = 256 * 1024 * 1024


def frame(payload: bytes) -> bytes:
    return FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def header(base_size: int, base_crc: int) -> bytes:
    """The bytes of a new, empty journal that continues the base of this size and CRC-32."""
    return MAGIC + frame(orjson.dumps({"journal": 1, "base_size": base_size, "base_crc32": base_crc}))


@dataclass
class Scan:
    """What reading a journal from some offset found."""

    records: list[Any] = field(default_factory=list)
    #: The offset just past the last whole, valid record read.
    end: int = 0
    #: Bytes after `end` that do not (yet) form a valid record: a torn tail, or a write in progress.
    tail: int = 0
    #: Why the bytes after `end` are damage rather than a tail ("" when they are not).
    damage: str = ""


def scan(data: bytes | memoryview, start: int) -> Scan:
    """Parse the records in `data`, which holds the journal's bytes from offset `start` on."""
    found = Scan(end=start)
    view = memoryview(data)
    pos = 0
    size = len(view)
    while pos + FRAME.size <= size:
        length, crc = FRAME.unpack_from(view, pos)
        if length > MAX_RECORD:
            found.damage = f"record at byte {start + pos} claims {length} bytes"
            break
        stop = pos + FRAME.size + length
        if stop > size:
            break  # incomplete: torn, or still being written
        payload = view[pos + FRAME.size : stop]
        if zlib.crc32(payload) != crc:
            if stop < size:
                found.damage = f"record at byte {start + pos} fails its checksum"
            break
        try:
            found.records.append(orjson.loads(payload))
        except orjson.JSONDecodeError:
            found.damage = f"record at byte {start + pos} is not JSON"
            break
        pos = stop
        found.end = start + pos
    found.tail = size - pos
    return found


def read_from(fd: int, offset: int, size: int) -> bytes:
    """The bytes of the open journal from `offset` to `size`."""
    chunks = []
    while offset < size:
        chunk = os.pread(fd, min(size - offset, 16 * 1024 * 1024), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def check_magic(data: bytes, path: Path) -> str:
    """"" when `data` starts like a journal, else why not."""
    if len(data) < len(MAGIC):
        return f"{path} is shorter than a journal header"
    if data[: len(MAGIC)] != MAGIC:
        return f"{path} is not a paidpdf journal (bad magic)"
    return ""


def header_base(record: Any) -> tuple[int, int] | None:
    """(size, CRC-32) of the base a journal's header record says it continues."""
    if not isinstance(record, dict) or record.get("journal") != 1:
        return None
    size, crc = record.get("base_size"), record.get("base_crc32")
    if not isinstance(size, int) or not isinstance(crc, int):
        return None
    return size, crc


def unit_record(ops: list[list[Any]]) -> bytes:
    return frame(orjson.dumps({"ops": ops}))


def append(fd: int, record: bytes) -> None:
    """Write one record with a single `write` and make it durable before returning."""
    view = memoryview(record)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)
