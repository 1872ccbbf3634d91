"""A long MP4 or M4A shown to FFmpeg through a window: the same file, its movie box (`moov`) cut down
to the samples of the seconds a job reads (the start and end for the check, the sample's seconds, the
seconds around the cover frame).

Why: FFmpeg's MP4 demuxer loads the whole sample table into its index when it opens a file, 50 to 90
bytes per packet: checking 3.9 hours of AAC (650,000 packets) took +57 MB and cutting its sample +87 MB,
growing with the length. Through a window its index holds a few thousand entries whatever the length,
and the `moov` box is mapped, not read, so its own tables are touched only where a window needs them.

Every other box is kept (durations, codecs, metadata, edit lists), every kept sample stays where it is
in the file (the new `moov` takes the old one's place, padded with a `free` box), and the time between
kept spans becomes "filler" samples (the track's first sample's bytes, never decoded), so timestamps,
durations and the bitrate are the whole file's. Short files, fragmented MP4, compact sample sizes and
a movie box this module cannot read are handed to FFmpeg whole, as before.
"""

from __future__ import annotations

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
from paidpdf.content.formats.mp4_boxes import (
    Box,
    Data,
    children,
    find,
    movie_box,
    scale_and_duration,
    top_level,
)

#: Below this many samples in all tracks FFmpeg's index is a few MB: the file is read whole.
MIN_SAMPLES = 20_000
#: The longest filler sample, in the track's time units (FFmpeg reads larger deltas as negative).
MAX_DELTA = 1 << 30
#: More kept samples than this (a window of minutes of packets: a file whose tables say odd things)
#: or more filler samples than `MAX_FILLERS`: the file is read whole.
MAX_KEPT = 200_000
MAX_FILLERS = 4_096
#: Kept boxes of a sample table besides the rebuilt ones (sample descriptions and group descriptions).
_KEPT = {b"stsd", b"sgpd"}

#: The movie's duration in seconds -> the spans (start, end), in seconds, a job reads.
Spans = Callable[[float], list[tuple[float, float]]]


def window(handle: BinaryIO, size: int, spans: Spans) -> SegmentedFile | None:
    """The file behind `handle` with only `spans` in its sample tables, or None to read it whole."""
    try:
        return _window(handle, size, spans)
    except (ValueError, struct.error, IndexError, KeyError, StopIteration, OverflowError):
        return None  # FFmpeg judges the file as it is


def _window(handle: BinaryIO, size: int, spans: Spans) -> SegmentedFile | None:
    boxes = top_level(handle, size)
    moovs = [b for b in boxes if b[0] == b"moov"]
    if len(moovs) != 1 or any(b[0] == b"moof" for b in boxes) or moovs[0][2] - moovs[0][1] > MAX_MOOV_BYTES:
        return None
    _, start, end = moovs[0]
    data = movie_box(handle, start, end)
    moov = children(data, 0, len(data))[0]
    inside = children(data, moov[1] + moov[2], moov[3])
    if any(kind == b"mvex" for kind, *_ in inside):
        return None
    mvhd = next(c for c in inside if c[0] == b"mvhd")
    timescale, duration = scale_and_duration(data, mvhd)
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


def _replace(data: Data, parent: Box, path: list[bytes], leaf: Callable[[Box], bytes]) -> bytes:
    """`parent` rebuilt with the box at `path` made by `leaf` (each box on the way grows or shrinks)."""
    kind, start, head, end = parent
    parts = []
    for child in children(data, start + head, end):
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
        stbl = find(data, trak, [b"mdia", b"minf", b"stbl"])
        tables = {c[0]: c for c in children(data, stbl[1] + stbl[2], stbl[3])}
        if b"stz2" in tables or b"stsz" not in tables:
            raise ValueError("compact or missing sample sizes")
        timescale, _ = scale_and_duration(data, find(data, trak, [b"mdia", b"mdhd"]))
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
        if sum(stop - first for first, stop in out) > MAX_KEPT:
            raise ValueError("the window would hold too many samples")
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
            if per_chunk > MAX_KEPT:
                raise ValueError("chunks of too many samples")
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
            if gap > MAX_DELTA * MAX_FILLERS:
                raise ValueError("a gap too long to fill")
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
        inside = children(data, stbl[1] + stbl[2], stbl[3])
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
