"""A long MP4 or M4A shown to FFmpeg through a window: the same file, with its movie box (`moov`) cut
down to the samples of the few seconds a job reads (the start and the end for the check, the first
seconds for the sample, the seconds around the cover frame).

Why: FFmpeg's MP4 demuxer loads the whole sample table into its index when it opens a file, 50 to 90
bytes of memory per packet. Probing 5 hours of AAC (650,000 packets) took +56 MB and cutting its
sample +69 MB, and an 18-hour audiobook would take four times that: memory grew with the length. Through
a window FFmpeg's index holds a few thousand entries whatever the length; what stays is the `moov` box
itself (4 to 8 bytes per packet, read once), which the stamp template reads anyway.

The window keeps every other box as it is (durations, codecs, metadata, edit lists) and every kept
sample at its own place in the file (offsets are absolute, and the new `moov` takes the old one's place,
padded with a `free` box when media data follows it). The time between kept spans becomes "filler"
samples (the track's first sample's bytes, never decoded) so each kept sample keeps its own timestamp
and each track its full duration. Short files, fragmented MP4 and compact sample sizes (`stz2`) are
read whole, as before; a movie box this module cannot read is handed to FFmpeg whole, to judge.
"""

from __future__ import annotations

import mmap
import struct
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import BinaryIO

from paidpdf.content.format_stamps.mp4_stamp import MAX_MOOV_BYTES, box
from paidpdf.content.format_stamps.segments import Segment, SegmentedFile, merged

#: Below this many samples in all tracks FFmpeg's index is a few MB: the file is read whole.
MIN_SAMPLES = 20_000
#: The longest filler sample, in the track's time units (FFmpeg reads larger deltas as negative).
MAX_DELTA = 1 << 30
#: Kept boxes of a sample table besides the rebuilt ones (sample descriptions and group descriptions).
_KEPT = {b"stsd", b"sgpd"}

#: The movie's duration in seconds -> the spans (start, end), in seconds, a job reads.
Spans = Callable[[float], list[tuple[float, float]]]
#: (kind, start, header length, end) of a box inside the movie box's bytes.
Box = tuple[bytes, int, int, int]
#: The movie box's bytes: mapped from the file (only the pages read become memory), or read.
Data = bytes | memoryview


def window(handle: BinaryIO, size: int, spans: Spans) -> SegmentedFile | None:
    """The file behind `handle` with only `spans` in its sample tables, or None to read it whole."""
    try:
        return _window(handle, size, spans)
    except (ValueError, struct.error, IndexError, StopIteration):
        return None  # FFmpeg judges the file as it is


def _window(handle: BinaryIO, size: int, spans: Spans) -> SegmentedFile | None:
    boxes = _top_level(handle, size)
    moovs = [b for b in boxes if b[0] == b"moov"]
    if len(moovs) != 1 or any(b[0] == b"moof" for b in boxes) or moovs[0][2] - moovs[0][1] > MAX_MOOV_BYTES:
        return None
    _, start, end = moovs[0]
    data = _movie_box(handle, start, end)
    moov = _children(data, 0, len(data))[0]
    inside = _children(data, moov[1] + moov[2], moov[3])
    if any(kind == b"mvex" for kind, *_ in inside):
        return None
    mvhd = next(c for c in inside if c[0] == b"mvhd")
    timescale, duration = _scale_and_duration(data, mvhd)
    tracks = [_Track.read(data, c) for c in inside if c[0] == b"trak"]
    if not timescale or not duration or sum(t.count for t in tracks) < MIN_SAMPLES:
        return None
    wanted = spans(duration / timescale)
    parts = []
    for child in inside:
        if child[0] == b"trak":
            track = tracks.pop(0)
            parts.append(_replace(data, child, [b"mdia", b"minf", b"stbl"], track.windowed(wanted)))
        else:
            parts.append(bytes(data[child[1] : child[3]]))
    new = box(b"moov", b"".join(parts))
    old = end - start
    segments: list[Segment] = [(0, start), new, (end, size - end)]
    if len(new) + 8 <= old:  # the same length: what follows stays put, and FFmpeg's bitrate (the
        pad = old - len(new)  # file's size over its duration) is the same. The padding is a `free`
        segments[1:2] = [new + struct.pack(">I4s", pad, b"free"), (start + len(new) + 8, pad - 8)]
    elif len(new) != old and end < size:  # box whose body (ignored) is the old box's tail
        return None  # it would move the media data that follows
    return SegmentedFile(handle, merged(segments))  # type: ignore[arg-type]


def _movie_box(handle: BinaryIO, start: int, end: int) -> Data:
    """The `moov` box mapped from the file: its sample tables (4 to 8 bytes a packet) are read only
    where a window needs them, so even they never become memory as a whole. Read when it cannot be
    mapped (no file descriptor)."""
    try:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (AttributeError, OSError, ValueError):
        handle.seek(start)
        return handle.read(end - start)
    return memoryview(mapped)[start:end]  # unmapped when the last view of it is gone


