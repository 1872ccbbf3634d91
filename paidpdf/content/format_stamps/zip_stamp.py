"""ZIP (software, asset packs): a `LICENSE-<order>.txt` added as the archive's final entry.

Stream-friendly: every original local entry is streamed unchanged (bytes 0 to the central directory),
then the new entry (stored, so its text is readable as it is), then the original central directory
records unchanged (their offsets still hold), the new entry's record and a new end record. Only the
last two parts and the license text are computed per owner; the template is where the directory is.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import BinaryIO

from paidpdf.content.format_stamps import zip_layout
from paidpdf.content.format_stamps.segments import Segment
from paidpdf.content.format_stamps.stamp_line import Stamp


@dataclass(frozen=True)
class ZipTemplate:
    cd_offset: int
    cd_size: int
    count: int
    comment: bytes
    names: frozenset[str]

    def segments(self, stamp: Stamp) -> list[Segment]:
        name = f"LICENSE-{stamp.ref}.txt"
        while name in self.names:  # never two entries of one name
            name = "_" + name
        raw_name = name.encode("utf-8")
        text = stamp.license_text()
        crc = zlib.crc32(text)
        header = zip_layout.local_header(raw_name, method=0, crc=crc, compressed=len(text), size=len(text))
        entry = header + text
        record = zip_layout.central_record(
            raw_name, method=0, crc=crc, compressed=len(text), size=len(text), offset=self.cd_offset
        )
        new_cd_offset = self.cd_offset + len(entry)
        end = zip_layout.end_record(self.count + 1, self.cd_size + len(record), new_cd_offset, self.comment)
        return [(0, self.cd_offset), entry, (self.cd_offset, self.cd_size), record + end]


def build(handle: BinaryIO, size: int, filename: str = "archive") -> ZipTemplate:
    end = zip_layout.read_end(handle, size, filename)
    names = frozenset(e.name for e in end.entries)
    return ZipTemplate(end.cd_offset, end.cd_size, len(end.entries), end.comment, names)
