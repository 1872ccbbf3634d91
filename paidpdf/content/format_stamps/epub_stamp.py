"""EPUB: a "Licensed to … · order …" line at the end of every chapter document (the spine's XHTML),
and the identifier as a `dc:identifier` in the package metadata. A chapter in UTF-16 (rare; the slot
is UTF-8) is left as it is; a book with no chapter that can take the line is refused.

How it stays a stream: each changed document is split where the stamp goes. The template holds the
part before it deflated and flushed to a byte boundary, and the part after it deflated on its own;
an owner's document is those two with a stored deflate block of exactly the slot's bytes between
them (valid deflate, and the text readable as it is in the file, which is what `orders trace`
reads). The CRC of an owner's document is carried on from the one of the part before (precomputed)
through their slot and the short part after. Every other entry (the `mimetype` first, images, CSS)
is streamed unchanged from the stored file; the central directory is the original's with new offsets.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from paidpdf.content.format_stamps import zip_layout
from paidpdf.content.format_stamps.segments import Segment
from paidpdf.content.format_stamps.stamp_line import IDENT_BYTES, LINE_BYTES, Stamp
from paidpdf.errors import InvalidInput

_BODY_END = re.compile(rb"</(?:\w+:)?body\s*>", re.IGNORECASE)
_EMPTY_BODY = re.compile(rb"<(\w+:)?body\b[^>]*/>", re.IGNORECASE)
_METADATA = re.compile(rb"<(?:\w+:)?metadata\b[^>]*?(?<!/)>")
_LINE_OPEN = b'<p class="paidpdf-license" style="font-size:0.7em;color:#777;margin-top:2em">'
_IDENT_OPEN = b'<dc:identifier xmlns:dc="http://purl.org/dc/elements/1.1/" id="paidpdf-license">'


@dataclass(frozen=True)
class StampedEntry:
    """One changed document: its local header's fixed fields, the deflated parts around the slot."""

    name: bytes
    flags: int
    plain_size: int
    time: int
    date: int
    head: bytes  # deflated, flushed: the document up to the slot
    head_crc: int
    after: bytes  # the document after the slot, as it is (for the CRC)
    tail: bytes  # `after` deflated, final block
    ident_only: bool

    @property
    def width(self) -> int:
        return IDENT_BYTES if self.ident_only else LINE_BYTES

    def size(self) -> int:
        return len(self.head) + 5 + self.width + len(self.tail)


@dataclass(frozen=True)
class EpubTemplate:
    parts: list[Segment | int]  # an int is the index of a changed entry in `stamped`
    stamped: list[StampedEntry]
    directory: list[tuple[bytes, int | None]]  # central records, and which changed entry each is
    end: bytes

    def segments(self, stamp: Stamp) -> list[Segment]:
        crcs, bodies = [], []
        for entry in self.stamped:
            slot = stamp.ident_bytes(IDENT_BYTES) if entry.ident_only else stamp.line(LINE_BYTES, xml=True)
            crcs.append(zlib.crc32(entry.after, zlib.crc32(slot, entry.head_crc)))
            header = zip_layout.local_header(
                entry.name, method=8, crc=crcs[-1], compressed=entry.size(), size=entry.plain_size,
                flags=entry.flags, time=entry.time, date=entry.date,
            )
            stored = b"\x00" + struct.pack("<HH", len(slot), len(slot) ^ 0xFFFF)  # a stored deflate block
            bodies.append(header + entry.head + stored + slot + entry.tail)
        out: list[Segment] = [bodies[p] if isinstance(p, int) else p for p in self.parts]
        for raw, index in self.directory:
            out.append(raw if index is None else raw[:16] + struct.pack("<I", crcs[index]) + raw[20:])
        out.append(self.end)
        return out