def _children(data: Data, start: int, end: int) -> list[Box]:
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


def _top_level(handle: BinaryIO, size: int) -> list[tuple[bytes, int, int]]:
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


def _scale_and_duration(data: Data, header: Box) -> tuple[int, int]:
    """Time units per second and duration of an `mvhd` or `mdhd` box."""
    body = header[1] + header[2]
    if data[body] == 1:
        return struct.unpack_from(">IQ", data, body + 20)
    return struct.unpack_from(">II", data, body + 12)


def _find(data: Data, parent: Box, path: list[bytes]) -> Box:
    for kind in path:
        parent = next(c for c in _children(data, parent[1] + parent[2], parent[3]) if c[0] == kind)
    return parent


def _replace(data: Data, parent: Box, path: list[bytes], leaf: Callable[[Box], bytes]) -> bytes:
    """`parent` rebuilt with the box at `path` made by `leaf` (each box on the way grows or shrinks)."""
    kind, start, head, end = parent
    parts = []
    for child in _children(data, start + head, end):
        if child[0] != path[0]:
            parts.append(bytes(data[child[1] : child[3]]))
        elif len(path) == 1:
            parts.append(leaf(child))
        else:
            parts.append(_replace(data, child, path[1:], leaf))
    return box(kind, b"".join(parts))


def _entries(data: Data, table: Box | None, fmt: str) -> Iterator[tuple[int, ...]]:
    """The entries of a full box whose body is version/flags, a count, then `fmt` entries."""
    if table is None:
        return iter(())
    body = table[1] + table[2]
    count = struct.unpack_from(">I", data, body + 4)[0]
    width = struct.calcsize(fmt)
    if body + 8 + count * width > table[3]:
        raise ValueError("a sample table overruns its box")
    return struct.iter_unpack(fmt, memoryview(data)[body + 8 : body + 8 + count * width])


def _holds(numbers: array[int], value: int) -> bool:
    at = bisect_left(numbers, value)
    return at < len(numbers) and numbers[at] == value


def _per_sample(runs: Iterator[tuple[int, ...]], first: int) -> Iterator[int]:
    """The value of each sample from `first` on, from (count, value) runs."""
    for count, value in runs:
        if first >= count:
            first -= count
            continue
        for _ in range(count - first):
            yield value
        first = 0


