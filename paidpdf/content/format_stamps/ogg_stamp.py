"""Ogg (Opus or Vorbis): the identifier in the stream's comment header (a Vorbis comment).

The header packets after the first (Opus: the tags; Vorbis: the comment and setup) are laid out again
on exactly as many pages as before, with the same sequence numbers, so every audio page after them is
streamed unchanged (their numbers and checksums still hold). Only those few header pages are made per
owner (their CRC covers the line). A file whose header pages are already full cannot take the
longer comment and is refused when stamping is turned on.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from paidpdf.content.format_stamps.audio_tags import TAG_NAME, placeholder
from paidpdf.content.format_stamps.segments import Segment
from paidpdf.content.format_stamps.stamp_line import LINE_BYTES, Stamp
from paidpdf.errors import InvalidInput

_PAGE = struct.Struct("<4sBBqIIIB")
_BITSWAP = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))
MAX_HEADER_PAGES = 64


def ogg_crc(page: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04c11db7, not reflected), through zlib's CRC on
    bit-reversed bytes."""
    crc = (~zlib.crc32(page.translate(_BITSWAP), -1)) & 0xFFFFFFFF
    return int.from_bytes(crc.to_bytes(4, "big").translate(_BITSWAP), "little")


@dataclass(frozen=True)
class OggTemplate:
    first_page: int  # bytes of page 0, streamed unchanged
    audio_start: int
    size: int
    serial: int
    pages: int
    packets: tuple[bytes, ...]  # header packets after the first, the comment with `mark`
    mark: bytes

    def segments(self, stamp: Stamp) -> list[Segment]:
        packets = [p.replace(self.mark, stamp.line(LINE_BYTES)) for p in self.packets]
        return [(0, self.first_page), lay_out(packets, self.pages, self.serial),
                (self.audio_start, self.size - self.audio_start)]


def lay_out(packets: list[bytes], pages: int, serial: int) -> bytes:
    """`packets` on exactly `pages` pages numbered from 1 (header pages: granule 0 where a packet
    ends, -1 where none does)."""
    laces: list[tuple[int, bytes, bool]] = []  # (lacing value, bytes, ends a packet)
    for packet in packets:
        pos = 0
        while True:
            chunk = packet[pos : pos + 255]
            pos += len(chunk)
            laces.append((len(chunk), chunk, len(chunk) < 255))
            if len(chunk) < 255:
                break
    if len(laces) > 255 * pages or len(laces) < pages:
        raise ValueError("the header packets do not fit the pages")
    out = bytearray()
    taken = 0
    continued = False
    for number in range(pages):
        count = (len(laces) - taken) // (pages - number) if number < pages - 1 else len(laces) - taken
        count = min(count, 255)
        here = laces[taken : taken + count]
        taken += count
        granule = 0 if any(ends for _, _, ends in here) else -1
        header = _PAGE.pack(b"OggS", 0, 1 if continued else 0, granule, serial, number + 1, 0, len(here))
        page = header + bytes(v for v, _, _ in here) + b"".join(c for _, c, _ in here)
        page = page[:22] + struct.pack("<I", ogg_crc(page)) + page[26:]
        out += page
        continued = not here[-1][2]
    return bytes(out)


def _read_page(handle: BinaryIO, filename: str) -> tuple[bytes, list[bytes], list[bool], int]:
    """(raw page, its packet pieces, whether each piece ends its packet, serial)."""
    header = handle.read(_PAGE.size)
    if len(header) < _PAGE.size or header[:4] != b"OggS":
        raise InvalidInput(f"{filename} cannot be stamped: its Ogg header pages are damaged")
    serial, count = struct.unpack_from("<I", header, 14)[0], header[26]
    lacing = handle.read(count)
    pieces, ends, current = [], [], 0
    for value in lacing:
        current += value
        if value < 255:
            pieces.append(current)
            ends.append(True)
            current = 0
    if current or (lacing and lacing[-1] == 255):
        pieces.append(current)
        ends.append(False)
    body = handle.read(sum(lacing))
    chunks, pos = [], 0
    for length in pieces:
        chunks.append(body[pos : pos + length])
        pos += length
    return header + lacing + body, chunks, ends, serial


def build(handle: BinaryIO, size: int, filename: str = "audio.ogg") -> OggTemplate:
    from mutagen._vorbis import VComment

    handle.seek(0)
    first, _chunks, _ends, serial = _read_page(handle, filename)
    opus = b"OpusHead" in first[:64]
    wanted = 1 if opus else 2  # header packets after the identification packet
    packets: list[bytes] = []
    partial = b""
    pages = 0
    while len(packets) < wanted:
        pages += 1
        if pages > MAX_HEADER_PAGES:
            raise InvalidInput(f"{filename} cannot be stamped: its header spans too many pages")
        _raw, chunks, ends, page_serial = _read_page(handle, filename)
        if page_serial != serial:
            raise InvalidInput(f"{filename} cannot be stamped: it holds more than one stream")
        for chunk, ended in zip(chunks, ends, strict=True):
            partial += chunk
            if ended:
                packets.append(partial)
                partial = b""
    if len(packets) != wanted or partial:
        raise InvalidInput(f"{filename} cannot be stamped: audio starts inside its header pages")
    audio_start = handle.tell()
    magic = b"OpusTags" if opus else b"\x03vorbis"
    if not packets[0].startswith(magic):
        raise InvalidInput(f"{filename} cannot be stamped: its comment header is missing")
    comment = VComment(packets[0][len(magic):], framing=not opus)
    mark = placeholder()
    comment.append((TAG_NAME, mark.decode("ascii")))
    packets[0] = magic + comment.write(framing=not opus)
    try:
        lay_out(packets, pages, serial)
    except ValueError:
        raise InvalidInput(f"{filename} cannot be stamped: its header pages are full") from None
    return OggTemplate(len(first), audio_start, size, serial, pages, tuple(packets), mark)