def _split(data: bytes, ident_only: bool) -> tuple[bytes, bytes] | None:
    """The document before and after the slot, with the slot's opening and closing tags; None when
    there is no place for it (no `</body>`, no `<metadata>`)."""
    if ident_only:
        match = _METADATA.search(data)
        if match is None:
            return None
        return data[: match.end()] + _IDENT_OPEN, b"</dc:identifier>" + data[match.end():]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: left as it is (the slot is UTF-8)
        return None
    ends = list(_BODY_END.finditer(data))
    if ends:
        at = ends[-1].start()
        return data[:at] + _LINE_OPEN, b"</p>" + data[at:]
    empty = _EMPTY_BODY.search(data)  # <body/>: opened and closed around the line
    if empty is None:
        return None
    opening = data[empty.start() : empty.end() - 2].rstrip() + b">"
    close = b"</" + (empty.group(1) or b"") + b"body>"
    return data[: empty.start()] + opening + _LINE_OPEN, b"</p>" + close + data[empty.end():]


def _stamped_entry(
    info: zipfile.ZipInfo, central: zip_layout.CentralEntry, data: bytes, ident_only: bool
) -> StampedEntry | None:
    split = _split(data, ident_only)
    if split is None:
        return None
    before, after = split
    head = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = head.compress(before) + head.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(6, zlib.DEFLATED, -15)
    tail_bytes = tail.compress(after) + tail.flush()
    time = (info.date_time[3] << 11) | (info.date_time[4] << 5) | (info.date_time[5] // 2)
    date = ((info.date_time[0] - 1980) << 9) | (info.date_time[1] << 5) | info.date_time[2]
    name_len = struct.unpack_from("<H", central.raw, 28)[0]
    width = IDENT_BYTES if ident_only else LINE_BYTES
    return StampedEntry(
        central.raw[46 : 46 + name_len], central.flags & ~0x0008, len(before) + width + len(after),
        time, date, deflated, zlib.crc32(before), after, tail_bytes, ident_only,
    )


def build(handle: BinaryIO, size: int, filename: str = "book.epub") -> EpubTemplate:
    from paidpdf.content.formats.epub_package import read_package

    end = zip_layout.read_end(handle, size, filename)
    handle.seek(0)
    archive = zipfile.ZipFile(handle)  # type: ignore[arg-type]
    package = read_package(archive, filename)
    targets = {package.path: True}
    for idref in package.spine:
        item = package.manifest[idref]
        if item.media_type == "application/xhtml+xml":
            targets.setdefault(item.path, False)
    by_offset = sorted(end.entries, key=lambda e: e.offset)
    spans = {e.offset: (by_offset[i + 1].offset if i + 1 < len(by_offset) else end.cd_offset)
             for i, e in enumerate(by_offset)}
    parts: list[Segment | int] = [(0, by_offset[0].offset)] if by_offset and by_offset[0].offset else []
    stamped: list[StampedEntry] = []
    new_offsets: dict[int, int] = {}
    which: dict[int, int] = {}
    pos = by_offset[0].offset if by_offset else 0
    for entry in by_offset:
        new_offsets[entry.offset] = pos
        changed = None
        if entry.name in targets:
            changed = _stamped_entry(
                archive.getinfo(entry.name), entry, archive.read(entry.name), targets[entry.name]
            )
        if changed is None:
            span = spans[entry.offset] - entry.offset
            parts.append((entry.offset, span))
            pos += span
            continue
        which[entry.offset] = len(stamped)
        parts.append(len(stamped))
        stamped.append(changed)
        pos += zip_layout.LOCAL.size + len(changed.name) + changed.size()
    if not any(not s.ident_only for s in stamped):
        raise InvalidInput(f"{filename} cannot be stamped: no chapter document has a </body> to stamp before")
    directory: list[tuple[bytes, int | None]] = []
    cd_size = 0
    for entry in end.entries:
        index = which.get(entry.offset)
        if index is None:
            raw = zip_layout.patched(entry.raw, offset=new_offsets[entry.offset])
        else:
            done = stamped[index]
            raw = zip_layout.patched(entry.raw, offset=new_offsets[entry.offset], crc=0, method=8,
                                     compressed=done.size(), size=done.plain_size)
        directory.append((raw, index))
        cd_size += len(raw)
    return EpubTemplate(parts, stamped, directory,
                        zip_layout.end_record(len(end.entries), cd_size, pos, end.comment, filename))