@dataclass
class _Track:
    data: Data
    tables: dict[bytes, Box]
    timescale: int
    count: int

    @classmethod
    def read(cls, data: Data, trak: Box) -> _Track:
        stbl = _find(data, trak, [b"mdia", b"minf", b"stbl"])
        tables = {c[0]: c for c in _children(data, stbl[1] + stbl[2], stbl[3])}
        if b"stz2" in tables or b"stsz" not in tables:
            raise ValueError("compact or missing sample sizes")
        timescale, _ = _scale_and_duration(data, _find(data, trak, [b"mdia", b"mdhd"]))
        count = struct.unpack_from(">I", data, tables[b"stsz"][1] + tables[b"stsz"][2] + 8)[0]
        return cls(data, tables, timescale, count)

    def _dts(self, index: int) -> int:
        """The decoding time of sample `index` (the track's duration for `count`)."""
        total = 0
        for count, delta in _entries(self.data, self.tables[b"stts"], ">II"):
            total += min(count, index) * delta
            index -= min(count, index)
            if not index:
                break
        return total

    def _index_at(self, when: int) -> int:
        """The sample playing at time `when` (the last one starting at or before it)."""
        index, at = 0, 0
        for count, delta in _entries(self.data, self.tables[b"stts"], ">II"):
            if delta and at + count * delta > when:
                return min(self.count - 1, index + max(0, (when - at) // delta))
            index, at = index + count, at + count * delta
        return max(0, self.count - 1)

    def _syncs(self) -> array[int] | None:
        """The sync samples' numbers (from 0), 4 bytes each; None when every sample is one."""
        table = self.tables.get(b"stss")
        if table is None:
            return None
        body = table[1] + table[2]
        count = struct.unpack_from(">I", self.data, body + 4)[0]
        numbers = array("I")
        numbers.frombytes(self.data[body + 8 : body + 8 + 4 * count])
        if sys.byteorder == "little":
            numbers.byteswap()
        return array("I", (n - 1 for n in numbers))

    def _ranges(self, spans: list[tuple[float, float]]) -> list[tuple[int, int]]:
        """Sample ranges [a, b) covering `spans`, each starting on a sync sample, merged."""
        syncs = self._syncs()
        out: list[tuple[int, int]] = []
        for begin, finish in sorted(spans):
            first = self._index_at(int(max(0.0, begin) * self.timescale))
            if syncs:
                first = syncs[max(0, bisect_left(syncs, first + 1) - 1)]
            stop = min(self.count, self._index_at(int(max(0.0, finish) * self.timescale)) + 1)
            if out and first <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], stop))
            elif first < stop:
                out.append((first, stop))
        return out

    def _locations(self, first: int) -> Iterator[tuple[int, int, int]]:
        """(offset in the file, size, sample description) of each sample from `first` on."""
        data, tables = self.data, self.tables
        sizes = tables[b"stsz"][1] + tables[b"stsz"][2]
        fixed = struct.unpack_from(">I", data, sizes + 4)[0]
        wide = b"co64" in tables
        offsets = tables[b"co64" if wide else b"stco"]
        chunks = struct.unpack_from(">I", data, offsets[1] + offsets[2] + 4)[0]
        stsc = list(_entries(data, tables[b"stsc"], ">III"))  # runs of chunks: few entries

        def size(index: int) -> int:
            return int(fixed or struct.unpack_from(">I", data, sizes + 12 + 4 * index)[0])

        sample = 0
        for number, (chunk, per_chunk, description) in enumerate(stsc):
            last = stsc[number + 1][0] if number + 1 < len(stsc) else chunks + 1
            if sample + (last - chunk) * per_chunk <= first:
                sample += (last - chunk) * per_chunk
                continue
            skip = max(0, first - sample) // per_chunk if per_chunk else 0
            sample += skip * per_chunk
            for at_chunk in range(chunk + skip, last):
                at = offsets[1] + offsets[2] + 8 + (at_chunk - 1) * (8 if wide else 4)
                offset = struct.unpack_from(">Q" if wide else ">I", data, at)[0]
                for _ in range(per_chunk):
                    if sample >= first:
                        yield offset, size(sample), description
                    offset += size(sample)
                    sample += 1

    def windowed(self, spans: list[tuple[float, float]]) -> Callable[[Box], bytes]:
        """A maker of this track's `stbl` with only the samples of `spans`, fillers between them."""
        data, tables = self.data, self.tables
        syncs = self._syncs()
        filler = next(self._locations(0))
        rows: list[tuple[int, int, int, int, int, bool]] = []  # offset, size, description, delta, ctts, sync

        def fill(since: int, until: int) -> None:
            gap = self._dts(until) - self._dts(since)
            while gap > 0:
                rows.append((*filler, min(gap, MAX_DELTA), 0, False))
                gap -= MAX_DELTA

        done = 0
        for first, stop in self._ranges(spans):
            fill(done, first)
            deltas = _per_sample(_entries(data, tables[b"stts"], ">II"), first)
            shifts = _per_sample(_entries(data, tables.get(b"ctts"), ">II"), first)
            kept = islice(zip(self._locations(first), deltas, strict=False), stop - first)
            for index, (place, delta) in enumerate(kept, start=first):
                rows.append((*place, delta, next(shifts, 0), syncs is None or _holds(syncs, index)))
            done = stop
        fill(done, self.count)
        return lambda stbl: self._table(stbl, rows, syncs is not None)

    def _table(self, stbl: Box, rows: list[tuple[int, int, int, int, int, bool]], with_syncs: bool) -> bytes:
        data = self.data
        inside = _children(data, stbl[1] + stbl[2], stbl[3])
        kept = [bytes(data[c[1] : c[3]]) for c in inside if c[0] in _KEPT]
        stts: list[list[int]] = []
        for row in rows:
            if stts and stts[-1][1] == row[3]:
                stts[-1][0] += 1
            else:
                stts.append([1, row[3]])
        parts = [*kept[:1], _table_box(b"stts", b"\0\0\0\0", ">II", stts)]
        if (ctts := self.tables.get(b"ctts")) is not None:  # its version (signed or not) kept
            version = bytes(data[ctts[1] + ctts[2] : ctts[1] + ctts[2] + 4])
            parts.append(_table_box(b"ctts", version, ">II", [(1, row[4]) for row in rows]))
        descriptions = [(n + 1, 1, row[2]) for n, row in enumerate(rows) if not n or rows[n - 1][2] != row[2]]
        parts += [
            _table_box(b"stsc", b"\0\0\0\0", ">III", descriptions),
            _table_box(b"stsz", bytes(8), ">I", [(row[1],) for row in rows]),  # no fixed size
            _table_box(b"co64", b"\0\0\0\0", ">Q", [(row[0],) for row in rows]),
        ]
        if with_syncs:
            numbers = [(n + 1,) for n, row in enumerate(rows) if row[5]]
            parts.append(_table_box(b"stss", b"\0\0\0\0", ">I", numbers))
        return box(b"stbl", b"".join(parts + kept[1:]))


def _table_box(kind: bytes, version: bytes, fmt: str, entries: Sequence[Sequence[int]]) -> bytes:
    """A full box of `entries` packed as `fmt`, after its version/flags and count."""
    packed = b"".join(struct.pack(fmt, *entry) for entry in entries)
    return box(kind, version + struct.pack(">I", len(entries)) + packed)
