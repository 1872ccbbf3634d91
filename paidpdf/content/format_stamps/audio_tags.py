"""Audio whose tags sit in one block before the sound: MP3 (ID3v2), FLAC (a Vorbis comment) and WAV
(a RIFF `LIST/INFO` comment chunk, at the end). The tag block is rebuilt once per file version with
mutagen, keeping the file's own tags and adding `PAIDPDF_LICENSE` with a placeholder of the slot's
width; an owner's copy is that block with their line in the placeholder, then the sound streamed
unchanged. Text frames are UTF-8, so the identifier is in the file as it is.
"""

from __future__ import annotations

import io
import secrets
import struct
from dataclasses import dataclass
from typing import BinaryIO

from paidpdf.content.format_stamps.segments import Segment
from paidpdf.content.format_stamps.stamp_line import LINE_BYTES, Stamp
from paidpdf.errors import InvalidInput

TAG_NAME = "PAIDPDF_LICENSE"
#: The most of a file's tag block that is read to rebuild it (artwork included).
MAX_TAG_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class BlockTemplate:
    """`before` (with `placeholder` where the line goes), the original's range, then `after`."""

    before: bytes
    start: int
    length: int
    placeholder: bytes
    after: bytes = b""

    def segments(self, stamp: Stamp) -> list[Segment]:
        line = stamp.line(LINE_BYTES)
        return [self.before.replace(self.placeholder, line), (self.start, self.length),
                self.after.replace(self.placeholder, line)]


def placeholder() -> bytes:
    return secrets.token_hex(LINE_BYTES // 2).encode("ascii")


def _synchsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def build_mp3(handle: BinaryIO, size: int, filename: str = "audio.mp3") -> BlockTemplate:
    from mutagen.id3 import ID3, TXXX, ID3NoHeaderError

    handle.seek(0)
    head = handle.read(10)
    tag_size = 0
    if head[:3] == b"ID3" and len(head) == 10:
        tag_size = 10 + _synchsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)
        if tag_size > MAX_TAG_BYTES:
            raise InvalidInput(f"{filename} cannot be stamped: its ID3 tag is over {MAX_TAG_BYTES} bytes")
    handle.seek(0)
    old = handle.read(tag_size)
    tags = ID3()
    if tag_size:
        try:
            tags.load(io.BytesIO(old), load_v1=False)
        except ID3NoHeaderError:
            pass
        except Exception as exc:  # mutagen raises its own errors for damaged tags
            raise InvalidInput(f"{filename} cannot be stamped: its ID3 tag cannot be read ({exc})") from None
    mark = placeholder()
    tags.delall(f"TXXX:{TAG_NAME}")
    tags.add(TXXX(encoding=3, desc=TAG_NAME, text=[mark.decode("ascii")]))
    out = io.BytesIO()
    tags.save(out, v1=0, v2_version=4, padding=lambda info: 0)
    block = out.getvalue()
    if block.count(mark) != 1:
        raise InvalidInput(f"{filename} cannot be stamped: the new tag did not keep its slot")
    return BlockTemplate(block, tag_size, size - tag_size, mark)


def build_flac(handle: BinaryIO, size: int, filename: str = "audio.flac") -> BlockTemplate:
    from mutagen.flac import VCFLACDict

    handle.seek(0)
    if handle.read(4) != b"fLaC":
        raise InvalidInput(f"{filename} cannot be stamped: it does not start like a FLAC file")
    blocks: list[tuple[int, bytes]] = []
    pos, last = 4, False
    while not last:
        header = handle.read(4)
        if len(header) < 4:
            raise InvalidInput(f"{filename} cannot be stamped: its metadata blocks are truncated")
        last, kind = bool(header[0] & 0x80), header[0] & 0x7F
        length = int.from_bytes(header[1:4], "big")
        pos += 4 + length
        if pos > MAX_TAG_BYTES or pos > size:
            raise InvalidInput(f"{filename} cannot be stamped: its metadata blocks are too large")
        blocks.append((kind, handle.read(length)))
    comments = VCFLACDict()
    for kind, body in blocks:
        if kind == 4:
            comments = VCFLACDict(body, framing=False)
    mark = placeholder()
    comments[TAG_NAME] = [mark.decode("ascii")]
    new_comment = comments.write(framing=False)
    kept = [(k, b) for k, b in blocks if k not in (1, 4)]  # padding is dropped, the comment rewritten
    kept.insert(1, (4, new_comment))
    out = bytearray(b"fLaC")
    for index, (kind, body) in enumerate(kept):
        if len(body) >= 1 << 24:
            raise InvalidInput(f"{filename} cannot be stamped: a metadata block is too large")
        out += bytes([kind | (0x80 if index == len(kept) - 1 else 0)]) + len(body).to_bytes(3, "big") + body
    return BlockTemplate(bytes(out), pos, size - pos, mark)


def build_wav(handle: BinaryIO, size: int, filename: str = "audio.wav") -> BlockTemplate:
    """WAV: a `LIST/INFO` chunk with an `ICMT` comment added at the end, and the RIFF size updated."""
    handle.seek(0)
    head = handle.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise InvalidInput(f"{filename} cannot be stamped: it is not a RIFF/WAVE file")
    declared = struct.unpack("<I", head[4:8])[0]
    if declared + 8 != size or size % 2:
        raise InvalidInput(f"{filename} cannot be stamped: its RIFF size does not match the file")
    mark = placeholder()
    comment = b"ICMT" + struct.pack("<I", len(mark)) + mark
    chunk = b"LIST" + struct.pack("<I", 4 + len(comment)) + b"INFO" + comment
    riff = b"RIFF" + struct.pack("<I", declared + len(chunk))
    return BlockTemplate(riff, 8, size - 8, mark, chunk)
