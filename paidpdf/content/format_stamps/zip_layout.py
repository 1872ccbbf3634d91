"""A ZIP's end: the end-of-central-directory record and the central directory's entries, read from a
stored file without reading its entries' data, and new records written in the same layout.

Used by the ZIP stamp (a `LICENSE-<order>.txt` added as a final entry) and the EPUB stamp (chapter
documents replaced in place). ZIP64 archives (over 4 GiB or 65,535 entries) are refused: their end
records are a different layout, and no archive this shop checks in is that large.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from paidpdf.errors import InvalidInput

EOCD = struct.Struct("<4sHHHHIIH")
CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
LOCAL = struct.Struct("<4sHHHHHIIIHH")
#: A fixed date and time for added entries (2026-01-01 00:00), so an owner's copy is always the same.
DOS_TIME, DOS_DATE = 0, ((2026 - 1980) << 9) | (1 << 5) | 1
UTF8_FLAG = 0x0800


@dataclass(frozen=True)
class CentralEntry:
    """One central-directory record: its raw bytes and the fields a stamp changes or needs."""

    raw: bytes
    name: str
    flags: int
    method: int
    crc: int
    compressed: int
    size: int
    offset: int


@dataclass(frozen=True)
class ZipEnd:
    """Where the central directory is, its entries, and the archive comment."""

    cd_offset: int
    cd_size: int
    entries: list[CentralEntry]
    comment: bytes


def read_end(handle: BinaryIO, size: int, filename: str = "archive") -> ZipEnd:
    """The end records of a ZIP of `size` bytes; `InvalidInput` if they are missing or ZIP64."""
    back = min(size, EOCD.size + 0xFFFF)
    handle.seek(size - back)
    tail = handle.read(back)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < EOCD.size:
        raise InvalidInput(f"{filename} cannot be stamped: it has no ZIP end record")
    _sig, _disk, _cd_disk, _here, count, cd_size, cd_offset, comment_len = EOCD.unpack_from(tail, at)
    zip64 = tail[at - 20 : at - 16] == b"PK\x06\x07"
    if count == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF or zip64:
        raise InvalidInput(f"{filename} cannot be stamped: ZIP64 archives are not stamped")
    comment = tail[at + EOCD.size : at + EOCD.size + comment_len]
    handle.seek(cd_offset)
    directory = handle.read(cd_size)
    entries, pos = [], 0
    for _ in range(count):
        if directory[pos : pos + 4] != b"PK\x01\x02":
            raise InvalidInput(f"{filename} cannot be stamped: its central directory is damaged")
        fields = CENTRAL.unpack_from(directory, pos)
        name_len, extra_len, comment_len2 = fields[10], fields[11], fields[12]
        end = pos + CENTRAL.size + name_len + extra_len + comment_len2
        raw = directory[pos:end]
        encoding = "utf-8" if fields[3] & UTF8_FLAG else "cp437"
        name = raw[CENTRAL.size : CENTRAL.size + name_len].decode(encoding, errors="replace")
        flags, method, crc, compressed, size, offset = (fields[i] for i in (3, 4, 7, 8, 9, 16))
        entries.append(CentralEntry(raw, name, flags, method, crc, compressed, size, offset))
        pos = end
    return ZipEnd(cd_offset, cd_size, entries, comment)


def local_header(name: bytes, *, method: int, crc: int, compressed: int, size: int, flags: int = UTF8_FLAG,
                 time: int = DOS_TIME, date: int = DOS_DATE) -> bytes:
    fields = (20, flags, method, time, date, crc, compressed, size, len(name), 0)
    return LOCAL.pack(b"PK\x03\x04", *fields) + name


def central_record(name: bytes, *, method: int, crc: int, compressed: int, size: int, offset: int) -> bytes:
    """A central record for an added regular file (mode 0644, made on Unix)."""
    return CENTRAL.pack(
        b"PK\x01\x02", (3 << 8) | 20, 20, UTF8_FLAG, method, DOS_TIME, DOS_DATE, crc, compressed, size,
        len(name), 0, 0, 0, 0, 0o100644 << 16, offset,
    ) + name


def patched(raw: bytes, *, offset: int, crc: int | None = None, compressed: int | None = None,
            size: int | None = None, method: int | None = None) -> bytes:
    """A central record with its local header's offset (and for a rewritten entry, its CRC, sizes
    and method; the data-descriptor flag cleared) changed."""
    out = bytearray(raw)
    struct.pack_into("<I", out, 42, offset)
    if crc is not None:
        flags = struct.unpack_from("<H", out, 8)[0] & ~0x0008
        struct.pack_into("<HH", out, 8, flags, method if method is not None else 8)
        struct.pack_into("<III", out, 16, crc, compressed or 0, size or 0)
    return bytes(out)


def end_record(count: int, cd_size: int, cd_offset: int, comment: bytes, filename: str = "archive") -> bytes:
    if count > 0xFFFE or cd_offset + cd_size > 0xFFFFFFFE:
        raise InvalidInput(f"{filename} cannot be stamped: the stamped copy would need ZIP64")
    return EOCD.pack(b"PK\x05\x06", 0, 0, count, count, cd_size, cd_offset, len(comment)) + comment
